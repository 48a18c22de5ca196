import { expect } from "chai";
import faye, { type Client, type Message as Bayeux } from "faye";
import { ActionwireClient, type ServerPayload } from "../../src/client/index.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { MessageInbox } from "../../src/core/message-inbox.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { fayeEndpoint } from "../helpers/faye-contract-client.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { BayeuxSocket } from "../helpers/bayeux-socket.js";
import { watchUpgrades } from "../helpers/watch-upgrades.js";

type Reply = Record<string, unknown>;

/** The Bayeux errors of a refused handshake (adapters/faye/faye-pending-sessions.ts). */
const FROM_ADDRESS = "429::Too many sessions waiting to subscribe from this address";
const ON_SERVER = "503::Too many sessions waiting to subscribe on this server";

/** Test servers trust the loopback proxy: a test picks its client's address per request. */
const TRUSTED = { trustedProxies: ["127.0.0.1"] };

const HANDSHAKE = {
  channel: "/meta/handshake",
  version: "1.0",
  supportedConnectionTypes: ["long-polling"],
};

/** One raw Bayeux exchange over HTTP, as a client at `address` (X-Forwarded-For). */
async function bayeux(
  endpoint: string,
  messages: unknown[],
  options: { address?: string; headers?: Record<string, string> } = {},
): Promise<Reply[]> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.address !== undefined) headers["x-forwarded-for"] = options.address;
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { ...headers, ...options.headers },
    body: JSON.stringify(messages),
  });
  return (await response.json()) as Reply[];
}

async function handshake(endpoint: string, address?: string): Promise<Reply> {
  const [reply] = await bayeux(endpoint, [HANDSHAKE], address === undefined ? {} : { address });
  return reply!;
}

const connect = (clientId: unknown) => ({
  channel: "/meta/connect",
  clientId,
  connectionType: "long-polling",
});

/** A probe that does not count as a poll: `401` once faye no longer knows the session. */
const probe = (clientId: unknown) => ({
  channel: "/meta/unsubscribe",
  clientId,
  subscription: "/probe",
});

const out = (clientId: unknown) => `/actionwire/out/${String(clientId)}`;

/** faye's answer to a session it no longer knows. */
const unknownClient = (clientId: unknown) => ({
  successful: false,
  error: `401:${String(clientId)}:Unknown client`,
});

/**
 * Polls as a client that never subscribes: `/meta/connect` after `/meta/connect` (faye holds
 * each for up to its timeout, 45 s, unless the session has something to deliver or ends), until
 * one is refused. Returns the refusal and how many polls were answered before it.
 */
async function pollUntilRefused(
  endpoint: string,
  clientId: unknown,
): Promise<{ refusal: Reply; answered: number }> {
  for (let answered = 0; ; answered++) {
    const [reply] = await bayeux(endpoint, [connect(clientId)]);
    if (reply?.successful !== true) return { refusal: reply ?? {}, answered };
  }
}

/** Polls (and sends `messages` with the first poll) until a delivery matches. */
async function pollFor(
  endpoint: string,
  clientId: unknown,
  messages: unknown[],
  match: (data: Reply) => boolean,
): Promise<Reply> {
  let batch = [...messages, connect(clientId)];
  for (;;) {
    const replies = await bayeux(endpoint, batch);
    expect(replies.find((reply) => reply.channel === "/meta/connect")).to.include({
      successful: true,
    });
    const found = replies
      .filter((reply) => reply.channel === out(clientId))
      .map((reply) => reply.data as Reply)
      .find(match);
    if (found !== undefined) return found;
    batch = [connect(clientId)];
  }
}

/** A refused handshake: the Bayeux error, no session, and advice to retry later (not at once). */
function expectRefused(reply: Reply | undefined, error: string): void {
  expect(reply).to.include({ channel: "/meta/handshake", successful: false, error });
  expect(reply).not.to.have.property("clientId");
  expect(reply?.advice).to.include({ reconnect: "retry" });
}

/** `count` handshakes from one address (`address(i)`), `parallel` at a time, in order of start. */
async function flood(
  endpoint: string,
  count: number,
  address: (i: number) => string,
  parallel = 8,
): Promise<{ replies: Reply[]; ms: number }> {
  const replies: Reply[] = [];
  let started = 0;
  const loop = async () => {
    while (started < count) {
      const i = started++;
      replies[i] = await handshake(endpoint, address(i));
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: parallel }, loop));
  return { replies, ms: Math.round(performance.now() - begun) };
}

