import { expect } from "chai";
import { connect as tlsConnect } from "node:tls";
import { ConfigError } from "../../src/core/errors.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { selfSignedCert } from "../helpers/self-signed-cert.js";
import { TcpTestClient, tcpPort } from "../helpers/tcp-test-client.js";

describe("tcp transport: actionHero's TCP cases, and what only tcp does", () => {
  let server: ActionwireServer;
  let clients: TcpTestClient[] = [];

  const start = async (config = {}) => {
    server = await startDemoServer({
      transports: ["tcp"],
      tcp: { port: 0 },
      port: null,
      ...config,
    });
  };
  const connect = async () => {
    const client = await TcpTestClient.connect(tcpPort(server));
    clients.push(client);
    return client;
  };

  beforeEach(() => start());
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await server.stop();
  });

  it("welcomes on connect, in the default room", async () => {
    const client = await connect();
    expect(client.welcome).to.deep.include({ context: "api", room: "defaultRoom" });
  });

  it("answers an unknown action with its error", async () => {
    const client = await connect();
    expect(await client.lineReply("notARealAction", 1)).to.include({
      code: "ERR_UNKNOWN_ACTION",
      error: "notARealAction is not a known action",
    });
  });

  it("runs a plain action name", async () => {
    const client = await connect();
    const status = await client.lineReply("status", 1);
    expect(status).to.include({ context: "response", id: "test-node" });
    expect(status.connections).to.deep.equal({ tcp: 1 });
  });

  it("runs actionHero's JSON form, and our own JSON requests", async () => {
    const client = await connect();
    const reply = await client.lineReply(
      JSON.stringify({ action: "cacheTest", params: { key: "tcp", value: "works" } }),
      1,
    );
    expect((reply.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: "cacheTest_tcp",
      value: "works",
    });
    const own = await client.request("action", { action: "cacheTest", key: "k", value: "v" });
    expect(own).not.to.have.property("error");
  });

  it("carries long (16 KiB) keys and values", async () => {
    const client = await connect();
    const key = "k".repeat(16 * 1024);
    const value = "v".repeat(16 * 1024);
    const reply = await client.lineReply(
      JSON.stringify({ action: "cacheTest", params: { key, value } }),
      1,
    );
    expect((reply.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: `cacheTest_${key}`,
      value,
    });
  });

  it("shows details", async () => {
    const client = await connect();
    const details = (await client.lineReply("detailsView", 1)).data as Record<string, unknown>;
    expect(details).to.include({ transport: "tcp", remoteIP: "127.0.0.1", room: "defaultRoom" });
  });

  it("adds, views and deletes sticky params, and uses them under a request's own", async () => {
    const client = await connect();
    expect((await client.lineReply("paramAdd key=sticky", 1)).status).to.equal("OK");
    expect((await client.lineReply("paramAdd value=from tcp", 2)).status).to.equal("OK");
    expect((await client.lineReply("paramView key", 3)).data).to.equal("sticky");
    expect((await client.lineReply("paramsView", 4)).data).to.deep.equal({
      key: "sticky",
      value: "from tcp",
    });
    const sticky = await client.lineReply("cacheTest", 5);
    expect((sticky.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: "cacheTest_sticky",
      value: "from tcp",
    });
    const own = await client.lineReply(
      JSON.stringify({ action: "cacheTest", params: { key: "own" } }),
      6,
    );
    expect((own.cacheTestResults as { loadResp: { key: string } }).loadResp.key).to.equal(
      "cacheTest_own",
    );
    await client.lineReply("paramDelete key", 7);
    expect((await client.lineReply("paramView key", 8)).data).to.equal(null);
    await client.lineReply("paramsDelete", 9);
    expect((await client.lineReply("paramsView", 10)).data).to.deep.equal({});
  });

  it("limits actions in flight per connection", async () => {
    const client = await connect();
    for (let i = 0; i < 6; i++) {
      client.line(JSON.stringify({ action: "sleepTest", params: { sleepDuration: 150 } }));
    }
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => client.inbox.next((m) => m.messageCount === i + 1)),
    );
    expect(replies.filter((r) => r.code === "ERR_TOO_MANY_PENDING")).to.have.length(1);
  });

  it("counts members down on a change, with entered/left notices naming the mover", async () => {
    const a = await connect();
    const b = await connect();
    const bId = ((await b.lineReply("detailsView", 1)).data as { id: string }).id;
    expect(await a.inbox.next((m) => m.message === "I have entered the room")).to.include({
      from: bId,
    });
    expect(
      ((await a.lineReply("roomView", 1)).data as { membersCount: number }).membersCount,
    ).to.equal(2);
    await b.lineReply("roomChange otherRoom", 2);
    expect(await a.inbox.next((m) => m.message === "I have left the room")).to.include({
      from: bId,
    });
    expect(
      ((await a.lineReply("roomView", 2)).data as { membersCount: number }).membersCount,
    ).to.equal(1);
  });

  it("hears say in the room and not outside it; listens and silences", async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    await c.lineReply("roomChange elsewhere", 1);
    await a.lineReply("say hello there", 1);
    expect(await b.inbox.next((m) => m.message === "hello there")).to.include({
      room: "defaultRoom",
    });
    await c.lineReply("listenToRoom defaultRoom", 2);
    await a.lineReply("say now c hears", 2);
    expect(await c.inbox.next((m) => m.message === "now c hears")).to.include({
      room: "defaultRoom",
    });
    expect(c.inbox.received.some((m) => m.message === "hello there")).to.equal(false);
    await c.lineReply("silenceRoom defaultRoom", 3);
    await a.lineReply("say unheard", 3);
    await b.inbox.next((m) => m.message === "unheard");
    await c.lineReply("roomView", 4); // c's socket is in order: a push would have come before
    expect(c.inbox.received.some((m) => m.message === "unheard")).to.equal(false);
  });

  it("refuses a room join through an authorization hook", async () => {
    await server.stop();
    await start({ roomHooks: { authorizeJoin: (_c: unknown, room: string) => room !== "vault" } });
    const client = await connect();
    expect(await client.lineReply("roomChange vault", 1)).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to join room",
    });
  });

  it("disconnects from the server side, with the goodbye", async () => {
    const client = await connect();
    const id = ((await client.lineReply("detailsView", 1)).data as { id: string }).id;
    await server.disconnect(id);
    expect(await client.inbox.next((m) => m.context === "api")).to.include({
      reason: "disconnected by server",
    });
    await client.closed;
  });

  it("answers the requests before a quit, then says goodbye", async () => {
    const client = await connect();
    client.socket.write("roomView\r\nquit\r\n");
    const first = await client.inbox.next();
    expect(first).to.include({ context: "response", messageCount: 1, status: "OK" });
    expect(await client.inbox.next()).to.include({ context: "api", reason: "quit" });
    await client.closed;
  });

  it("says goodbye on quit and on shutdown", async () => {
    const quitter = await connect();
    const stayer = await connect();
    quitter.line("quit");
    expect(await quitter.inbox.next((m) => m.context === "api")).to.include({ reason: "quit" });
    await quitter.closed;
    await server.stop();
    expect(await stayer.inbox.next((m) => m.context === "api")).to.include({
      reason: "server shutdown",
    });
    await stayer.closed;
  });

  it("answers a line over the limit with ERR_MESSAGE_TOO_LARGE, then closes", async () => {
    await server.stop();
    await start({ limits: { maxMessageBytes: 1024 } });
    const client = await connect();
    const neighbour = await connect();
    client.socket.write("say " + "x".repeat(3000)); // no newline yet: the buffer alone is too big
    expect(await client.inbox.next((m) => m.context === "response")).to.include({
      code: "ERR_MESSAGE_TOO_LARGE",
      messageCount: 1,
    });
    expect(await client.inbox.next((m) => m.context === "api")).to.include({
      reason: "message too large",
    });
    await client.closed;
    expect((await neighbour.lineReply("roomView", 1)).status).to.equal("OK");
  });

  it("takes a first word that names an Object.prototype member as an action name", async () => {
    const client = await connect();
    for (const [i, word] of ["valueOf", "__proto__", "constructor", "toString"].entries()) {
      expect(await client.lineReply(`${word} x`, i + 1)).to.include({ code: "ERR_UNKNOWN_ACTION" });
    }
  });

  it("ignores empty lines and accepts \\n alone", async () => {
    const client = await connect();
    client.socket.write("\r\n\n   \n");
    client.socket.write("detailsView\n");
    expect((await client.inbox.next((m) => m.context === "response")).messageCount).to.equal(1);
  });

  it("says goodbye (timeout) to a connection idle for tcp.idleTimeoutMs, then closes it", async () => {
    await server.stop();
    await start({ tcp: { port: 0, idleTimeoutMs: 100 } });
    const client = await connect();
    expect(await client.inbox.next((m) => m.context === "api")).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "timeout",
    });
    await client.closed;
    expect(server.connectionCount).to.equal(0);
  });

  it("validates the heartbeat options", async () => {
    expect(server.config.transportOptions.tcp).to.include({
      idleTimeoutMs: 0,
      keepAliveMs: 30_000,
    });
    for (const [tcp, message] of [
      [{ idleTimeoutMs: -1 }, "config.tcp.idleTimeoutMs must be at least 0."],
      [{ keepAliveMs: 500 }, "config.tcp.keepAliveMs must be 0 (off) or at least 1000"],
      [{ keepAliveMs: 1.5 }, "config.tcp.keepAliveMs must be an integer."],
    ] as const) {
      expect(() => createServer({ transports: ["tcp"], tcp }), message).to.throw(
        ConfigError,
        message,
      );
    }
  });

  it("speaks TLS when configured", async () => {
    await server.stop();
    await start({ tcp: { port: 0, tls: selfSignedCert() } });
    const socket = tlsConnect({
      port: tcpPort(server),
      host: "127.0.0.1",
      rejectUnauthorized: false,
    });
    const first = await new Promise<string>((resolve) =>
      socket.once("data", (d) => resolve(String(d))),
    );
    expect(JSON.parse(first.split("\r\n")[0]!)).to.include({ context: "api", room: "defaultRoom" });
    socket.destroy();
  });
});
