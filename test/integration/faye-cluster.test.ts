import { expect } from "chai";
import { Redis } from "ioredis";
import { once } from "node:events";
import {
  Agent,
  createServer as createHttpServer,
  request as httpRequest,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type { ContractClient } from "../../src/testing/contract-client.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { BayeuxSocket } from "../helpers/bayeux-socket.js";
import { FayeContractClient } from "../helpers/faye-contract-client.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { wsContract } from "../helpers/ws-contract-client.js";

/**
 * A plain round-robin HTTP proxy on loopback: each incoming request goes to the next backend,
 * whoever sent it (no stickiness). Counts what each backend was sent.
 */
class RoundRobinProxy {
  readonly sent: number[];
  #next = 0;
  readonly #agent = new Agent({ keepAlive: true });

  private constructor(
    readonly server: Server,
    private readonly backends: readonly string[],
  ) {
    this.sent = backends.map(() => 0);
  }

  static async start(backends: readonly string[]): Promise<RoundRobinProxy> {
    const server = createHttpServer();
    const proxy = new RoundRobinProxy(server, backends);
    server.on("request", (request, response) => {
      const index = proxy.#next;
      proxy.#next = (index + 1) % backends.length;
      proxy.sent[index]!++;
      const target = new URL(request.url ?? "/", proxy.backends[index]);
      const forwarded = httpRequest(
        target,
        { method: request.method, headers: request.headers, agent: proxy.#agent },
        (upstream) => {
          response.writeHead(upstream.statusCode ?? 502, upstream.headers);
          upstream.pipe(response);
        },
      );
      forwarded.on("error", () => response.destroy());
      request.pipe(forwarded);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const closed = once(this.server, "close");
    this.server.close();
    this.server.closeAllConnections();
    this.#agent.destroy();
    await closed;
  }
}

describe("faye long-polling behind a round-robin proxy (Redis cluster, no sticky sessions)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let a: ActionwireServer;
  let b: ActionwireServer;
  let proxy: RoundRobinProxy;
  let clients: ContractClient[] = [];

  const startNode = (nodeId: string) =>
    startDemoServer({
      nodeId,
      // ws only for the clients connected straight to one node; the one under test is faye.
      transports: ["faye", "ws"],
      redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
    });
  const track = <T extends ContractClient>(client: T): T => {
    clients.push(client);
    return client;
  };
  const throughProxy = async () =>
    track(await FayeContractClient.connect(`${proxy.url}/faye`, "long-polling"));
  const idOf = async (client: ContractClient) =>
    ((await client.request("detailsView")).data as { id: string }).id;
  const said = (client: ContractClient, message: string, from?: string) =>
    client.inbox.next(
      (m) =>
        m.context === "user" && m.message === message && (from === undefined || m.from === from),
    );
  const roomView = async (client: ContractClient) =>
    (await client.request("roomView")).data as { members: string[]; membersCount: number };

  before(async () => {
    redis = await RedisProcess.start();
  });

  after(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    [a, b] = await Promise.all([startNode("a"), startNode("b")]);
    proxy = await RoundRobinProxy.start([a.url, b.url]);
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await Promise.all([a.stop(), b.stop()]);
    await proxy.stop();
  });

  it("does not ask for sticky sessions when faye runs with Redis", () => {
    expect(a.transport("faye").capabilities.needsStickySessions).to.equal(false);
    expect(a.warnings.some((w) => w.includes("sticky"))).to.equal(false);
  });

  it("keeps its session records in the cluster bus's store, opening no Redis connection of its own", async () => {
    const inspector = new Redis(redis.url);
    try {
      const faye = await throughProxy();
      const owner = await inspector.get(`actionwire:faye:client:${faye.wire.clientId}`);
      expect([a.url, b.url]).to.include(owner);
      const connections = String(await inspector.call("CLIENT", "LIST"))
        .trim()
        .split("\n");
      // Each node's bus holds two (commands and subscriptions), and this one.
      expect(connections).to.have.length(2 * 2 + 1);
    } finally {
      inspector.disconnect();
    }
  });

  it("runs actions, chats both ways, changes rooms and quits", async () => {
    const onA = track(await wsContract().connect(a));
    const onB = track(await wsContract().connect(b));
    const faye = await throughProxy();
    const [aId, bId, fayeId] = [await idOf(onA), await idOf(onB), await idOf(faye)];
    expect(await said(onA, "I have entered the room", fayeId)).to.include({ room: "defaultRoom" });

    const action = await faye.request("action", { action: "cacheTest", key: "k", value: "v" });
    expect(action.cacheTestResults).to.deep.include({
      loadResp: { key: "cacheTest_k", value: "v" },
    });

    const view = await roomView(faye);
    expect(view.membersCount).to.equal(3);
    expect(view.members).to.have.members([aId, bId, fayeId]);

    await faye.request("say", { message: "from faye" });
    await said(onA, "from faye", fayeId);
    await said(onB, "from faye", fayeId);
    await onA.request("say", { message: "from a" });
    await said(faye, "from a", aId);
    await onB.request("say", { message: "from b" });
    await said(faye, "from b", bId);

    await faye.request("roomChange", { room: "kitchen" });
    await said(onA, "I have left the room", fayeId);
    await said(onB, "I have left the room", fayeId);
    expect((await roomView(onA)).membersCount).to.equal(2);
    await onB.request("roomChange", { room: "kitchen" });
    await said(faye, "I have entered the room", bId);
    const kitchen = await roomView(faye);
    expect(kitchen.membersCount).to.equal(2);
    expect(kitchen.members).to.have.members([fayeId, bId]);

    // Both nodes got the client's requests, and it kept its one faye session all along: the
    // node without the session forwarded them instead of making the client handshake again.
    expect(proxy.sent[0]).to.be.greaterThan(2);
    expect(proxy.sent[1]).to.be.greaterThan(2);
    expect(faye.wire.handshakes).to.have.length(1);
    expect(a.connectionCount + b.connectionCount).to.equal(3);

    faye.send("quit");
    expect(await faye.inbox.next((m) => m.context === "api")).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "quit",
    });
    await faye.closed;
    await said(onB, "I have left the room", fayeId);
    expect((await roomView(onB)).members).to.deep.equal([bId]);
    expect(a.connectionCount + b.connectionCount).to.equal(2);
  });

  it("ends the connection when the client disconnects", async () => {
    const onA = track(await wsContract().connect(a));
    const faye = await throughProxy();
    const fayeId = await idOf(faye);
    await said(onA, "I have entered the room", fayeId);
    await faye.close();
    await said(onA, "I have left the room", fayeId);
    expect((await roomView(onA)).membersCount).to.equal(1);
    expect(a.connectionCount + b.connectionCount).to.equal(1);
  });

  it("serves the client after the server disconnects it, wherever its polls go", async () => {
    const onB = track(await wsContract().connect(b));
    const faye = await throughProxy();
    const fayeId = await idOf(faye);
    await said(onB, "I have entered the room", fayeId);
    // Either node finds the connection through the cluster bus.
    expect(await b.disconnect(fayeId)).to.equal(true);
    expect(await faye.inbox.next((m) => m.context === "api")).to.include({
      reason: "disconnected by server",
    });
    await faye.closed;
    await said(onB, "I have left the room", fayeId);
    // A new client through the proxy gets a new connection.
    const again = await throughProxy();
    expect(await idOf(again)).not.to.equal(fayeId);
    expect(a.connectionCount + b.connectionCount).to.equal(2);
  });
});