/**
 * faye's own Node client over long-polling, as a client at `address`, retrying a refused
 * handshake every 50 ms (faye's default is 5 s). Records every handshake reply.
 */
class RealFayeClient {
  readonly handshakes: Reply[] = [];
  readonly #refused = new MessageInbox<Reply>();
  readonly client: Client;

  constructor(endpoint: string, address?: string) {
    this.client = new faye.Client(endpoint, { retry: 0.05 });
    this.client.disable("websocket");
    if (address !== undefined) this.client.setHeader("X-Forwarded-For", address);
    this.client.addExtension({
      incoming: (message: Bayeux, callback) => {
        if (message.channel === "/meta/handshake") {
          this.handshakes.push({ ...message });
          if (message.successful !== true) this.#refused.push({ ...message });
        }
        callback(message);
      },
    });
  }

  /** Starts connecting: resolves once faye has handshaken (however many tries that takes). */
  connect(): Promise<void> {
    return new Promise((resolve) => this.client.connect(() => resolve()));
  }

  /** The next refused handshake. */
  refused(): Promise<Reply> {
    return this.#refused.next();
  }

  get clientId(): unknown {
    return this.handshakes.at(-1)?.clientId;
  }

  /** Subscribes to its out channel; resolves with the welcome. */
  async welcome(): Promise<unknown> {
    const inbox = new MessageInbox<unknown>();
    await this.client.subscribe(out(this.clientId), (data) => inbox.push(data));
    return inbox.next();
  }

  async close(): Promise<void> {
    await Promise.resolve(this.client.disconnect());
  }
}

/**
 * faye's own Node client over WebSocket, with the adapter's conventions done by hand: records its
 * clientId and every `/meta/connect` reply (one per hold of faye's `timeout`), and hears its out
 * channel.
 */
class WebSocketFayeClient {
  readonly client: Client;
  readonly connects = new MessageInbox<Reply>();
  readonly heard = new MessageInbox<Reply>();
  clientId: string | undefined;

  constructor(endpoint: string) {
    this.client = new faye.Client(endpoint);
    this.client.addExtension({
      incoming: (message: Bayeux, callback) => {
        if (message.channel === "/meta/handshake" && typeof message.clientId === "string") {
          this.clientId = message.clientId;
        }
        if (message.channel === "/meta/connect") this.connects.push({ ...message });
        callback(message);
      },
    });
  }

  /** Connects and subscribes to its out channel; resolves with the welcome. */
  async welcome(): Promise<Reply> {
    await new Promise<void>((resolve) => this.client.connect(() => resolve()));
    await this.client.subscribe(out(this.clientId), (data) => this.heard.push(data as Reply));
    return this.heard.next();
  }

  /** Sends a request on its in channel; resolves with the reply. */
  async request(messageId: number, event: string): Promise<Reply> {
    await this.client.publish(`/actionwire/in/${String(this.clientId)}`, { event, messageId });
    return this.heard.next((m) => m.messageId === messageId);
  }

  async close(): Promise<void> {
    await Promise.resolve(this.client.disconnect());
  }
}

/** Counts WebSockets upgraded on the server, and those of them closed since. */
function countUpgrades(server: ActionwireServer): { opened: number; closed: number } {
  const counts = { opened: 0, closed: 0 };
  watchUpgrades(server, (_request, socket) => {
    counts.opened++;
    socket.once("close", () => counts.closed++);
  });
  return counts;
}

