// A short cluster stress for the connection lifecycle (not issue 15's chaos test, which needs
// resume and a proxy): two demo nodes on their own redis-server, eight clients of the project's
// own (ws, socket.io websocket, faye websocket, faye long-polling) chatting in one room with
// numbered messages, 80 raw ws connections that each send quit, roomChange and listenToRoom in
// one tick, node 1 SIGKILLed and restarted, node 0 SIGTERMed and restarted. Prints chat
// deliveries expected, received, lost and duplicated, failed says, and the ghost members left in
// ghostRoom as each node sees it. Run after `npm run build && npx tsc -p tsconfig.json`:
//   node scripts/cluster-stress.mjs
import { spawn } from "node:child_process";
import { setTimeout } from "node:timers";
import { URL } from "node:url";
import net from "node:net";
import { WebSocket } from "ws";
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const { createClient } = await import(`${root}/build/src/client/index.js`);
const freePort = () =>
  new Promise((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => r(p));
    });
  });
const redisPort = await freePort();
const redis = spawn(
  "redis-server",
  ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  { stdio: "ignore" },
);
await new Promise((r) => setTimeout(r, 300));
const ports = [await freePort(), await freePort()];
const nodes = [];
function startNode(i) {
  return new Promise((resolve) => {
    const child = spawn("node", [`${root}/build/src/cli.js`], {
      env: {
        ...process.env,
        PORT: String(ports[i]),
        HOST: "127.0.0.1",
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        NODE_ID: `node${i}`,
        ROOM_NOTICES: "off",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout.on("data", (d) => {
      if (String(d).includes("demo on")) resolve(child);
    });
    nodes[i] = child;
  });
}
await startNode(0);
await startNode(1);
const kinds = [
  ["ws", "ws"],
  ["socketio", "socketio"],
  ["faye", "faye"],
  ["faye-lp", "faye"],
];
const clients = [];
for (let i = 0; i < 8; i++) {
  const [label, transport] = kinds[i % 4];
  const url = `http://127.0.0.1:${ports[i % 2]}`;
  const options = { url, transport, reconnectDelayMs: 100, maxReconnectDelayMs: 500 };
  if (label === "faye-lp") options.faye = { disable: ["websocket"] };
  if (transport === "socketio") options.socketio = { transports: ["websocket"] };
  const c = createClient(options);
  const me = {
    c,
    label,
    heard: new Map(),
    dup: 0,
    sayFailed: 0,
    sent: 0,
    node: i % 2,
    reconnects: 0,
  };
  c.on("say", (m) => {
    const k = `${m.message}`;
    if (!k.startsWith("m ")) return;
    me.heard.set(k, (me.heard.get(k) ?? 0) + 1);
    if (me.heard.get(k) > 1) me.dup++;
  });
  c.on("reconnected", async () => {
    me.reconnects++;
  });
  try {
    await c.connect();
    await c.roomChange("chat");
  } catch (e) {
    console.log("connect failed", label, e.message);
  }
  clients.push(me);
}
let stop = false;
const senders = clients.map(async (me, i) => {
  let n = 0;
  while (!stop) {
    const text = `m ${i} ${n}`;
    try {
      await me.c.say(text);
      me.sent++;
      n++;
    } catch {
      me.sayFailed++;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  me.lastN = n;
});
// Quitters: quit + roomChange in one tick, against both nodes.
async function quitters(count) {
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${ports[i % 2]}/ws`);
          ws.on("message", () => {
            ws.send(JSON.stringify({ event: "quit" }));
            ws.send(JSON.stringify({ event: "roomChange", params: { room: "ghostRoom" } }));
            ws.send(JSON.stringify({ event: "listenToRoom", params: { room: "ghostListen" } }));
          });
          ws.on("close", resolve);
          ws.on("error", resolve);
        }),
    ),
  );
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(1500);
await quitters(40);
await sleep(1000);
nodes[1].kill("SIGKILL");
await sleep(1500);
await startNode(1);
await sleep(2000);
await quitters(40);
nodes[0].kill("SIGTERM");
await new Promise((r) => nodes[0].once("exit", r));
await startNode(0);
await sleep(3000);
stop = true;
await Promise.all(senders);
await sleep(1500);
// Ghosts: a watcher joins ghostRoom on each node and reads its members.
const ghosts = [];
for (const port of ports) {
  const w = createClient({ url: `http://127.0.0.1:${port}`, transport: "ws", reconnect: false });
  await w.connect();
  await w.roomChange("ghostRoom");
  const view = await w.roomView();
  ghosts.push(view.data.membersCount - 1);
  w.disconnect();
}
let expected = 0,
  received = 0,
  dups = 0;
for (const [i, me] of clients.entries()) {
  for (const [j, other] of clients.entries()) {
    if (i === j) continue;
    for (let n = 0; n < other.sent; n++) {
      expected++;
      if (me.heard.has(`m ${j} ${n}`)) received++;
    }
  }
  dups += me.dup;
}
console.log(
  JSON.stringify({
    clients: clients.map((m) => ({ kind: m.label, node: m.node, dup: m.dup })),
    expected,
    received,
    lost: expected - received,
    lostPct: +((100 * (expected - received)) / expected).toFixed(1),
    duplicated: dups,
    ghostMembers: ghosts,
  }),
);
for (const me of clients) me.c.disconnect();
for (const n of nodes) n.kill("SIGTERM");
redis.kill();
setTimeout(() => process.exit(0), 1000);