describe("faye WebSocket relayed to its session's node (Redis cluster, raw Bayeux)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let a: ActionwireServer;
  let b: ActionwireServer;
  let sockets: BayeuxSocket[] = [];
  let tracked: ContractClient[] = [];
  const track = (client: ContractClient) => {
    tracked.push(client);
    return client;
  };
  const watcherSaid = (client: ContractClient, message: string) =>
    client.inbox.next((m) => m.context === "user" && m.message === message);

  /** A session made over HTTP on `node` (its handshake), as faye's client makes it. */
  const handshake = async (node: ActionwireServer) => {
    const response = await fetch(`${node.url}/faye`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { channel: "/meta/handshake", version: "1.0", supportedConnectionTypes: ["websocket"] },
      ]),
    });
    const [reply] = (await response.json()) as Array<{ clientId: string }>;
    return reply!.clientId;
  };
  const open = async (node: ActionwireServer) => {
    const socket = await BayeuxSocket.open(`${node.url}/faye`);
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    redis = await RedisProcess.start();
  });

  after(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    const startNode = (nodeId: string) =>
      startDemoServer({
        nodeId,
        // ws for the watcher; the sockets under test are faye's.
        transports: ["faye", "ws"],
        redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
        limits: { maxMessageBytes: 1024 },
      });
    [a, b] = await Promise.all([startNode("a"), startNode("b")]);
  });

  afterEach(async () => {
    await Promise.all([...sockets, ...tracked].map((each) => each.close()));
    sockets = [];
    tracked = [];
    await Promise.all([a.stop(), b.stop()]);
  });

  it("serves the socket where it landed when the session's node cannot be reached: faye says unknown client", async () => {
    const clientId = await handshake(a);
    // The record names a node that is gone (a port nothing listens on).
    const inspector = new Redis(redis.url);
    try {
      await inspector.set(`actionwire:faye:client:${clientId}`, "http://127.0.0.1:1", "PX", 60_000);
    } finally {
      inspector.disconnect();
    }
    const socket = await open(b);
    expect(
      await socket.exchange({ channel: "/meta/connect", clientId, connectionType: "websocket" }),
    ).to.include({ successful: false, error: `401:${clientId}:Unknown client` });
    expect(a.connectionCount + b.connectionCount).to.equal(0);
  });

  it("passes backpressure through: a relayed client that stops reading is the owner's slow consumer", async () => {
    // Nodes of their own, with a small backlog bound and no rate limit for the flood.
    await Promise.all([a.stop(), b.stop()]);
    const startNode = (nodeId: string) =>
      startDemoServer({
        nodeId,
        transports: ["faye", "ws"],
        redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
        limits: { maxBufferedBytes: 256 * 1024, slowConsumer: "disconnect", rate: 1_000_000 },
      });
    [a, b] = await Promise.all([startNode("a"), startNode("b")]);
    const sender = track(await wsContract().connect(a));
    const reader = track(await wsContract().connect(a));
    const clientId = await handshake(a);
    const socket = await open(b);
    const out = `/actionwire/out/${clientId}`;
    await socket.exchange({ channel: "/meta/subscribe", clientId, subscription: out });
    socket.send({ channel: "/meta/connect", clientId, connectionType: "websocket" });
    await socket.next(out);
    // The relayed client's own notice: the reader may also hear the sender's, which reaches it
    // through Redis after the reader joined.
    const known = new Set<unknown>();
    for (const client of [sender, reader])
      known.add(((await client.request("detailsView")).data as { id: string }).id);
    const stalled = (
      await reader.inbox.next((m) => m.message === "I have entered the room" && !known.has(m.from))
    ).from;
    // It stops reading: the kernel's buffers fill, then the relay's socket to it backs up.
    socket.stopReading();
    const message = "x".repeat(8 * 1024);
    const left = reader.inbox.next(
      (m) => m.message === "I have left the room" && m.from === stalled,
    );
    let gone = false;
    void left.then(() => (gone = true));
    // Up to 64 MiB, in batches a reader hears: the owner (a) sees the backlog through
    // the relay (b) and closes the connection long before.
    for (let batch = 0; batch < 400 && !gone; batch++) {
      for (let i = 0; i < 20; i++) sender.send("say", { message: `${batch}:${i}:${message}` });
      await reader.inbox.next((m) => m.message === `${batch}:19:${message}`);
    }
    await left;
    expect(a.connectionCount).to.equal(2);
    // (It reads nothing, not even a close.)
    socket.socket.terminate();
  });

  it("ends the relayed connection on a frame over the bound, as its own node would", async () => {
    const watcher = track(await wsContract().connect(a));
    const clientId = await handshake(a);
    const socket = await open(b);
    const out = `/actionwire/out/${clientId}`;
    const connect = { channel: "/meta/connect", clientId, connectionType: "websocket" };
    expect(
      await socket.exchange({ channel: "/meta/subscribe", clientId, subscription: out }),
    ).to.include({ successful: true });
    socket.send(connect);
    expect((await socket.next(out)).data).to.include({ context: "api", room: "defaultRoom" });
    // The connection lives on a, the session's node; b only relays its socket.
    expect([a.connectionCount, b.connectionCount]).to.deep.equal([2, 0]);
    const entered = await watcherSaid(watcher, "I have entered the room");
    // A frame header announcing 64 MiB: b refuses it (1009), and a ends the connection.
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(64 * 1024 * 1024), 2);
    socket.writeRaw(Buffer.concat([header, Buffer.from("[{}]")]));
    expect(await socket.closed).to.equal(1009);
    expect(await watcherSaid(watcher, "I have left the room")).to.include({ from: entered.from });
    // The refusal and the goodbye wait for the client's next poll, on a new socket.
    const again = await open(a);
    again.send(connect);
    expect((await again.next(out)).data).to.deep.include({ code: "ERR_MESSAGE_TOO_LARGE" });
    expect((await again.next(out)).data).to.include({ reason: "message too large" });
  });
});