describe("faye sessions without a connection (bounded in number and in time)", () => {
  let server: ActionwireServer;
  let endpoint: string;
  const closers: Array<() => unknown> = [];

  const start = async (config: ActionwireConfig) => {
    server = await startDemoServer({ transports: ["faye"], ...TRUSTED, ...config });
    endpoint = fayeEndpoint(server);
  };
  const apiClient = (faye?: { disable: Array<"websocket"> }) => {
    const client = new ActionwireClient({
      url: server.url,
      transport: "faye",
      reconnect: false,
      ...(faye === undefined ? {} : { faye }),
    });
    closers.push(() => client.disconnect());
    return client;
  };
  const realClient = (address?: string) => {
    const client = new RealFayeClient(endpoint, address);
    closers.push(() => client.close());
    return client;
  };

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await server.stop();
  });

  it("refuses handshakes over the per-address cap: 1 000 raw HTTP handshakes from one address", async () => {
    // The defaults (100 per address, as limits.maxConnectionsPerIP is off); a deadline no flood
    // reaches, so that each count below is exact.
    await start({ faye: { subscribeTimeoutMs: 600_000 } });
    const attacker = "203.0.113.7";
    const { replies, ms } = await flood(endpoint, 1_000, () => attacker);
    const accepted = replies.filter((reply) => reply.successful === true);
    const refused = replies.filter((reply) => reply.successful !== true);
    expect(accepted).to.have.length(100);
    expect(refused).to.have.length(900);
    for (const reply of refused) expectRefused(reply, FROM_ADDRESS);
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });

    // Everyone else is served: another address handshakes, a real client connects.
    expect(await handshake(endpoint, "203.0.113.8")).to.include({ successful: true });
    const client = apiClient();
    expect(await client.connect()).to.include({ transport: "faye", remoteIP: "127.0.0.1" });
    expect((await client.action("echo", { a: 1 })).echo).to.deep.equal({ a: 1 });
    expectRefused(await handshake(endpoint, attacker), FROM_ADDRESS);

    // Slots are released, one for one, not leaked: a session that ends, or that subscribes
    // (and so has a connection, under the connection limits), makes room for one more.
    const [first, second] = accepted.map((reply) => reply.clientId);
    await bayeux(endpoint, [{ channel: "/meta/disconnect", clientId: first }], {
      address: attacker,
    });
    expect(await handshake(endpoint, attacker)).to.include({ successful: true });
    expectRefused(await handshake(endpoint, attacker), FROM_ADDRESS);
    const [subscribed] = await bayeux(
      endpoint,
      [{ channel: "/meta/subscribe", clientId: second, subscription: out(second) }],
      { address: attacker },
    );
    expect(subscribed).to.include({ successful: true });
    expect(server.connectionCounts()).to.deep.equal({ faye: 2 });
    expect(await handshake(endpoint, attacker)).to.include({ successful: true });
    expectRefused(await handshake(endpoint, attacker), FROM_ADDRESS);
    // (It leaves: otherwise shutdown would wait for it to poll for its goodbye.)
    await bayeux(endpoint, [{ channel: "/meta/disconnect", clientId: second }]);
    console.log(
      `      1000 handshakes from one address in ${ms} ms: 100 sessions held, 900 refused; 0 connections`,
    );
  });

  it("refuses handshakes over the per-node cap from any address; a refused client gets in once sessions end", async () => {
    await start({ faye: { maxPendingSessions: 100, subscribeTimeoutMs: 600_000 } });
    const address = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const { replies, ms } = await flood(endpoint, 1_000, address);
    const accepted = replies.filter((reply) => reply.successful === true);
    const refused = replies.filter((reply) => reply.successful !== true);
    expect(accepted).to.have.length(100);
    expect(refused).to.have.length(900);
    for (const reply of refused) expectRefused(reply, ON_SERVER);

    // A well-behaved faye client is refused too, with the error that says why, and retries.
    const real = realClient();
    const connected = real.connect();
    expectRefused(await real.refused(), ON_SERVER);
    await bayeux(
      endpoint,
      accepted.map((reply) => ({ channel: "/meta/disconnect", clientId: reply.clientId })),
    );
    await connected;
    expect(await real.welcome()).to.include({ context: "api", room: "defaultRoom" });
    expect(server.connectionCounts()).to.deep.equal({ faye: 1 });
    console.log(
      `      1000 handshakes from 1000 addresses in ${ms} ms: 100 sessions held (maxPendingSessions), 900 refused`,
    );
  });

  it("ends a session that keeps polling without subscribing, at subscribeTimeoutMs (long-polling)", async () => {
    await start({ faye: { subscribeTimeoutMs: 300, maxPendingSessionsPerIP: 1 } });
    // One request, two handshakes: the second is checked after the first made its session.
    const begun = performance.now();
    const [kept, second] = await bayeux(endpoint, [HANDSHAKE, HANDSHAKE]);
    expect(kept).to.include({ successful: true });
    expectRefused(second, FROM_ADDRESS);
    const clientId = kept?.clientId;
    const { refusal, answered } = await pollUntilRefused(endpoint, clientId);
    const ended = Math.round(performance.now() - begun);
    expect(refusal).to.include(unknownClient(clientId));
    expect(refusal.advice).to.include({ reconnect: "handshake" });
    // The poll held when the session ended was answered (not left hanging).
    expect(answered).to.be.at.least(1);
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
    // The address's slot is free again: a real faye client from it gets in.
    const real = realClient();
    await real.connect();
    expect(real.handshakes.map((reply) => reply.successful)).to.deep.equal([true]);
    expect(await real.welcome()).to.include({ context: "api" });
    console.log(
      `      session without a subscribe ended ${ended} ms after its handshake (subscribeTimeoutMs 300)`,
    );
  });

  it("ends a session that keeps polling without subscribing, at subscribeTimeoutMs (WebSocket)", async () => {
    await start({ faye: { subscribeTimeoutMs: 300 } });
    const socket = await BayeuxSocket.open(endpoint);
    closers.push(() => socket.close());
    socket.send({ ...HANDSHAKE, supportedConnectionTypes: ["websocket"] });
    const { clientId } = await socket.next("/meta/handshake");
    const wsConnect = { channel: "/meta/connect", clientId, connectionType: "websocket" };
    socket.send(wsConnect);
    // faye holds the connect; when the session ends it closes the WebSocket that carried it,
    // as it does for a session that timed out.
    expect(await socket.closed).to.equal(1000);
    const again = await BayeuxSocket.open(endpoint);
    closers.push(() => again.close());
    again.send(wsConnect);
    expect(await again.next("/meta/connect")).to.include(unknownClient(clientId));
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
  });

  it("frees the slot of a session faye drops itself (nobody polled for twice faye.timeout)", async () => {
    // A deadline that never comes: only faye's own expiry can free the slot.
    await start({
      faye: { timeout: 0.2, subscribeTimeoutMs: 600_000, maxPendingSessionsPerIP: 1 },
    });
    const [kept, second] = await bayeux(endpoint, [HANDSHAKE, HANDSHAKE]);
    expect(kept).to.include({ successful: true });
    expectRefused(second, FROM_ADDRESS);
    const real = realClient();
    await real.connect();
    // Refused (if it came before faye dropped the first session), then admitted.
    const [last, ...before] = [...real.handshakes].reverse();
    expect(last).to.include({ successful: true });
    for (const reply of before) expectRefused(reply, FROM_ADDRESS);
    expect((await bayeux(endpoint, [probe(kept?.clientId)]))[0]).to.include(
      unknownClient(kept?.clientId),
    );
    expect(await real.welcome()).to.include({ context: "api" });
  });

  it("puts a session that unsubscribes from its out channel under the same deadline", async () => {
    await start({ faye: { subscribeTimeoutMs: 300 } });
    const { clientId } = await handshake(endpoint);
    const subscription = { clientId, subscription: out(clientId) };
    const [subscribed] = await bayeux(endpoint, [{ channel: "/meta/subscribe", ...subscription }]);
    expect(subscribed).to.include({ successful: true });
    expect(server.connectionCounts()).to.deep.equal({ faye: 1 });
    const [unsubscribed] = await bayeux(endpoint, [
      { channel: "/meta/unsubscribe", ...subscription },
    ]);
    expect(unsubscribed).to.include({ successful: true });
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
    const { refusal } = await pollUntilRefused(endpoint, clientId);
    expect(refusal).to.include(unknownClient(clientId));
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
  });

  it("leaves clients that subscribe alone, however long they stay (library connector)", async () => {
    // A short deadline and room for one session without a connection, node-wide.
    await start({
      faye: { subscribeTimeoutMs: 200, maxPendingSessions: 1, maxPendingSessionsPerIP: 1 },
    });
    const a = apiClient();
    const b = apiClient({ disable: ["websocket"] });
    const aDetails = await a.connect();
    const bDetails = await b.connect();
    let ended = 0;
    for (const client of [a, b]) client.on("disconnected", () => ended++);
    // A session that handshakes after theirs and never subscribes: once it is gone, theirs
    // are past the deadline too.
    const { clientId } = await handshake(endpoint);
    expect((await pollUntilRefused(endpoint, clientId)).refusal).to.include(
      unknownClient(clientId),
    );
    const heard = new Promise<ServerPayload>((resolve) =>
      a.on("say", (m) => m.message === "still here" && resolve(m)),
    );
    expect(await b.say("still here")).to.include({ status: "OK" });
    expect(await heard).to.include({ from: bDetails.id });
    expect((await a.action("echo", { x: 1 })).echo).to.deep.equal({ x: 1 });
    expect((await a.detailsView()).data).to.include({ id: aDetails.id });
    expect(ended).to.equal(0);
    expect(server.connectionCounts()).to.deep.equal({ faye: 2 });
  });
});

