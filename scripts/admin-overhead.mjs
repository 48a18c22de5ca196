// What the admin page costs while it is on (docs/operating.md, "The live inspection page"): a
// demo server in a child process, ws only, with `admin` on or off; one ws client in this process
// calls `echo` N times in a row (a round trip each), then a room of M ws clients hears K chat
// messages (fan-out). Rounds alternate on and off, ROUNDS times each; prints each round and the
// medians: round trips per second, fan-out deliveries per second, and the server's CPU (user +
// system) per round trip and per delivery. No admin page is open: this is the cost of its
// statistics (the diagnostics-channel subscribers), not of its polling. Run after
// `npm run build && npx tsc -p tsconfig.json`:
//   node scripts/admin-overhead.mjs [N=5000] [ROUNDS=3]
// ON_CONFIG='{"metrics":true}' measures another option the same way (the same channels feed it).
import { fork } from "node:child_process";
import { once } from "node:events";
import { URL } from "node:url";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const N = Number(process.argv[2] ?? 5000);
const ROUNDS = Number(process.argv[3] ?? 3);
const MEMBERS = 200;
const MESSAGES = 200;

if (process.argv[2] === "--node") {
  await import("reflect-metadata");
  const { startDemoServer } = await import(`${root}/build/src/testing/demo-server.js`);
  // ON_CONFIG (JSON) replaces the admin page as what is turned on: `{"metrics":true}` compares.
  const on = process.env.ON_CONFIG
    ? JSON.parse(process.env.ON_CONFIG)
    : { admin: { token: "overhead-admin-token-0123456789" } };
  const server = await startDemoServer({
    transports: ["ws"],
    ...(process.argv[3] === "on" ? on : {}),
    roomNotices: false,
    limits: { rate: 1_000_000 },
  });
  process.on("message", (message) => {
    if (message === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    } else {
      void server.stop().then(() => process.disconnect());
    }
  });
  process.send({ url: server.url });
} else {
  await import("reflect-metadata");
  const { WsTestClient } = await import(`${root}/build/test/helpers/ws-test-client.js`);

  const ask = async (child, message) => {
    const reply = once(child, "message");
    child.send(message);
    return (await reply)[0];
  };

  const round = async (mode) => {
    const child = fork(new URL(import.meta.url).pathname, ["--node", mode], { stdio: "inherit" });
    const [{ url }] = await once(child, "message");
    const wsUrl = `${url.replace("http", "ws")}/ws`;
    const client = await WsTestClient.connect(wsUrl);
    for (let i = 0; i < 500; i++) await client.action("echo", { message: "warm" });
    let cpu = (await ask(child, "cpu")).cpu;
    let started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await client.action("echo", { message: "hi" });
    let seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const echo = { perSecond: N / seconds, cpuUs: ((await ask(child, "cpu")).cpu - cpu) / N };

    const members = [];
    for (let i = 0; i < MEMBERS; i++) {
      const member = await WsTestClient.connect(wsUrl);
      await member.request("roomChange", { room: "fan" });
      members.push(member);
    }
    await client.request("roomChange", { room: "fan" });
    const heard = members.map((member) => member.inbox.next((m) => m.message === "last"));
    cpu = (await ask(child, "cpu")).cpu;
    started = process.hrtime.bigint();
    for (let i = 0; i < MESSAGES - 1; i++) void client.request("say", { message: `m${i}` });
    await client.request("say", { message: "last" });
    await Promise.all(heard);
    seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const deliveries = MEMBERS * MESSAGES;
    const fanOut = {
      perSecond: deliveries / seconds,
      cpuUs: ((await ask(child, "cpu")).cpu - cpu) / deliveries,
    };
    for (const member of members) member.socket.terminate();
    client.socket.terminate();
    child.send("stop");
    await once(child, "exit");
    return { echo, fanOut };
  };

  const results = { off: [], on: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of i % 2 === 0 ? ["off", "on"] : ["on", "off"]) {
      const result = await round(mode);
      results[mode].push(result);
      console.log(
        `round ${i + 1} admin ${mode}: echo ${result.echo.perSecond.toFixed(0)}/s ` +
          `(${result.echo.cpuUs.toFixed(1)} µs CPU each), fan-out ${result.fanOut.perSecond.toFixed(0)}/s ` +
          `(${result.fanOut.cpuUs.toFixed(2)} µs CPU each)`,
      );
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const pick = (mode, kind, key) => median(results[mode].map((r) => r[kind][key]));
  for (const kind of ["echo", "fanOut"]) {
    const off = pick("off", kind, "perSecond");
    const on = pick("on", kind, "perSecond");
    console.log(
      `${kind}: on/off ${(on / off).toFixed(3)} (median ${on.toFixed(0)} vs ${off.toFixed(0)} per s); ` +
        `server CPU per unit ${pick("on", kind, "cpuUs").toFixed(2)} vs ${pick("off", kind, "cpuUs").toFixed(2)} µs`,
    );
  }
}
