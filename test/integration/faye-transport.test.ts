import { expect } from "chai";
import faye, { type FayeError } from "faye";
import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { connect as netConnect } from "node:net";
import { TESTED_FAYE_VERSIONS } from "../../adapters/faye/faye-internals.js";
import { ActionwireClient, type ServerPayload } from "../../src/client/index.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { ConfigError } from "../../src/core/errors.js";
import { MessageInbox } from "../../src/core/message-inbox.js";
import { demoActions } from "../../src/demo/demo-actions.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import type { Message } from "../../src/testing/contract-client.js";
import {
  FayeContractClient,
  type FayeMode,
  FayeWire,
  fayeEndpoint,
} from "../helpers/faye-contract-client.js";
import { BayeuxSocket } from "../helpers/bayeux-socket.js";
import { burstTexts, heardBurst } from "../helpers/burst.js";
import { watchUpgrades } from "../helpers/watch-upgrades.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

/** A demo-action server with the faye transport on 127.0.0.1, port 0, and its clients. */
class FayeFixture {
  readonly clients: FayeContractClient[] = [];
  readonly wires: FayeWire[] = [];
  readonly apiClients: ActionwireClient[] = [];
  /** Upgrade requests the HTTP server has seen (WebSocket clients make one). */
  upgrades = 0;
  /** Resolves at the first upgrade request. */
  readonly upgraded: Promise<void>;

  private constructor(readonly server: ActionwireServer) {
    this.upgraded = new Promise((resolve) =>
      watchUpgrades(server, () => {
        this.upgrades++;
        resolve();
      }),
    );
  }

  static async start(config: ActionwireConfig = {}): Promise<FayeFixture> {
    const server: ActionwireServer = createServer({
      transports: ["faye"],
      port: 0,
      host: "127.0.0.1",
      actions: demoActions({
        nodeId: "test-node",
        connectionCounts: () => server.connectionCounts(),
      }),
      ...config,
    });
    await server.start();
    return new FayeFixture(server);
  }

  get endpoint(): string {
    return fayeEndpoint(this.server);
  }

  /** Connects a client (welcome received) that is closed at {@link stop}. */
  async connect(mode: FayeMode): Promise<FayeContractClient> {
    const client = await FayeContractClient.connect(this.endpoint, mode);
    this.clients.push(client);
    return client;
  }

  /** A bare faye client, handshaken and connected but not subscribed to anything. */
  async wire(mode: FayeMode): Promise<FayeWire> {
    const wire = await FayeWire.open(this.endpoint, mode);
    this.wires.push(wire);
    return wire;
  }

  /** An {@link ActionwireClient} on the faye connector that is disconnected at {@link stop}. */
  apiClient(faye?: { disable: Array<"websocket"> }): ActionwireClient {
    const client = new ActionwireClient({
      url: this.server.url,
      transport: "faye",
      reconnect: false,
      ...(faye === undefined ? {} : { faye }),
    });
    this.apiClients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.apiClients) client.disconnect();
    await Promise.all([
      ...this.clients.map((client) => client.close()),
      ...this.wires.map((wire) => wire.disconnect()),
    ]);
    await this.server.stop();
  }
}

/** The Bayeux error a refused subscribe or publish rejects with. */
async function refusal(operation: PromiseLike<void>): Promise<FayeError> {
  try {
    await operation;
  } catch (error) {
    return error as FayeError;
  }
  return expect.fail("the server accepted it");
}

/** Messages that reached a client on any channel but its own out channel. */
function foreign(client: FayeContractClient): unknown[] {
  const own = `/actionwire/out/${client.clientId}`;
  return client.wire.deliveries.filter((delivery) => delivery.channel !== own);
}

async function idOf(client: FayeContractClient): Promise<string> {
  return ((await client.request("detailsView")).data as { id: string }).id;
}

