// What a session costs a ws server per reply, measured in one process (docs/performance.md,
// "What a session costs"): one actionwire ws server with the demo actions, and a load process
// with two groups of CLIENTS clients each doing echo round trips (each sends its next request on
// its reply): version-1 clients (no hello) and clients with a session (hello=1, a hello, a
// messageId on every request and, unless ACK=0, the ids of the replies received since their last
// request in `ack`, as the project's client sends them). The groups take turns, WINDOWS times,
// while the server measures its own CPU and GC time per reply for 0.4 s each: both groups share
// the process, its compiled code and whatever else the machine is doing, which separate
// processes never do. Prints the median server CPU and GC per reply of each group. Run after
// `npx tsc -p tsconfig.json`:
//   node scripts/session-cost.mjs [CLIENTS=100] [WINDOWS=15]
import { fork } from "node:child_process";
import { PerformanceObserver } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { URL } from "node:url";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const GROUPS = ["v1", "session"];

if (process.argv[2] === "--load") {
  const { WebSocket } = await import("ws");
  const { url, clients, ack } = JSON.parse(process.argv[3]);
  let id = 0;
  const groups = {};
  for (const group of GROUPS) {
    const session = group === "session";
    const members = [];
    for (let i = 0; i < clients; i++) {
      const socket = new WebSocket(session ? `${url}?hello=1` : url, { perMessageDeflate: false });
      if (session) socket.once("open", () => socket.send('{"event":"hello","params":{}}'));
      await new Promise((resolve) => socket.once("message", resolve)); // the welcome
      const member = { socket, active: false, acks: [] };
      const send = () => {
        const request = { event: "action", params: { action: "echo", text: "hello" } };
        request.messageId = `c${++id}`;
        if (session && ack && member.acks.length > 0) request.ack = member.acks.splice(0, 64);
        socket.send(JSON.stringify(request));
      };
      member.send = send;
      socket.on("message", (data) => {
        // Both groups read their replies (as a client does): only the server's side differs.
        const { messageId } = JSON.parse(String(data));
        if (session) member.acks.push(messageId);
        if (member.active) send();
      });
      members.push(member);
    }
    groups[group] = members;
  }
  process.on("message", (group) => {
    for (const name of GROUPS) {
      for (const member of groups[name]) {
        const starting = name === group && !member.active;
        member.active = name === group;
        if (starting) member.send();
      }
    }
  });
  process.send("ready");
} else {
  const clients = Number(process.argv[2] ?? 100);
  const windows = Number(process.argv[3] ?? 15);
  const ack = process.env.ACK !== "0";
  await import(`${root}/node_modules/reflect-metadata/Reflect.js`);
  const { createServer } = await import(`${root}/build/src/server/actionwire-server.js`);
  const { demoActions } = await import(`${root}/build/src/demo/demo-actions.js`);
  let units = 0;
  const actions = demoActions({
    nodeId: "cost",
    connectionCounts: () => server.connectionCounts(),
  });
  const counted = actions.map((action) =>
    action.name === "echo"
      ? { ...action, run: (params, call) => (units++, action.run(params, call)) }
      : action,
  );
  const server = createServer({
    nodeId: "cost",
    transports: ["ws"],
    port: 0,
    host: "127.0.0.1",
    defaultRoom: "bench",
    roomNotices: false,
    limits: { rate: 1_000_000, maxPendingActions: 1000, maxConnectionsPerIP: 100_000 },
    actions: counted,
  });
  await server.start();
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ["gc"] });
  const url = `${server.url.replace(/^http/, "ws")}/ws`;
  const load = fork(new URL(import.meta.url).pathname, [
    "--load",
    JSON.stringify({ url, clients, ack }),
  ]);
  await new Promise((resolve) => load.once("message", resolve));
  const samples = Object.fromEntries(GROUPS.map((group) => [group, []]));
  for (let w = -2; w < windows; w++) {
    for (const group of GROUPS) {
      load.send(group);
      await sleep(150); // the other group's last replies, and this one's start
      const cpu = process.cpuUsage();
      const [units0, gc0] = [units, gcMs];
      await sleep(400);
      const used = process.cpuUsage(cpu);
      const n = units - units0;
      // The first two rounds warm up both paths.
      if (w >= 0) {
        samples[group].push({
          cpuNs: ((used.user + used.system) * 1000) / n,
          gcNs: ((gcMs - gc0) * 1e6) / n,
          rate: n / 0.4,
        });
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const base = median(samples.v1.map((s) => s.cpuNs));
  console.log(
    `echo round trips over ws, ${clients} clients per group, ${windows} windows of 0.4 s each, acks ${ack ? "on" : "off"}`,
  );
  for (const group of GROUPS) {
    const list = samples[group];
    const cpus = list.map((s) => s.cpuNs);
    const cpu = median(cpus);
    console.log(
      `${group.padEnd(8)} server CPU per reply ${cpu.toFixed(0)} ns (x${(cpu / base).toFixed(2)}; ` +
        `min ${Math.min(...cpus).toFixed(0)}, max ${Math.max(...cpus).toFixed(0)}), ` +
        `GC ${median(list.map((s) => s.gcNs)).toFixed(0)} ns, ${median(list.map((s) => s.rate)).toFixed(0)} per s`,
    );
  }
  load.kill();
  await server.stop();
  process.exit(0);
}
