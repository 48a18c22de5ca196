import { expect } from "chai";
import {
  ActionwireClient,
  FayeConnector,
  type ResumeInfo,
  type ServerPayload,
  SocketIoConnector,
  WsConnector,
} from "../../src/client/index.js";
import type { Connector } from "../../src/client/connector.js";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { TransportHost } from "../../src/core/realtime-transport.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { DroppableConnector } from "../helpers/droppable-connector.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { RoundRobinProxy } from "../helpers/round-robin-proxy.js";
import { WsFixture } from "../helpers/ws-server.js";

/**
 * faye's long-poll hold, in seconds: short, because a faye client closed while its long-poll is
 * held keeps that request's timer (1.2 times the hold) after it disconnected, which would keep
 * the test process alive for a minute at the default 45 s.
 */
const FAYE = { timeout: 2 };

/** Every kind of connection, as a built-in connector that announces the hello. */
const KINDS: Array<{ label: string; make: (url: string) => Connector }> = [
  { label: "ws", make: (url) => new WsConnector({ url, hello: true }) },
  {
    label: "socketio (websocket)",
    make: (url) => new SocketIoConnector({ url, transports: ["websocket"], hello: true }),
  },
  {
    label: "socketio (polling)",
    make: (url) => new SocketIoConnector({ url, transports: ["polling"], hello: true }),
  },
  { label: "faye (websocket)", make: (url) => new FayeConnector({ url, hello: true }) },
  {
    label: "faye (long-polling)",
    make: (url) => new FayeConnector({ url, disable: ["websocket"], hello: true }),
  },
];

