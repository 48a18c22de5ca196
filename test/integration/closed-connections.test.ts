import { expect } from "chai";
import { connect as netConnect } from "node:net";
import { WebSocket } from "ws";
import { io } from "socket.io-client";
import type { Connection } from "../../src/core/connection.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { TcpTestClient, tcpPort } from "../helpers/tcp-test-client.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

/** Resolves once `condition` holds, checked after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("a closing or closed connection acts no more", () => {
  let server: ActionwireServer;
  const closers: (() => unknown)[] = [];
  /** Connections whose `authenticate` verdict the test gives (while `hold` is set). */
  const held: { connection: Connection; verdict: (accepted: boolean) => void }[] = [];
  let hold = false;

  beforeEach(async () => {
    hold = false;
    server = await startDemoServer({
      transports: ["ws", "socketio", "tcp"],
      tcp: { port: 0, host: "127.0.0.1" },
      authenticate: (connection) =>
        !hold || new Promise<boolean>((verdict) => held.push({ connection, verdict })),
    });
  });

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    held.length = 0;
    await server.stop();
  });

  const observer = async () => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    closers.push(() => client.close());
    return client;
  };

  /** The observer moves to `room` and reads its members: itself only, if nobody got in. */
  const membersOf = async (client: WsTestClient, room: string) => {
    await client.request("roomChange", { room });
    return ((await client.request("roomView")).data as { members: string[] }).members;
  };

  /** Holds the next connection in `authenticate` until it has sent one request, then refuses it. */
  const refuseAfterOneRequest = async () => {
    await until(() => held.length === 1 && held[0]!.connection.messageCount === 1);
    held[0]!.verdict(false);
  };

  for (const transport of ["ws", "socketio", "tcp"] as const) {
    it(`runs none of the requests a connection sent while authenticate refused it (${transport})`, async () => {
      const watcher = await observer();
      const watcherId = ((await watcher.request("detailsView")).data as { id: string }).id;
      hold = true;
      let closed: Promise<unknown>;
      const request = JSON.stringify({ event: "roomChange", params: { room: "ghostRoom" } });
      if (transport === "ws") {
        const socket = new WebSocket(`${server.url.replace("http", "ws")}/ws`);
        socket.on("open", () => socket.send(request));
        closed = new Promise((resolve) => socket.on("close", resolve));
      } else if (transport === "socketio") {
        const socket = io(server.url, { transports: ["websocket"], reconnection: false });
        socket.emit("roomChange", { room: "ghostRoom" });
        closed = new Promise((resolve) => socket.on("disconnect", resolve));
        closers.push(() => socket.close());
      } else {
        const socket = netConnect(tcpPort(server), "127.0.0.1", () => socket.write(`${request}\n`));
        socket.resume(); // read to the end, or the close never comes
        closed = new Promise((resolve) => socket.on("close", resolve));
        closers.push(() => socket.destroy());
      }
      await refuseAfterOneRequest();
      await closed;
      expect(await membersOf(watcher, "ghostRoom")).to.deep.equal([watcherId]);
    });
  }

  it("runs nothing after a tcp line over the limit, in the same write", async () => {
    await server.stop();
    server = await startDemoServer({
      transports: ["ws", "tcp"],
      tcp: { port: 0, host: "127.0.0.1" },
      limits: { maxMessageBytes: 1024 },
    });
    const watcher = await observer();
    const watcherId = ((await watcher.request("detailsView")).data as { id: string }).id;
    const client = await TcpTestClient.connect(tcpPort(server));
    closers.push(() => client.socket.destroy());
    client.socket.write(`say ${"x".repeat(2000)}\nroomChange ghostRoom\n`);
    await client.closed;
    expect(client.inbox.received.slice(1).map((m) => m.code ?? m.reason)).to.deep.equal([
      "ERR_MESSAGE_TOO_LARGE",
      "message too large",
    ]);
    expect(await membersOf(watcher, "ghostRoom")).to.deep.equal([watcherId]);
  });
});