/** One raw Bayeux exchange over HTTP: what a hand-written client would POST. */
async function bayeux(
  endpoint: string,
  messages: unknown[],
): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(messages),
  });
  return (await response.json()) as Array<Record<string, unknown>>;
}

async function rawHandshake(endpoint: string): Promise<string> {
  const [reply] = await bayeux(endpoint, [
    { channel: "/meta/handshake", version: "1.0", supportedConnectionTypes: ["long-polling"] },
  ]);
  return String(reply?.clientId);
}

/** POSTs to a faye endpoint with the given headers and body; resolves with the status. */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
    request.end(body);
  });
}

const MODES: FayeMode[] = ["websocket", "long-polling"];

for (const mode of MODES) {
  describe(`faye transport over ${mode} (real server, real faye clients)`, () => {
    let fixture: FayeFixture;

    beforeEach(async () => {
      fixture = await FayeFixture.start();
    });

    afterEach(async () => {
      await fixture.stop();
    });

    it("delivers a burst to a room whole and in order to members on both faye transports, replies in between", async () => {
      // WebSocket members get their frames on their socket from the adapter, long-polling ones
      // through faye's engine: both in the order sent, and on their own out channel only. The
      // sender is on a WebSocket: faye's client may have several long-polling POSTs in flight,
      // which can reach the server out of order (docs/transports.md, "Order").
      const members = await Promise.all(
        [mode, mode, ...MODES.filter((other) => other !== mode)].map((m) => fixture.connect(m)),
      );
      const sender = await fixture.connect("websocket");
      // Every tenth message is 20,000 characters: a tick's batch to a WebSocket goes out early
      // once it passes 16 KiB.
      const texts = burstTexts(200, (i) => ` "${i}" ${i % 10 === 0 ? "x".repeat(20_000) : ""}`);
      for (const text of texts) sender.send("say", { message: text });
      const reply = members[0]!.request("roomView");
      for (const member of members) await member.nextSay(texts.at(-1));
      expect((await reply).status).to.equal("OK");
      for (const member of members) {
        expect(heardBurst(member.inbox)).to.deep.equal(texts);
        expect(foreign(member)).to.deep.equal([]);
      }
    });

    it("welcomes a connection and shows transport faye and the real address", async () => {
      const before = Date.now();
      const client = await fixture.connect(mode);
      expect(client.welcome).to.deep.equal({
        context: "api",
        welcome: "Hello! Welcome to the actionwire api",
        room: "defaultRoom",
      });
      const reply = await client.request("detailsView");
      expect(reply).to.include({ context: "response", status: "OK", messageCount: 1 });
      const details = reply.data as Record<string, unknown>;
      expect(details).to.include({
        transport: "faye",
        remoteIP: "127.0.0.1",
        claimedIP: null,
        room: "defaultRoom",
        messageCount: 1,
      });
      expect(details.connectedAt).to.be.within(before - 1, Date.now());
      expect(details.id).to.match(/^[0-9a-f-]{36}$/);
      expect(details.id).not.to.equal(client.clientId);
      if (mode === "websocket") {
        await fixture.upgraded;
      } else {
        expect(fixture.upgrades).to.equal(0);
      }
    });

    it("stores setIP as claimedIP only", async () => {
      const client = await fixture.connect(mode);
      expect(await client.request("setIP", { ip: "10.9.8.7" })).to.include({ status: "OK" });
      const details = (await client.request("detailsView")).data as Record<string, unknown>;
      expect(details).to.include({ remoteIP: "127.0.0.1", claimedIP: "10.9.8.7" });
    });

    it("lets two clients talk through the core, with connection ids only", async () => {
      const a = await fixture.connect(mode);
      const b = await fixture.connect(mode);
      const bId = await idOf(b);
      expect(await a.nextSay("I have entered the room")).to.include({ from: bId });
      await b.request("say", { message: "hello a" });
      expect(await a.nextSay("hello a")).to.include({ from: bId, room: "defaultRoom" });
      const room = (await a.request("roomView")).data as { members: string[] };
      expect(room.members).to.have.length(2);
      expect(JSON.stringify(a.wire.deliveries)).not.to.include(b.clientId);
    });

    it("answers a string publish with ERR_BAD_MESSAGE and keeps serving", async () => {
      const client = await fixture.connect(mode);
      client.sendMalformed();
      const reply = await client.inbox.next((m) => m.messageCount === 1);
      expect(reply).to.include({ context: "response", code: "ERR_BAD_MESSAGE" });
      client.send("fly");
      expect((await client.inbox.next((m) => m.messageCount === 2)).code).to.equal(
        "ERR_UNKNOWN_VERB",
      );
      expect((await client.request("roomView")).messageCount).to.equal(3);
    });

    it("matches replies by messageCount when they come out of order", async () => {
      const client = await fixture.connect(mode);
      client.send("action", { action: "sleepTest", sleepDuration: 150 });
      client.send("action", { action: "sleepTest", sleepDuration: 10 });
      client.send("detailsView");
      const order: number[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await client.inbox.next((m) => m.context === "response");
        order.push(reply.messageCount as number);
        if (reply.messageCount === 1) expect(reply.sleepDuration).to.equal(150);
        if (reply.messageCount === 2) expect(reply.sleepDuration).to.equal(10);
      }
      expect(order).to.deep.equal([3, 2, 1]);
    });

    it("answers an oversized publish with ERR_MESSAGE_TOO_LARGE and keeps the connection", async () => {
      await fixture.stop();
      fixture = await FayeFixture.start({ limits: { maxMessageBytes: 1024 } });
      const big = await fixture.connect(mode);
      const neighbour = await fixture.connect(mode);
      big.send("say", { message: "x".repeat(2000) });
      const reply = await big.inbox.next((m) => m.messageCount === 1);
      expect(reply).to.include({ context: "response", code: "ERR_MESSAGE_TOO_LARGE" });
      expect(reply.error).to.equal("the message is larger than the limit of 1024 bytes");
      expect(await big.request("say", { message: "small" })).to.include({ status: "OK" });
      await neighbour.nextSay("small");
      expect(neighbour.inbox.received.some((m) => String(m.message).startsWith("xxx"))).to.equal(
        false,
      );
    });

    it("says goodbye on quit, then ends the session: a new handshake gets a new connection", async () => {
      const wire = await fixture.wire(mode);
      const firstId = wire.clientId;
      const inbox = new MessageInbox<Message>();
      const listen = (clientId: string) =>
        wire.subscribe(`/actionwire/out/${clientId}`, (data) => inbox.push(data as Message));
      await listen(firstId);
      await inbox.next((m) => "welcome" in m);
      await wire.publish(`/actionwire/in/${firstId}`, { event: "detailsView", messageId: 1 });
      const first = (await inbox.next((m) => m.messageId === 1)).data as { id: string };
      await wire.publish(`/actionwire/in/${firstId}`, { event: "quit" });
      expect(await inbox.next((m) => m.context === "api")).to.deep.equal({
        context: "api",
        status: "Bye!",
        reason: "quit",
      });
      const secondId = await wire.handshake(1);
      expect(secondId).not.to.equal(firstId);
      expect(fixture.server.connectionCount).to.equal(0);
      // The old clientId is dead: publishing with it reaches nobody.
      const stale = await refusal(wire.publish(`/actionwire/in/${firstId}`, { event: "roomView" }));
      expect(stale.code).to.equal(403);
      await listen(secondId);
      expect(await inbox.next((m) => "welcome" in m)).to.include({ room: "defaultRoom" });
      await wire.publish(`/actionwire/in/${secondId}`, { event: "detailsView", messageId: 2 });
      const second = (await inbox.next((m) => m.messageId === 2)).data as Record<string, unknown>;
      expect(second.id).not.to.equal(first.id);
      expect(second).to.include({ messageCount: 1, transport: "faye" });
    });

    it("ends the session of a client that quits (contract client sees it closed)", async () => {
      const client = await fixture.connect(mode);
      client.send("quit");
      expect(await client.inbox.next((m) => m.context === "api")).to.include({ reason: "quit" });
      await client.closed;
      expect(fixture.server.connectionCount).to.equal(0);
    });

    it("ends the session when the server disconnects the connection", async () => {
      const a = await fixture.connect(mode);
      const b = await fixture.connect(mode);
      const bId = await idOf(b);
      expect(await fixture.server.disconnect(bId)).to.equal(true);
      expect(await b.inbox.next((m) => m.context === "api")).to.deep.equal({
        context: "api",
        status: "Bye!",
        reason: "disconnected by server",
      });
      await b.closed;
      expect(await a.nextSay("I have left the room")).to.include({ from: bId });
      expect(await fixture.server.disconnect(bId)).to.equal(false);
      expect(fixture.server.connectionCount).to.equal(1);
    });

    it("tells the room when a faye client disconnects", async () => {
      const a = await fixture.connect(mode);
      const c = await fixture.connect(mode);
      const cId = await idOf(c);
      await c.close();
      expect(await a.nextSay("I have left the room")).to.include({ from: cId });
      expect((await a.request("roomView")).data).to.include({ membersCount: 1 });
    });

    it("closes the connection when the client unsubscribes from its out channel", async () => {
      const a = await fixture.connect(mode);
      const wire = await fixture.wire(mode);
      const subscription = wire.subscribe(`/actionwire/out/${wire.clientId}`);
      await subscription;
      const entered = await a.nextSay("I have entered the room");
      subscription.cancel();
      expect(await a.nextSay("I have left the room")).to.include({ from: entered.from });
      const error = await refusal(
        wire.publish(`/actionwire/in/${wire.clientId}`, { event: "roomView" }),
      );
      expect(error.code).to.equal(403);
    });

    it("refuses a publish to the client's own in channel before it subscribed", async () => {
      const wire = await fixture.wire(mode);
      const error = await refusal(
        wire.publish(`/actionwire/in/${wire.clientId}`, { event: "roomView" }),
      );
      expect(error).to.include({ code: 403, message: "Subscribe to your out channel first" });
      expect(fixture.server.connectionCount).to.equal(0);
    });

    describe("refuses what would make faye a relay", () => {
      let victim: FayeContractClient;
      let attacker: FayeContractClient;

      beforeEach(async () => {
        victim = await fixture.connect(mode);
        attacker = await fixture.connect(mode);
      });

      it("subscribing to another client's out channel", async () => {
        const error = await refusal(attacker.wire.subscribe(`/actionwire/out/${victim.clientId}`));
        expect(error).to.include({ code: 403, message: "Forbidden channel" });
        await victim.request("detailsView");
        await victim.request("say", { message: "to the room" });
        await attacker.nextSay("to the room");
        // Anything queued for the attacker before this reply would have come before it.
        await attacker.request("roomView");
        expect(foreign(attacker)).to.deep.equal([]);
      });

      it("publishing into another client's in channel", async () => {
        const error = await refusal(
          attacker.wire.publish(`/actionwire/in/${victim.clientId}`, {
            event: "say",
            params: { message: "spoofed" },
          }),
        );
        expect(error).to.include({ code: 403, message: "Forbidden channel" });
        const details = (await victim.request("detailsView")).data as { messageCount: number };
        expect(details.messageCount).to.equal(1);
        await victim.request("say", { message: "genuine" });
        await attacker.nextSay("genuine");
        expect(attacker.inbox.received.some((m) => m.message === "spoofed")).to.equal(false);
      });

      it("publishing to another client's out channel (or its own), as if it were the server", async () => {
        const fake = { context: "alert", message: "fake alert" };
        for (const target of [victim.clientId, attacker.clientId]) {
          const error = await refusal(attacker.wire.publish(`/actionwire/out/${target}`, fake));
          expect(error).to.include({ code: 403, message: "Forbidden channel" });
        }
        await victim.request("roomView");
        await attacker.request("roomView");
        for (const client of [victim, attacker]) {
          expect(client.inbox.received.some((m) => m.context === "alert")).to.equal(false);
        }
      });

      for (const channel of ["/actionwire/out/*", "/actionwire/**", "/**", "/actionwire/*"]) {
        it(`a wildcard subscribe to ${channel}`, async () => {
          const error = await refusal(attacker.wire.subscribe(channel));
          expect(error).to.include({ code: 403, message: "Forbidden channel" });
          await victim.request("say", { message: "to the room" });
          await attacker.nextSay("to the room");
          await attacker.request("roomView");
          expect(foreign(attacker)).to.deep.equal([]);
        });
      }

      it("any subscribe under /actionwire/in/", async () => {
        const channels = [
          `/actionwire/in/${attacker.clientId}`,
          `/actionwire/in/${victim.clientId}`,
          "/actionwire/in/*",
          "/actionwire/in/**",
        ];
        for (const channel of channels) {
          const error = await refusal(attacker.wire.subscribe(channel));
          expect(error, channel).to.include({ code: 403, message: "Forbidden channel" });
        }
        await victim.request("say", { message: "published on the victim's in channel" });
        await attacker.nextSay("published on the victim's in channel");
        await attacker.request("roomView");
        expect(foreign(attacker)).to.deep.equal([]);
      });

      it("a publish or subscribe outside the client's two channels", async () => {
        for (const channel of ["/chat", "/service/echo", "/actionwire", "/actionwire/other/x"]) {
          const published = await refusal(attacker.wire.publish(channel, { event: "roomView" }));
          expect(published, channel).to.include({ code: 403 });
        }
        for (const channel of ["/chat", "/actionwire", "/actionwire/other/x"]) {
          const subscribed = await refusal(attacker.wire.subscribe(channel));
          expect(subscribed, channel).to.include({ code: 403, message: "Forbidden channel" });
        }
        await attacker.request("roomView");
        expect(foreign(attacker)).to.deep.equal([]);
        expect((await victim.request("detailsView")).messageCount).to.equal(1);
      });
    });
  });
}