for (const kind of KINDS)
  describe(`ActionwireClient resume against the server, over ${kind.label}`, () => {
    let fixture: WsFixture;
    const clients: ActionwireClient[] = [];
    /** How many times `bump` ran, per key. */
    const runs = new Map<string, number>();

    const bump = defineAction({
      name: "bump",
      inputs: { key: { required: true }, waitMs: { default: 0, formatter: Number } },
      run: async ({ key, waitMs }) => {
        if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        const value = (runs.get(String(key)) ?? 0) + 1;
        runs.set(String(key), value);
        return { value };
      },
    });

    /** A client over this kind whose connection the test drops; it reconnects only when asked. */
    const droppable = () => {
      const connector = new DroppableConnector(() => kind.make(fixture.server.url));
      // A long first delay: the test makes the reconnect with connect(), once it is ready.
      const client = new ActionwireClient({
        url: fixture.server.url,
        connector,
        reconnectDelayMs: 60_000,
      });
      clients.push(client);
      return { client, connector };
    };
    /** A client over ws that stays connected. */
    const witness = async () => {
      const client = new ActionwireClient({ url: fixture.server.url });
      clients.push(client);
      await client.connect();
      return client;
    };
    const heard = (client: ActionwireClient) => {
      const messages: string[] = [];
      client.on("say", (m) => messages.push(String(m.message)));
      return messages;
    };
    const said = (client: ActionwireClient, message: string) =>
      new Promise<ServerPayload>((resolve) =>
        client.on("say", (m) => m.message === message && resolve(m)),
      );
    /** The server's record of a connection, on whichever transport it came. */
    const connectionOf = (id: string) => {
      for (const name of ["ws", "socketio", "faye"]) {
        const transport = fixture.server.transport(name) as unknown as { host: TransportHost };
        const connection = transport.host.connections.get(id);
        if (connection !== undefined) return connection;
      }
      return undefined;
    };
    const dropped = async (client: ActionwireClient, connector: DroppableConnector) => {
      const disconnected = new Promise((resolve) => client.once("disconnected", resolve));
      connector.drop();
      await disconnected;
    };

    beforeEach(async () => {
      runs.clear();
      fixture = await WsFixture.start({
        transports: ["ws", "socketio", "faye"],
        faye: FAYE,
        actions: [bump],
      });
    });

    afterEach(async () => {
      for (const c of clients.splice(0)) c.disconnect();
      await fixture.stop();
    });

    it("comes back as the same connection, with the room messages it missed, once and in order", async () => {
      const { client: a, connector } = droppable();
      const b = await witness();
      const first = await a.connect();
      await a.roomChange("kitchen");
      await a.listenToRoom("garden");
      await a.request("paramAdd", { key: "name", value: "Ada" });
      const messages = heard(a);
      // b's moves give a a position in both rooms (the notices), then a chat message.
      await b.roomChange("garden");
      await b.roomChange("kitchen");
      const before = said(a, "before");
      await b.say("before");
      await before;
      const alerts: string[] = [];
      a.on("alert", (m) => alerts.push(String(m.message)));
      const alerted = new Promise((resolve) => a.once("alert", resolve));
      await fixture.server.alert(String(first.id), "alert 1");
      await alerted;
      await dropped(a, connector);
      for (const m of ["missed 1", "missed 2", "missed 3"]) await b.say(m);
      expect(await fixture.server.alert(String(first.id), "alert 2")).to.equal(true);
      const resumed = new Promise<ResumeInfo>((resolve) => a.once("resumed", resolve));
      const details = await a.connect();
      expect(details.id).to.equal(first.id);
      expect(await resumed).to.deep.equal({
        resumed: true,
        recovered: true,
        rooms: { kitchen: { recovered: true, missed: 3 }, garden: { recovered: true, missed: 0 } },
        alerts: { recovered: true, missed: 1 },
      });
      expect(alerts).to.deep.equal(["alert 1", "alert 2"]);
      const live = said(a, "live");
      await b.say("live");
      await live;
      expect(messages.filter((m) => !m.startsWith("I have"))).to.deep.equal([
        "before",
        "missed 1",
        "missed 2",
        "missed 3",
        "live",
      ]);
      expect(a.details).to.deep.include({
        id: first.id,
        room: "kitchen",
        listeningRooms: ["garden"],
        params: { name: "Ada" },
      });
      expect([a.room, [...a.listeningRooms]]).to.deep.equal(["kitchen", ["garden"]]);
    });

    it("sends auth, from a function called at every connect, to authenticate; resumes that identity", async () => {
      await fixture.stop();
      const seen: unknown[] = [];
      fixture = await WsFixture.start({
        transports: ["ws", "socketio", "faye"],
        faye: FAYE,
        authenticate: (connection) => {
          const { auth } = connection as { auth?: { token?: string } };
          seen.push(auth);
          return auth?.token?.startsWith("ada-") === true ? { user: "ada" } : false;
        },
      });
      let calls = 0;
      const connector = new DroppableConnector(() => kind.make(fixture.server.url));
      const a = new ActionwireClient({
        url: fixture.server.url,
        connector,
        reconnectDelayMs: 60_000,
        auth: async () => ({ token: `ada-${++calls}` }),
      });
      clients.push(a);
      const first = await a.connect();
      await dropped(a, connector);
      const resumed = new Promise<ResumeInfo>((resolve) => a.once("resumed", resolve));
      expect((await a.connect()).id).to.equal(first.id);
      expect((await resumed).resumed).to.equal(true);
      expect(seen).to.deep.equal([{ token: "ada-1" }, { token: "ada-2" }]);
    });

    it("re-sends a request in flight with the same messageId: the action runs once", async () => {
      const { client: a, connector } = droppable();
      await a.connect();
      const reply = a.action("bump", { key: "k", waitMs: 150 });
      await a.detailsView(); // the action has reached the server once a later request is answered
      await dropped(a, connector);
      await a.connect();
      expect(await reply).to.include({ value: 1 });
      expect((await a.action("bump", { key: "k" })).value).to.equal(2);
      expect(runs.get("k")).to.equal(2);
    });

    it("acknowledges each reply with its next request: the session keeps only the last reply", async () => {
      const { client: a, connector } = droppable();
      const sent: Array<Record<string, unknown>> = [];
      const send = connector.send.bind(connector);
      connector.send = (request) => {
        sent.push(request);
        send(request);
      };
      await a.connect();
      for (let i = 0; i < 5; i++) await a.action("bump", { key: "acked" });
      const actions = sent.filter((request) => request.event === "action");
      const ids = actions.map((request) => request.messageId);
      expect(actions.map((request) => request.ack).slice(1)).to.deep.equal(
        ids.slice(0, -1).map((id) => [id]),
      );
      // The replies the server keeps: the last one only (its newest is kept aside, see Sessions).
      const session = connectionOf(String(a.details.id))?.session;
      const kept = [...(session?.recorded?.keys() ?? [])];
      if (session?.latest !== undefined) kept.push(session.latest);
      expect(kept).to.deep.equal(ids.slice(-1));
    });

    it("sends the requests made while reconnecting after the resumed welcome", async () => {
      const { client: a, connector } = droppable();
      const b = await witness();
      await a.connect();
      await dropped(a, connector);
      const sent = a.say("while away");
      const bump1 = a.action("bump", { key: "q" });
      const heardByB = said(b, "while away");
      await a.connect();
      await sent;
      expect((await heardByB).from).to.equal(a.details.id);
      expect(await bump1).to.include({ value: 1 });
    });
  });

describe("ActionwireClient after the server's shutdown goodbye", () => {
  it("schedules its reconnect after the goodbye's reconnectAfterMs, not its backoff", async () => {
    const fixture = await WsFixture.start({ resume: { shutdownSpreadMs: 50 } });
    const client = new ActionwireClient({ url: fixture.server.url, reconnectDelayMs: 60_000 });
    try {
      await client.connect();
      const goodbye = new Promise<ServerPayload>((resolve) => client.once("api", resolve));
      const delay = new Promise<number>((resolve) =>
        client.once("reconnecting", (_, ms) => resolve(ms)),
      );
      await fixture.stop();
      const bye = await goodbye;
      expect(bye).to.include({ reason: "server shutdown" });
      expect(bye.reconnectAfterMs).to.be.within(0, 50);
      expect(await delay).to.equal(Math.round(Number(bye.reconnectAfterMs)));
    } finally {
      client.disconnect();
    }
  });
});