describe("faye WebSockets without a session (closed once silent)", () => {
  let server: ActionwireServer;
  let endpoint: string;
  const closers: Array<() => unknown> = [];

  const start = async (faye: ActionwireConfig["faye"]) => {
    server = await startDemoServer({ transports: ["faye"], faye });
    endpoint = fayeEndpoint(server);
  };
  const rawSocket = async () => {
    const socket = await BayeuxSocket.open(endpoint);
    closers.push(() => socket.close());
    return socket;
  };

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await server.stop();
  });

  it("closes a WebSocket that sends nothing, at subscribeTimeoutMs", async () => {
    // faye's timeout far away: only the first-message deadline can close it.
    await start({ subscribeTimeoutMs: 200, timeout: 600 });
    const begun = performance.now();
    const socket = await rawSocket();
    expect(await socket.closed).to.equal(1000);
    expect(await socket.closeReason).to.equal("idle");
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
    console.log(
      `      silent WebSocket closed ${Math.round(performance.now() - begun)} ms after it opened (subscribeTimeoutMs 200)`,
    );
  });

  it("closes a WebSocket whose messages name no live session, at subscribeTimeoutMs", async () => {
    // faye's timeout far away: only the first deadline can close it. A handshake names no
    // session, nor does a /meta/connect for a client this node does not know, however often.
    await start({ subscribeTimeoutMs: 300, timeout: 600 });
    const socket = await rawSocket();
    socket.send({ ...HANDSHAKE, supportedConnectionTypes: ["websocket"] });
    expect(await socket.next("/meta/handshake")).to.include({ successful: true });
    const forged = { channel: "/meta/connect", clientId: "nobody", connectionType: "websocket" };
    const chatter = setInterval(() => socket.send(forged), 50);
    try {
      expect(await socket.closed).to.equal(1000);
    } finally {
      clearInterval(chatter);
    }
    expect(await socket.closeReason).to.equal("idle");
    expect(server.connectionCounts()).to.deep.equal({ faye: 0 });
  });

  it("closes a WebSocket that held a live session, then went silent, after twice faye.timeout", async () => {
    // The first deadline far away: only the bound on silence can close it. The connect makes
    // the socket the session's; faye holds it for timeout, then the socket sends nothing.
    await start({ subscribeTimeoutMs: 600_000, timeout: 0.2 });
    const socket = await rawSocket();
    socket.send({ ...HANDSHAKE, supportedConnectionTypes: ["websocket"] });
    const { clientId } = await socket.next("/meta/handshake");
    const begun = performance.now();
    socket.send({ channel: "/meta/connect", clientId, connectionType: "websocket" });
    expect(await socket.closed).to.equal(1000);
    expect(await socket.closeReason).to.equal("idle");
    console.log(
      `      WebSocket silent after its connect closed ${Math.round(performance.now() - begun)} ms later (2 x timeout: 400 ms)`,
    );
  });

  it("gives a session one WebSocket: a second socket's connect for it closes the first", async () => {
    await start({ subscribeTimeoutMs: 600_000, timeout: 600 });
    const first = await rawSocket();
    first.send({ ...HANDSHAKE, supportedConnectionTypes: ["websocket"] });
    const { clientId } = await first.next("/meta/handshake");
    const connect = { channel: "/meta/connect", clientId, connectionType: "websocket" };
    first.send(connect);
    const second = await rawSocket();
    second.send(connect);
    expect(await first.closed).to.equal(1000);
    expect(await first.closeReason).to.equal("replaced");
    // The session goes on, on the second socket: it subscribes there and gets its welcome.
    second.send({ channel: "/meta/subscribe", clientId, subscription: out(clientId) });
    expect(await second.next("/meta/subscribe")).to.include({ successful: true });
    expect((await second.next(out(clientId))).data).to.include({ context: "api" });
    expect(server.connectionCounts()).to.deep.equal({ faye: 1 });
  });

  it("keeps the WebSockets of live clients open across many periods (faye's client, library connector)", async () => {
    // Both deadlines short: 200 ms to the first message, 400 ms of silence at most.
    await start({ subscribeTimeoutMs: 200, timeout: 0.2 });
    const upgrades = countUpgrades(server);
    const fayeClient = new WebSocketFayeClient(endpoint);
    closers.push(() => fayeClient.close());
    const apiClient = new ActionwireClient({
      url: server.url,
      transport: "faye",
      reconnect: false,
    });
    closers.push(() => apiClient.disconnect());
    let ended = 0;
    apiClient.on("disconnected", () => ended++);

    expect(await fayeClient.welcome()).to.include({ context: "api" });
    const details = await apiClient.connect();
    expect(upgrades).to.deep.equal({ opened: 2, closed: 0 });

    // Ten held /meta/connects answered in turn: ten of faye's timeouts, five silence bounds.
    for (let period = 1; period <= 10; period++) {
      expect(await fayeClient.connects.next()).to.include({ successful: true });
      expect(await fayeClient.request(period, "detailsView")).to.include({
        messageId: period,
        status: "OK",
      });
      expect((await apiClient.action("echo", { period })).echo).to.deep.equal({ period });
    }
    expect((await apiClient.detailsView()).data).to.include({ id: details.id });
    expect(fayeClient.connects.received.every((reply) => reply.successful === true)).to.equal(true);
    // The same two sockets throughout: none closed, none opened again.
    expect(upgrades).to.deep.equal({ opened: 2, closed: 0 });
    expect(ended).to.equal(0);
    expect(server.connectionCounts()).to.deep.equal({ faye: 2 });
  });
});

