import { expect } from "chai";
import { request as httpRequest } from "node:http";
import { io } from "socket.io-client";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { burstTexts, heardBurst } from "../helpers/burst.js";
import { countServerWrites } from "../helpers/server-writes.js";
import { connectSocketIo } from "../helpers/socketio-contract-client.js";

describe("socketio transport: what only socket.io does (the rest is the contract suite)", () => {
  let server: ActionwireServer;
  const sockets: Array<{ disconnect(): void }> = [];

  beforeEach(async () => {
    server = await startDemoServer({ transports: ["socketio"] });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await server.stop();
  });

  it("sends the reply to the ack callback only, when the emit has one", async () => {
    const { socket, inbox } = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(socket);
    const reply = await socket.emitWithAck("action", { action: "cacheTest", key: "k", value: 1 });
    expect(reply).to.include({ context: "response", messageCount: 1 });
    expect(reply.cacheTestResults.loadResp).to.deep.equal({ key: "cacheTest_k", value: 1 });
    const error = await socket.emitWithAck("roomChange", {});
    expect(error).to.include({ code: "ERR_MISSING_PARAM", messageCount: 2 });
    await socket.emitWithAck("roomView", { messageId: "last" });
    expect(inbox.received.filter((m) => m.context === "response")).to.have.length(0);
  });

  it("takes no payload as {} and a messageId inside the payload out of the params", async () => {
    const { socket } = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(socket);
    const view = await socket.emitWithAck("paramsView");
    expect(view).to.include({ status: "OK" });
    const echo = await socket.emitWithAck("action", { action: "echo", x: 1, messageId: 9 });
    expect(echo).to.deep.include({ messageId: 9, echo: { x: 1 } });
  });

  it("answers an event that is no verb with a code, whatever its name, and keeps serving", async () => {
    const { socket } = await connectSocketIo(server.url, ["websocket"]);
    const neighbour = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(socket, neighbour.socket);
    // socket.io's parser lets a number through as an event name; "error" is no reserved name.
    const numeric = await (
      socket as unknown as { emitWithAck(event: number, payload: unknown): Promise<unknown> }
    ).emitWithAck(42, {});
    expect(numeric).to.include({ code: "ERR_BAD_MESSAGE", messageCount: 1 });
    expect(await socket.emitWithAck("error", { boom: true })).to.include({
      code: "ERR_UNKNOWN_VERB",
      error: "error is not a known verb",
    });
    expect(await socket.emitWithAck("roomView", "not an object")).to.include({
      code: "ERR_BAD_MESSAGE",
    });
    expect(await socket.emitWithAck("roomView")).to.include({ status: "OK" });
    expect(await neighbour.socket.emitWithAck("roomView")).to.include({ status: "OK" });
  });

  it("delivers a room message to many sockets in one broadcast", async () => {
    const listeners = await Promise.all(
      Array.from({ length: 5 }, () => connectSocketIo(server.url, ["websocket"])),
    );
    const speaker = await connectSocketIo(server.url, ["polling"]);
    sockets.push(...listeners.map((l) => l.socket), speaker.socket);
    await speaker.socket.emitWithAck("say", { message: "to everyone" });
    const heard = await Promise.all(
      listeners.map((l) => l.inbox.next((m) => m.message === "to everyone")),
    );
    expect(heard.map((m) => m.room)).to.deep.equal(Array(5).fill("defaultRoom"));
  });

  it("delivers a burst to a room whole and in order, on a WebSocket from the start or upgraded from polling", async () => {
    // A WebSocket transport's flush of queued packets is written corked (one writev); the
    // upgraded socket's new transport gets the same treatment.
    const members = await Promise.all([
      connectSocketIo(server.url, ["websocket"]),
      connectSocketIo(server.url, ["polling", "websocket"]),
      connectSocketIo(server.url, ["polling"]),
    ]);
    const upgraded = members[1]!.socket.io.engine;
    if (upgraded.transport.name !== "websocket") {
      await new Promise((resolve) => upgraded.once("upgrade", resolve));
    }
    const sender = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(...members.map((m) => m.socket), sender.socket);
    const texts = burstTexts(200);
    for (const [i, text] of texts.entries())
      sender.socket.emit("say", { message: text, messageId: i });
    for (const member of members) await member.inbox.next((m) => m.message === texts.at(-1));
    for (const member of members) expect(heardBurst(member.inbox)).to.deep.equal(texts);
  });

  it("writes the packets queued during one write in one system call (50 alerts: 2 writes, not 50)", async () => {
    const member = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(member.socket);
    const details = (await member.socket.emitWithAck("detailsView")).data as {
      id: string;
      remotePort: number;
    };
    const writes = countServerWrites(details.remotePort);
    try {
      // One tick: the first alert is written, the other 49 queue behind it in engine.io and
      // leave in its next flush, corked into one write.
      for (let i = 0; i < 50; i++) void server.alert(details.id, `alert ${i}`);
      await member.inbox.next((m) => m.message === "alert 49");
    } finally {
      writes.restore();
    }
    const alerts = member.inbox.received.filter((m) => m.context === "alert");
    expect(alerts.map((m) => m.message)).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => `alert ${i}`),
    );
    expect(writes.count, "server writes on the member's socket").to.be.at.most(3);
  });

  it("drops a connection whose packet is over the frame limit, and serves the others", async () => {
    await server.stop();
    server = await startDemoServer({ transports: ["socketio"], limits: { maxMessageBytes: 1024 } });
    const big = await connectSocketIo(server.url, ["websocket"]);
    const neighbour = await connectSocketIo(server.url, ["websocket"]);
    sockets.push(big.socket, neighbour.socket);
    big.socket.emit("say", { message: "x".repeat(4096) });
    await big.closed;
    expect(await neighbour.socket.emitWithAck("roomView")).to.include({ status: "OK" });
    expect(neighbour.inbox.received.some((m) => String(m.message).startsWith("xxx"))).to.equal(
      false,
    );
  });

  it("serves its browser client at /socket.io/socket.io.js", async () => {
    const { status, type } = await new Promise<{ status: number; type: string }>(
      (resolve, reject) =>
        httpRequest(`${server.url}/socket.io/socket.io.js`, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]) });
        })
          .on("error", reject)
          .end(),
    );
    expect(status).to.equal(200);
    expect(type).to.match(/javascript/);
  });

  it("refuses websocket clients when configured for polling only", async () => {
    await server.stop();
    server = await startDemoServer({
      transports: ["socketio"],
      socketio: { transports: ["polling"] },
    });
    expect(server.transport("socketio").capabilities.needsStickySessions).to.equal(true);
    const socket = io(server.url, { transports: ["websocket"], reconnection: false });
    sockets.push(socket);
    const error = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
    expect(error).to.be.instanceOf(Error);
  });
});