describe("faye transport (mode-independent)", () => {
  let fixture: FayeFixture;

  afterEach(async () => {
    await fixture.stop();
  });

  it("serves faye's browser client at <mount>/client.js", async () => {
    fixture = await FayeFixture.start();
    const response = await fetch(`${fixture.endpoint}/client.js`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/javascript/);
    expect(await response.text()).to.include("Faye");
  });

  it("refuses a subscribe that lists another channel beside the client's own", async () => {
    fixture = await FayeFixture.start();
    const clientId = await rawHandshake(fixture.endpoint);
    const own = `/actionwire/out/${clientId}`;
    const [mixed] = await bayeux(fixture.endpoint, [
      { channel: "/meta/subscribe", clientId, subscription: [own, "/chat"] },
    ]);
    expect(mixed).to.include({ successful: false, error: `403:${own},/chat:Forbidden channel` });
    expect(fixture.server.connectionCount).to.equal(0);
    const [alone] = await bayeux(fixture.endpoint, [
      { channel: "/meta/subscribe", clientId, subscription: [own] },
    ]);
    expect(alone).to.include({ successful: true });
    expect(fixture.server.connectionCount).to.equal(1);
    await bayeux(fixture.endpoint, [{ channel: "/meta/disconnect", clientId }]);
  });

  it("closes the connection of a client whose faye session times out", async () => {
    // The watcher is on ws: a faye client's own session could expire too on a loaded machine, at
    // a hold this short.
    fixture = await FayeFixture.start({ transports: ["faye", "ws"], faye: { timeout: 0.2 } });
    const watcher = await WsTestClient.connect(`${fixture.server.url.replace("http", "ws")}/ws`);
    // A hand-written client that subscribes, then never polls: faye expires its session.
    const clientId = await rawHandshake(fixture.endpoint);
    await bayeux(fixture.endpoint, [
      { channel: "/meta/subscribe", clientId, subscription: `/actionwire/out/${clientId}` },
    ]);
    const entered = await watcher.nextSay("I have entered the room");
    expect(await watcher.nextSay("I have left the room")).to.include({ from: entered.from });
    expect(fixture.server.connectionCount).to.equal(1);
    await watcher.close();
  });

  it("bounds long-polling request bodies", async () => {
    fixture = await FayeFixture.start({ limits: { maxMessageBytes: 1024 } });
    const json = { "content-type": "application/json" };
    const huge = "x".repeat(100_000);
    expect(
      await post(fixture.endpoint, { ...json, "content-length": String(huge.length) }, huge),
    ).to.equal(413);
    expect(
      await post(fixture.endpoint, { ...json, "transfer-encoding": "chunked" }, "[]"),
    ).to.equal(411);
  });

  it("answers batch entries that are not messages, over HTTP and WebSocket", async () => {
    fixture = await FayeFixture.start();
    const entries = [1, "x", null, []];
    const invalid = { successful: false, error: "402:data:Missing required parameter" };
    expect(await bayeux(fixture.endpoint, entries)).to.deep.equal([invalid, invalid, invalid]);
    const socket = await BayeuxSocket.open(fixture.endpoint);
    socket.send(1);
    expect(await socket.next(undefined)).to.deep.equal(invalid);
    await socket.close();
  });

  it("refuses a long-polling body over the bound from its headers, before any of it arrives", async () => {
    fixture = await FayeFixture.start({ limits: { maxMessageBytes: 1024 } });
    const { hostname, port } = new URL(fixture.server.url);
    const socket = netConnect(Number(port), hostname);
    socket.on("error", () => undefined);
    // The headers promise 64 MiB; not a byte of it is ever sent.
    socket.write(
      `POST /faye HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`,
    );
    const [status] = await once(socket, "data");
    expect(String(status)).to.match(/^HTTP\/1\.1 413 /);
    await once(socket, "close");
  });

  it("refuses a WebSocket frame over the bound from its header, and closes the connection it carried", async () => {
    fixture = await FayeFixture.start({ limits: { maxMessageBytes: 1024 } });
    const watcher = await fixture.connect("websocket");
    const first = await BayeuxSocket.open(fixture.endpoint);
    const { clientId } = await first.exchange({
      channel: "/meta/handshake",
      version: "1.0",
      supportedConnectionTypes: ["websocket"],
    });
    const out = `/actionwire/out/${String(clientId)}`;
    const connect = { channel: "/meta/connect", clientId, connectionType: "websocket" };
    expect(
      await first.exchange({ channel: "/meta/subscribe", clientId, subscription: out }),
    ).to.include({ successful: true });
    // faye holds the connect's reply, and delivers on this socket meanwhile: the welcome first.
    first.send(connect);
    expect((await first.next(out)).data).to.include({ context: "api", room: "defaultRoom" });
    const entered = await watcher.nextSay("I have entered the room");
    // A masked text frame header announcing 64 MiB, then 4 bytes of it: the server acts on the
    // header alone (the frame bound is 2 × 1 KiB + 64 KiB of Bayeux envelope).
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(64 * 1024 * 1024), 2);
    first.writeRaw(Buffer.concat([header, Buffer.from("[{}]")]));
    expect(await first.closed).to.equal(1009);
    expect(await watcher.nextSay("I have left the room")).to.include({ from: entered.from });
    expect(fixture.server.connectionCounts()).to.deep.equal({ faye: 1 });
    // The client polls again on a new socket: the refusal and the goodbye were waiting for it,
    // then the session is over.
    const second = await BayeuxSocket.open(fixture.endpoint);
    second.send(connect);
    expect((await second.next(out)).data).to.deep.include({
      context: "response",
      messageCount: 1,
      code: "ERR_MESSAGE_TOO_LARGE",
    });
    expect((await second.next(out)).data).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "message too large",
    });
    // Ending the session answers the connect it held; the next one finds no session.
    expect(await second.next("/meta/connect")).to.include({ successful: true });
    expect(await second.exchange(connect)).to.include({
      successful: false,
      error: `401:${String(clientId)}:Unknown client`,
    });
    await second.close();
  });

  it("sends what one tick writes to a WebSocket as one Bayeux batch (50 alerts: 1 frame)", async () => {
    fixture = await FayeFixture.start();
    const socket = await BayeuxSocket.open(fixture.endpoint);
    const { clientId } = await socket.exchange({
      channel: "/meta/handshake",
      version: "1.0",
      supportedConnectionTypes: ["websocket"],
    });
    const out = `/actionwire/out/${String(clientId)}`;
    socket.send({ channel: "/meta/connect", clientId, connectionType: "websocket" });
    socket.send({ channel: "/meta/subscribe", clientId, subscription: out });
    expect((await socket.next(out)).data).to.include({ context: "api", room: "defaultRoom" });
    socket.send({
      channel: `/actionwire/in/${String(clientId)}`,
      clientId,
      data: { event: "detailsView", messageId: 1 },
    });
    const details = (await socket.next(out)).data as { data: { id: string } };
    const before = socket.frames;
    for (let i = 0; i < 50; i++) void fixture.server.alert(details.data.id, `alert ${i}`);
    const alerts: unknown[] = [];
    for (let i = 0; i < 50; i++) alerts.push(((await socket.next(out)).data as Message).message);
    expect(alerts).to.deep.equal(Array.from({ length: 50 }, (_, i) => `alert ${i}`));
    expect(socket.frames - before, "frames that carried the 50 alerts").to.equal(1);
    await socket.close();
  });

  it("answers on its mount with an error faye's client retries, not JSON, once stopped", async () => {
    // The window between the transport's stop and the HTTP server's close, during a shutdown.
    // faye's client takes any JSON body (the server's 404 included) for replies, and would
    // then wait over a minute for the replies it did not get.
    fixture = await FayeFixture.start();
    await fixture.server.transport("faye").stop();
    const response = await fetch(fixture.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([{ channel: "/meta/connect", clientId: "x", id: "1" }]),
    });
    expect(response.status).to.equal(503);
    expect(response.headers.get("content-type")).to.equal("text/plain");
    expect(await response.text()).to.equal("faye is stopped");
  });

  it("sends the goodbye before the server shuts down", async () => {
    fixture = await FayeFixture.start();
    const clients = await Promise.all(MODES.map((mode) => fixture.connect(mode)));
    await fixture.server.stop();
    for (const client of clients) {
      expect(await client.inbox.next((m) => m.context === "api")).to.include({
        reason: "server shutdown",
      });
      await client.closed;
    }
  });
});

