// Issue 15's chaos run, the long form (`npm test` runs a short one,
// test/integration/chaos.test.ts): three demo nodes (separate processes) on their own
// redis-server behind a round-robin TCP proxy, clients of every kind (ws, socket.io
// websocket, faye websocket, faye long-polling) chatting with numbered messages and calling
// incrementTest, while every connection is dropped, each node is stopped (SIGTERM, SIGKILL) and
// started again, and the network is cut. Prints what was lost, duplicated, out of order, and
// every resume that was not recovered. `npm run chaos -- [seconds] [clients per kind]`, or after
// `npx tsc -p tsconfig.json`: node scripts/chaos.mjs [seconds] [clients per kind]
import { URL } from "node:url";
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const { runChaos } = await import(`${root}/build/test/chaos/chaos-run.js`);
const seconds = Number(process.argv[2] ?? 18);
const perKind = Number(process.argv[3] ?? 2);
const report = await runChaos({
  durationMs: seconds * 1000,
  perKind,
  sayEveryMs: 50,
  incrementEveryMs: 100,
  cutMs: 2_000,
  log: (line) => console.log(line),
});
console.log(JSON.stringify(report, null, 1));
process.exit(0);
