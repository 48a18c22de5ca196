// What relaying a faye WebSocket to its session's node costs (docs/clustering.md, "faye over
// WebSocket without sticky sessions"): two demo nodes, each in its own process, on their own
// redis-server, behind the tests' round-robin TCP proxy; one client of the project's own (faye,
// WebSocket) calls `echo` N times in a row, connected directly (the proxy sends everything to
// the owner) or relayed (its WebSocket reaches the other node, its handshake the owner),
// alternating, ROUNDS times each. Prints the medians: round-trip time, and CPU per round trip in
// the owner and in the relaying node. Run after `npm run build && npx tsc -p tsconfig.json`:
//   node scripts/faye-relay-cost.mjs [N=3000] [ROUNDS=7]
import { fork } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { URL } from "node:url";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const N = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 7);

if (process.argv[2] === "--node") {
  // A node: a demo server that reports its CPU time when asked.
  await import("reflect-metadata");
  const { startDemoServer } = await import(`${root}/build/src/testing/demo-server.js`);
  const server = await startDemoServer(JSON.parse(process.argv[3]));
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
  const { ActionwireClient } = await import(`${root}/build/src/client/index.js`);
  const { RedisProcess } = await import(`${root}/build/test/helpers/redis-process.js`);
  const { RoundRobinProxy } = await import(`${root}/build/test/helpers/round-robin-proxy.js`);
  // faye's Node client pools its HTTP connections in the global agent: one TCP connection per
  // request instead, so that the proxy places each one.
  http.globalAgent = new http.Agent({ keepAlive: false });
  const redis = await RedisProcess.start();
  const startNode = async (nodeId) => {
    const config = {
      nodeId,
      transports: ["faye"],
      redis: { url: redis.url },
      limits: { rate: 1e6 },
    };
    const child = fork(new URL(import.meta.url), ["--node", JSON.stringify(config)]);
    const [{ url }] = await once(child, "message");
    const cpu = async () => {
      child.send("cpu");
      return (await once(child, "message"))[0].cpu;
    };
    return { child, url, cpu };
  };
  const owner = await startNode("owner");
  const relay = await startNode("relay");
  const proxy = await RoundRobinProxy.start([owner.url, relay.url]);
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

  /** One client's N round trips; faye opens its WebSocket before it sends its handshake. */
  const run = async (backends) => {
    proxy.setBackends(backends);
    const client = new ActionwireClient({ url: proxy.url, transport: "faye", reconnect: false });
    await client.connect();
    for (let i = 0; i < 200; i++) await client.action("echo", { i });
    const [owner0, relay0] = [await owner.cpu(), await relay.cpu()];
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await client.action("echo", { i, text: "x".repeat(100) });
    const rtt = Number(process.hrtime.bigint() - started) / N / 1000;
    const [owner1, relay1] = [await owner.cpu(), await relay.cpu()];
    client.disconnect();
    return { rtt, owner: (owner1 - owner0) / N, relay: (relay1 - relay0) / N };
  };
  const runs = { direct: [], relayed: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.direct.push(await run([owner.url]));
    runs.relayed.push(await run([relay.url, owner.url]));
  }
  for (const [label, results] of Object.entries(runs)) {
    const figure = (key) => median(results.map((r) => r[key])).toFixed(1);
    console.log(
      `${label}: round trip ${figure("rtt")} µs, CPU per round trip: owner ${figure("owner")} µs, relaying node ${figure("relay")} µs (medians of ${ROUNDS} × ${N})`,
    );
  }
  for (const node of [owner, relay]) {
    node.child.send("stop");
    await once(node.child, "exit");
  }
  await proxy.close();
  await redis.stop();
}