describe("faye transport options", () => {
  it("serves under the configured mount", async () => {
    const fixture = await FayeFixture.start({ faye: { mount: "/bayeux", ping: 30 } });
    try {
      expect(fixture.endpoint).to.equal(`${fixture.server.url}/bayeux`);
      const client = await fixture.connect("websocket");
      expect((await client.request("detailsView")).data).to.include({ transport: "faye" });
      const old = await fetch(`${fixture.server.url}/faye/client.js`);
      expect(old.status).to.equal(404);
      await old.arrayBuffer();
    } finally {
      await fixture.stop();
    }
  });

  it("rejects bad options by name, before anything starts", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ mount: "/faye/" }, "config.faye.mount must be a path such as /faye"],
      [{ mount: "faye" }, "config.faye.mount must be a path such as /faye"],
      [{ timeout: 0 }, "config.faye.timeout must be at least 0.001."],
      [{ ping: "30" }, "config.faye.ping must be a number."],
      [{ mountt: "/x" }, "config.faye.mountt is not a known option"],
      [{ subscribeTimeoutMs: 0 }, "config.faye.subscribeTimeoutMs must be at least 1."],
      [{ subscribeTimeoutMs: 1.5 }, "config.faye.subscribeTimeoutMs must be an integer."],
      [{ maxPendingSessions: 0 }, "config.faye.maxPendingSessions must be at least 1."],
      [{ maxPendingSessionsPerIP: -1 }, "config.faye.maxPendingSessionsPerIP must be at least 0."],
    ];
    for (const [faye, message] of cases) {
      expect(() => createServer({ transports: ["faye"], faye }), message).to.throw(
        ConfigError,
        message,
      );
    }
  });
});

