// Regenerates docs/images/admin-page.png: the admin page (docs/operating.md, "The live
// inspection page") of two demo nodes on their own redis-server, with known traffic: ws clients
// in a few rooms on both nodes, a steady trickle of actions and chat, a few failed requests.
// Headless Chromium at /usr/bin/chromium (CHROMIUM_PATH elsewhere). Run after
// `npm run build && npx tsc -p tsconfig.json`:
//   node scripts/admin-screenshot.mjs [out=docs/images/admin-page.png]
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { URL } from "node:url";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const out = process.argv[2] ?? `${root}/docs/images/admin-page.png`;
const TOKEN = "screenshot-admin-token-0123456789";

await import("reflect-metadata");
const { startDemoServer } = await import(`${root}/build/src/testing/demo-server.js`);
const { RedisProcess } = await import(`${root}/build/test/helpers/redis-process.js`);
const { WsTestClient } = await import(`${root}/build/test/helpers/ws-test-client.js`);
const { launchChromium } = await import(`${root}/build/test/helpers/chromium.js`);

const redis = await RedisProcess.start();
const nodes = [];
for (const nodeId of ["node-a", "node-b"]) {
  nodes.push(
    await startDemoServer({
      nodeId,
      transports: ["ws", "socketio", "faye"],
      redis: { url: redis.url, heartbeatMs: 200, nodeTimeoutMs: 1_000 },
      admin: { token: TOKEN },
    }),
  );
}
const clients = [];
const rooms = { lobby: 14, "support-eu": 9, "support-us": 7, "game:4711": 5, "game:4712": 3 };
let n = 0;
for (const [room, members] of Object.entries(rooms)) {
  for (let i = 0; i < members; i++) {
    const node = nodes[n++ % nodes.length];
    const client = await WsTestClient.connect(`${node.url.replace("http", "ws")}/ws`);
    await client.request("roomChange", { room });
    clients.push(client);
  }
}
// Traffic for the rates and the latency: echo actions, chat, and some failures.
let tick = 0;
const traffic = setInterval(() => {
  tick++;
  for (const [i, client] of clients.entries()) {
    if ((i + tick) % 3 === 0) void client.action("echo", { message: "hi" });
    if ((i + tick) % 7 === 0) void client.request("say", { message: `hello ${tick}` });
  }
  if (tick % 10 === 0) void clients[tick % clients.length].action("noSuchAction");
  void clients[tick % clients.length].action("sleepTest", { sleepDuration: 20 + (tick % 5) * 10 });
}, 100);
// Let the rates fill a few seconds of their window.
await sleep(8_000);

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (error) => console.error("page error:", String(error)));
  await page.goto(`${nodes[0].url}/actionwire/admin#token=${TOKEN}`);
  await page.locator('#rooms tr[data-room="lobby"] td.members', { hasText: /^14$/ }).waitFor();
  // Look a connection up, so the lookup table shows in the picture.
  const details = await clients[0].request("detailsView");
  await page.fill("#lookup-value", details.data.id);
  await page.click('#lookup-form button[type="submit"]');
  await page.locator(`#connections tr[data-connection="${details.data.id}"]`).waitFor();
  await page.waitForTimeout(2_500);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  clearInterval(traffic);
  await browser.close();
  for (const client of clients) client.socket.terminate();
  for (const node of nodes) await node.stop();
  await redis.stop();
}
