import { expect } from "chai";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

const MESSAGE = "x".repeat(8 * 1024);
const FLOOD = 2_000; // 16 MiB of chat in all

describe("slow consumers: a client that stops reading while its room is flooded", function () {
  this.timeout(30_000);
  let server: ActionwireServer;
  let clients: WsTestClient[] = [];
  let stalled: ChildProcess | undefined;

  const start = async (slowConsumer: "disconnect" | "drop") => {
    server = await startDemoServer({
      transports: ["ws"],
      limits: { maxBufferedBytes: 2 * 1024 * 1024, slowConsumer, rate: 1_000_000 },
    });
    const url = `${server.url.replace("http", "ws")}/ws`;
    const sender = await WsTestClient.connect(url);
    const reader = await WsTestClient.connect(url);
    clients = [sender, reader];
    // The stalled member is another process that stops reading once welcomed: the kernel's
    // buffers fill, then the server's backlog for it grows.
    const script = [
      `const { WebSocket } = require("ws");`,
      `const ws = new WebSocket(${JSON.stringify(url)});`,
      `ws.once("message", () => { ws._socket.pause(); ws._socket.removeAllListeners("data"); console.log("stalled"); });`,
      // A paused socket alone does not keep a process alive.
      `setInterval(() => {}, 60_000);`,
    ].join("\n");
    stalled = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    for await (const line of createInterface({ input: stalled.stdout! })) {
      if (line === "stalled") break;
    }
    await reader.next((m) => m.message === "I have entered the room");
    return { sender, reader };
  };

  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    if (stalled !== undefined && stalled.exitCode === null) {
      stalled.kill("SIGKILL");
      await once(stalled, "exit");
    }
    await server.stop();
  });

  /**
   * Floods the room in batches, each awaited by the healthy reader (which shares this process
   * with the server and must not fall behind itself), while the stalled member falls behind.
   */
  const flood = async (sender: WsTestClient, reader: WsTestClient) => {
    const rssBefore = process.memoryUsage().rss;
    const batch = 20;
    for (let start = 0; start < FLOOD; start += batch) {
      for (let i = start; i < start + batch; i++) {
        sender.sendRaw(JSON.stringify({ event: "say", params: { message: `${i}:${MESSAGE}` } }));
      }
      const last = `${start + batch - 1}:`;
      await reader.next((m) => typeof m.message === "string" && m.message.startsWith(last));
    }
    return process.memoryUsage().rss - rssBefore;
  };

  it("disconnects it (reason slow consumer); the others get everything", async () => {
    const { sender, reader } = await start("disconnect");
    const grew = await flood(sender, reader);
    expect(
      await reader.next((m) => m.message === "I have left the room"),
      "the stalled member was closed and announced as gone",
    ).to.include({ room: "defaultRoom" });
    expect(
      reader.inbox.received.filter(
        (m) => m.context === "user" && m.from !== undefined && String(m.message).length > 8000,
      ),
    ).to.have.length(FLOOD);
    expect(server.connectionCount).to.equal(2);
    console.log(
      `      RSS grew ${(grew / 1024 / 1024).toFixed(1)} MiB while 16 MiB went to a room with a stalled member`,
    );
  });

  it("drops pushes to it instead, with the drop policy, and keeps it connected", async () => {
    const { sender, reader } = await start("drop");
    const grew = await flood(sender, reader);
    expect(server.connectionCount).to.equal(3);
    console.log(`      RSS grew ${(grew / 1024 / 1024).toFixed(1)} MiB with the drop policy`);
  });
});