describe("faye transport start-up check of faye's internals", () => {
  it("refuses to start with a faye that lacks one, naming it and the versions tested", async () => {
    const prototype = faye.NodeAdapter.prototype as unknown as { _concatStream?: unknown };
    const concatStream = prototype._concatStream;
    delete prototype._concatStream;
    const server = createServer({ transports: ["faye"], port: 0, host: "127.0.0.1" });
    try {
      let failure: unknown;
      await server.start().catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(ConfigError);
      expect((failure as Error).message).to.equal(
        `The faye transport cannot run with faye ${faye.VERSION}: it lacks NodeAdapter._concatStream(), which the transport uses. It is tested with faye ${TESTED_FAYE_VERSIONS}: install that version (npm install faye@${TESTED_FAYE_VERSIONS}).`,
      );
      expect(server.httpServer?.listening ?? false).to.equal(false);
    } finally {
      prototype._concatStream = concatStream;
      await server.stop();
    }
  });
});

describe("ActionwireClient over faye", () => {
  let fixture: FayeFixture;

  beforeEach(async () => {
    fixture = await FayeFixture.start();
  });

  afterEach(async () => {
    await fixture.stop();
  });

  it("connects, runs an action and chats between two clients", async () => {
    const a = fixture.apiClient();
    const b = fixture.apiClient();
    const details = await a.connect();
    expect(details).to.include({ transport: "faye", remoteIP: "127.0.0.1", room: "defaultRoom" });
    await b.connect();
    const reply = await a.action("cacheTest", { key: "k", value: "v" });
    expect(reply.cacheTestResults).to.deep.include({ saveResp: true });
    const heard = new Promise<ServerPayload>((resolve) =>
      a.on("say", (m) => m.message === "hello a" && resolve(m)),
    );
    expect(await b.say("hello a")).to.include({ status: "OK" });
    expect(await heard).to.include({ from: b.details.id, room: "defaultRoom" });
  });

  it("works over long-polling", async () => {
    const client = fixture.apiClient({ disable: ["websocket"] });
    expect(await client.connect()).to.include({ transport: "faye" });
    const reply = await client.action("echo", { hello: "there" });
    expect(reply.echo).to.deep.equal({ hello: "there" });
    expect(fixture.upgrades).to.equal(0);
  });

  it("reports the end of the session when the server disconnects it", async () => {
    const client = fixture.apiClient();
    await client.connect();
    const reason = new Promise<string>((resolve) => client.on("disconnected", resolve));
    const goodbye = new Promise<ServerPayload>((resolve) => client.on("api", resolve));
    await fixture.server.disconnect(String(client.details.id));
    expect(await goodbye).to.include({ status: "Bye!", reason: "disconnected by server" });
    expect(await reason).to.equal("disconnected by server");
    expect(client.connected).to.equal(false);
  });

  it("tells the room when a client disconnects", async () => {
    const a = fixture.apiClient();
    const b = fixture.apiClient({ disable: ["websocket"] });
    await a.connect();
    await b.connect();
    const left = new Promise<ServerPayload>((resolve) =>
      a.on("say", (m) => m.message === "I have left the room" && resolve(m)),
    );
    b.disconnect();
    expect(await left).to.include({ from: b.details.id });
  });
});