describe("faye sessions without a connection in a cluster (sessions polled through another node)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let a: ActionwireServer;
  let b: ActionwireServer;

  before(async () => {
    redis = await RedisProcess.start();
  });

  after(async () => {
    await redis.stop();
  });

  beforeEach(async () => {
    const node = (nodeId: string) =>
      startDemoServer({
        nodeId,
        transports: ["faye"],
        ...TRUSTED,
        redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
        faye: { subscribeTimeoutMs: 300, maxPendingSessionsPerIP: 1 },
      });
    [a, b] = await Promise.all([node("a"), node("b")]);
  });

  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it("ends a session whose polls reach another node, at its owner's deadline", async () => {
    const { clientId } = await handshake(fayeEndpoint(a));
    // Node b forwards each poll to a, which holds the session (and its deadline).
    const { refusal, answered } = await pollUntilRefused(fayeEndpoint(b), clientId);
    expect(refusal).to.include(unknownClient(clientId));
    expect(answered).to.be.at.least(1);
    expect((await bayeux(fayeEndpoint(a), [connect(clientId)]))[0]).to.include(
      unknownClient(clientId),
    );
  });

  it("keeps a session that subscribed through another node, past the deadline", async () => {
    const { clientId } = await handshake(fayeEndpoint(a));
    const viaB = (messages: unknown[]) => bayeux(fayeEndpoint(b), messages);
    expect(
      (await viaB([{ channel: "/meta/subscribe", clientId, subscription: out(clientId) }]))[0],
    ).to.include({ successful: true });
    expect(a.connectionCounts()).to.deep.equal({ faye: 1 });
    // Its slot on a is free again: the same address handshakes there once more, and that
    // session, which never subscribes, outlives the first one's deadline before it ends.
    const later = await handshake(fayeEndpoint(a));
    expect(later).to.include({ successful: true });
    expect((await pollUntilRefused(fayeEndpoint(a), later.clientId)).refusal).to.include(
      unknownClient(later.clientId),
    );
    const request = {
      channel: `/actionwire/in/${String(clientId)}`,
      clientId,
      data: { event: "detailsView", messageId: 1 },
    };
    const reply = await pollFor(fayeEndpoint(b), clientId, [request], (m) => m.messageId === 1);
    expect(reply).to.deep.include({ status: "OK" });
    expect(a.connectionCounts()).to.deep.equal({ faye: 1 });
    await viaB([{ channel: "/meta/disconnect", clientId }]);
  });

  it("serves a handshake where it arrives, even one naming another node's session", async () => {
    const { clientId: owned } = await handshake(fayeEndpoint(a));
    // Named after a's session, the handshake would be forwarded to a and counted there.
    const [reply] = await bayeux(fayeEndpoint(b), [{ ...HANDSHAKE, clientId: owned }]);
    expect(reply).to.include({ successful: true });
    // Asked of b alone (a forwarded request is never forwarded again), only b knows it.
    const hop = { headers: { "x-actionwire-faye-hop": "1" } };
    expect((await bayeux(fayeEndpoint(b), [probe(reply?.clientId)], hop))[0]).to.include({
      successful: true,
    });
    expect((await bayeux(fayeEndpoint(a), [probe(reply?.clientId)], hop))[0]).to.include({
      successful: false,
    });
  });
});