describe("ActionwireClient over faye long-polling, when the network cuts a long-poll response", () => {
  it("resumes, and gets the pushes the cut response held: faye itself would not fetch them again", async function () {
    this.timeout(20_000);
    // A hold long enough that the server keeps the faye session past faye's own retry (5 s):
    // faye would carry on in it, without the response it lost.
    const fixture = await WsFixture.start({ transports: ["ws", "faye"], faye: { timeout: 10 } });
    const proxy = await RoundRobinProxy.start([fixture.server.url]);
    const connector = new DroppableConnector(
      () => new FayeConnector({ url: proxy.url, disable: ["websocket"], hello: true }),
    );
    const client = new ActionwireClient({ url: proxy.url, connector, reconnectDelayMs: 50 });
    const witness = new ActionwireClient({ url: fixture.server.url });
    try {
      await client.connect();
      await witness.connect();
      const messages: string[] = [];
      client.on("say", (m) => messages.push(String(m.message)));
      const heard = (message: string) =>
        new Promise<void>((resolve) => client.on("say", (m) => m.message === message && resolve()));
      const before = heard("before");
      await witness.say("before");
      await before;
      // The client's long-poll is held by the server. The network stalls: the server answers the
      // long-poll with "cut", and the answer waits in the proxy; then every connection drops.
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy.pause({ existing: "stall" });
      await witness.say("cut");
      await new Promise((resolve) => setTimeout(resolve, 200));
      await proxy.dropAll();
      proxy.resume();
      const after = heard("after");
      await witness.say("after");
      await after;
      expect(messages.filter((m) => !m.startsWith("I have"))).to.deep.equal([
        "before",
        "cut",
        "after",
      ]);
    } finally {
      client.disconnect();
      witness.disconnect();
      await proxy.close();
      await fixture.stop();
    }
  });
});

describe("ActionwireClient resume across nodes (real redis-server)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let nodes: ActionwireServer[] = [];
  const clients: ActionwireClient[] = [];

  const startNode = async (nodeId: string) => {
    const node = await startDemoServer({
      nodeId,
      transports: ["ws", "socketio", "faye"],
      faye: FAYE,
      redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 600 },
    });
    nodes.push(node);
    return node;
  };

  before(async () => {
    redis = await RedisProcess.start();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  for (const kind of KINDS)
    it(`comes back on the other node over ${kind.label}: same id and params, what it missed once`, async () => {
      const [a, b] = [await startNode("a"), await startNode("b")];
      // A balancer without stickiness: each connection goes to the next node.
      let turn = 0;
      const connector = new DroppableConnector(() => kind.make([a, b][turn++ % 2]!.url));
      const client = new ActionwireClient({ url: a.url, connector, reconnectDelayMs: 60_000 });
      const witness = new ActionwireClient({ url: b.url });
      clients.push(client, witness);
      const first = await client.connect();
      await client.request("paramAdd", { key: "name", value: "Ada" });
      const messages: string[] = [];
      client.on("say", (m) => messages.push(String(m.message)));
      const said = (message: string) =>
        new Promise<void>((resolve) => client.on("say", (m) => m.message === message && resolve()));
      const before = said("before");
      await witness.connect();
      await witness.say("before");
      await before;
      const disconnected = new Promise((resolve) => client.once("disconnected", resolve));
      connector.drop();
      await disconnected;
      for (const m of ["missed 1", "missed 2"]) await witness.say(m);
      const resumed = new Promise<ResumeInfo>((resolve) => client.once("resumed", resolve));
      const details = await client.connect();
      expect(await resumed).to.deep.include({ resumed: true, recovered: true });
      expect(details).to.deep.include({ id: first.id, params: { name: "Ada" } });
      const live = said("live");
      await witness.say("live");
      await live;
      expect(messages.filter((m) => !m.startsWith("I have"))).to.deep.equal([
        "before",
        "missed 1",
        "missed 2",
        "live",
      ]);
    });

  it("sends again, on the node it resumes on, a request a stopping node refused (ERR_SHUTTING_DOWN): it is not failed", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    let turn = 0;
    const connector = new DroppableConnector(
      () => new WsConnector({ url: [a, b][turn++ % 2]!.url, hello: true }),
    );
    const client = new ActionwireClient({ url: a.url, connector, reconnectDelayMs: 50 });
    const witness = new ActionwireClient({ url: b.url });
    clients.push(client, witness);
    await client.connect();
    await witness.connect();
    const messages: string[] = [];
    witness.on("say", (m) => messages.push(String(m.message)));
    const heard = new Promise<void>((resolve) =>
      witness.on("say", (m) => m.message === "during the stop" && resolve()),
    );
    // An action in flight keeps node a draining (its connections open) while the say arrives.
    const slow = client.action("sleepTest", { sleepDuration: 500 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = a.stop();
    const refused = new Promise<ServerPayload>((resolve) =>
      client.on("api", (m) => m.status === "Bye!" && resolve(m)),
    );
    const say = client.say("during the stop");
    expect((await slow).sleepDuration).to.equal(500);
    await refused;
    await stopped;
    await say;
    await heard;
    expect(messages.filter((m) => m === "during the stop")).to.have.length(1);
  });
});
