import { expect } from "chai";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import {
  ActionwireClient,
  type ClientOptions,
  type GoodbyePush,
  RequestError,
  type ServerPayload,
} from "../../src/client/index.js";
import { runWithHiddenPackages } from "../helpers/hidden-packages.js";
import { WsFixture } from "../helpers/ws-server.js";

/** Every kind of client connection the Node client can make. */
const KINDS: Array<{ label: string; options: Partial<ClientOptions> }> = [
  { label: "ws", options: { transport: "ws" } },
  {
    label: "socketio (websocket)",
    options: { transport: "socketio", socketio: { transports: ["websocket"] } },
  },
  {
    label: "socketio (polling)",
    options: { transport: "socketio", socketio: { transports: ["polling"] } },
  },
  { label: "faye (websocket)", options: { transport: "faye" } },
  {
    label: "faye (long-polling)",
    options: { transport: "faye", faye: { disable: ["websocket"] } },
  },
];

for (const kind of KINDS)
  describe(`ActionwireClient over ${kind.label}`, () => {
    let fixture: WsFixture;
    const clients: ActionwireClient[] = [];
    const transport = kind.options.transport!;
    const startServer = (config = {}) =>
      WsFixture.start({ transports: ["ws", "socketio", "faye"], ...config });

    const client = (options: Partial<ClientOptions> = {}) => {
      const c = new ActionwireClient({ url: fixture.server.url, ...kind.options, ...options });
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      fixture = await startServer();
    });

    afterEach(async () => {
      for (const c of clients.splice(0)) c.disconnect();
      await fixture.stop();
    });

    it("connects and resolves with the connection's details", async () => {
      const c = client();
      const welcomes: ServerPayload[] = [];
      c.on("welcome", (w) => welcomes.push(w));
      const details = await c.connect();
      expect(details).to.include({ room: "defaultRoom", transport, remoteIP: "127.0.0.1" });
      expect(c.details).to.equal(details);
      expect(c.connected).to.equal(true);
      expect(welcomes).to.have.length(1);
    });

    it("runs actions with promises and with the seeds' (error, response) callbacks", async () => {
      const c = client();
      await c.connect();
      const reply = await c.action("cacheTest", { key: "k", value: "v" });
      expect(reply.cacheTestResults).to.deep.include({ saveResp: true });
      const viaCallback = await new Promise<[string | null, ServerPayload]>((resolve) => {
        void c.action("cacheTest", { value: "v" }, (error, response) => resolve([error, response]));
      });
      expect(viaCallback[0]).to.equal("key is a required parameter for this action");
      expect(viaCallback[1].code).to.equal("ERR_MISSING_PARAM");
      const error = await c.action("nope").catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RequestError);
      expect(error).to.include({
        code: "ERR_UNKNOWN_ACTION",
        message: "nope is not a known action",
      });
    });

    it("chats, changes rooms, listens and silences", async () => {
      const a = client();
      const b = client();
      await a.connect();
      await b.connect();
      const heard: ServerPayload[] = [];
      a.on("say", (m) => heard.push(m));
      const got = new Promise<ServerPayload>((resolve) =>
        a.on("say", (m) => m.message === "hi a" && resolve(m)),
      );
      await b.say("hi a");
      expect(await got).to.include({ from: b.details.id, room: "defaultRoom" });
      await b.roomChange("lobby");
      expect(b.room).to.equal("lobby");
      const view = await b.roomView();
      expect(view.data).to.deep.equal({ room: "lobby", members: [b.details.id], membersCount: 1 });
      await a.listenToRoom("lobby");
      expect([...a.listeningRooms]).to.deep.equal(["lobby"]);
      const fromLobby = new Promise<ServerPayload>((resolve) =>
        a.on("say", (m) => m.room === "lobby" && m.message === "from lobby" && resolve(m)),
      );
      await b.say("from lobby");
      await fromLobby;
      await a.silenceRoom("lobby");
      expect(a.listeningRooms.size).to.equal(0);
    });

    it("receives alerts", async () => {
      const c = client();
      await c.connect();
      const alert = new Promise<ServerPayload>((resolve) => c.on("alert", resolve));
      await c.action("alertTest", { message: "ping" });
      expect(await alert).to.include({ context: "alert", message: "ping" });
    });

    it("times a request out, emits timeout, and clears the timer when a reply comes", async () => {
      const c = client({ timeoutMs: 100 });
      await c.connect();
      const timeouts: string[] = [];
      c.on("timeout", (event) => timeouts.push(event));
      const slow = await c.action("sleepTest", { sleepDuration: 400 }).catch((e: unknown) => e);
      expect(slow).to.be.instanceOf(RequestError);
      expect((slow as RequestError).code).to.equal("ERR_TIMEOUT");
      expect(timeouts).to.deep.equal(["action"]);
      // A fast request's reply clears its timer: no timeout event follows.
      await c.action("sleepTest", { sleepDuration: 10 });
      // Kept: the timer that must not fire is the client's own; no event comes before it.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(timeouts).to.deep.equal(["action"]);
    });

    it("rejects pending requests and emits goodbye and disconnected when the server disconnects it", async () => {
      const c = client({ reconnect: false });
      await c.connect();
      const goodbye = new Promise<GoodbyePush>((resolve) => c.on("goodbye", resolve));
      const disconnected = new Promise<string>((resolve) => c.on("disconnected", resolve));
      const pending = c.action("sleepTest", { sleepDuration: 2000 }).catch((e: unknown) => e);
      await c.roomView(); // the action is in flight once a later request answers
      await fixture.server.disconnect(String(c.details.id));
      expect(await goodbye).to.deep.equal({
        context: "api",
        status: "Bye!",
        reason: "disconnected by server",
      });
      expect(await disconnected).to.equal("disconnected by server");
      expect(await pending).to.include({ code: "ERR_DISCONNECTED" });
      expect(c.connected).to.equal(false);
    });

    it("reconnects after a server restart and rejoins its room and listened rooms", async () => {
      const c = client({ reconnectDelayMs: 20 });
      await c.connect();
      await c.roomChange("kitchen");
      await c.listenToRoom("garden");
      const firstId = c.details.id;
      const reconnected = new Promise<Record<string, unknown>>((resolve) =>
        c.on("reconnected", resolve),
      );
      const { port } = fixture.server.address;
      await fixture.stop();
      fixture = await startServer({ port });
      const details = await reconnected;
      expect(details.id).not.to.equal(firstId);
      const now = (await c.detailsView()).data as { room: string; listeningRooms: string[] };
      expect(now.room).to.equal("kitchen");
      expect(now.listeningRooms).to.deep.equal(["garden"]);
    });

    // Issue 15's three reconnect defects, on the rejoin a client without resume does itself.
    const restartWith = async (config: Record<string, unknown>) => {
      const { port } = fixture.server.address;
      await fixture.stop();
      fixture = await startServer({ port, ...config });
    };

    it("without resume, reconnects into the room it got when its room refuses it again, with an error", async () => {
      const c = client({ resume: false, reconnectDelayMs: 20 });
      await c.connect();
      await c.roomChange("kitchen");
      await c.listenToRoom("garden");
      const refusals: RequestError[] = [];
      c.on("error", (e) => {
        if (e instanceof RequestError && e.code === "ERR_NOT_AUTHORIZED") refusals.push(e);
      });
      const reconnected = new Promise<Record<string, unknown>>((resolve) =>
        c.on("reconnected", resolve),
      );
      await restartWith({
        roomHooks: { authorizeJoin: (_: unknown, room: string) => room !== "kitchen" },
      });
      const details = await reconnected;
      expect(details.room).to.equal("defaultRoom");
      expect(c.room).to.equal("defaultRoom");
      expect([...c.listeningRooms]).to.deep.equal(["garden"]);
      expect(refusals.map((e) => e.message)).to.deep.equal([
        'could not rejoin room "kitchen" after the reconnect: not authorized to join room',
      ]);
      const now = (await c.detailsView()).data as { room: string; listeningRooms: string[] };
      expect(now).to.deep.include({ room: "defaultRoom", listeningRooms: ["garden"] });
    });

    it("without resume, drops a listened room the server refuses after a reconnect, with an error", async () => {
      const c = client({ resume: false, reconnectDelayMs: 20 });
      await c.connect();
      await c.listenToRoom("garden");
      await c.listenToRoom("shed");
      const refusals: RequestError[] = [];
      c.on("error", (e) => {
        if (e instanceof RequestError && e.code === "ERR_NOT_AUTHORIZED") refusals.push(e);
      });
      const reconnected = new Promise<Record<string, unknown>>((resolve) =>
        c.on("reconnected", resolve),
      );
      await restartWith({
        roomHooks: { authorizeListen: (_: unknown, room: string) => room !== "garden" },
      });
      const details = await reconnected;
      expect([...c.listeningRooms]).to.deep.equal(["shed"]);
      expect(details.listeningRooms).to.deep.equal(["shed"]);
      expect(refusals.map((e) => e.message)).to.deep.equal([
        'could not listen to room "garden" after the reconnect: not authorized to listen to room',
      ]);
    });

    it("keeps details.room and details.listeningRooms true after its room verbs and a reconnect", async () => {
      const c = client({ resume: false, reconnectDelayMs: 20 });
      await c.connect();
      await c.roomChange("kitchen");
      expect(c.details.room).to.equal("kitchen");
      await c.listenToRoom("garden");
      expect(c.details.listeningRooms).to.deep.equal(["garden"]);
      const reconnected = new Promise<Record<string, unknown>>((resolve) =>
        c.on("reconnected", resolve),
      );
      await restartWith({});
      const details = await reconnected;
      expect(details).to.deep.include({ room: "kitchen", listeningRooms: ["garden"] });
      await c.silenceRoom("garden");
      expect(c.details.listeningRooms).to.deep.equal([]);
    });

    it("does not reconnect after the server disconnects it on purpose", async () => {
      const c = client({ reconnectDelayMs: 10 });
      await c.connect();
      const disconnected = new Promise<string>((resolve) => c.on("disconnected", resolve));
      await fixture.server.disconnect(String(c.details.id));
      expect(await disconnected).to.equal("disconnected by server");
      // Five reconnect delays later, still nobody: the server holds no connection.
      // Kept: faye's own client handshakes again by itself, and nothing tells the test it won't.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fixture.server.connectionCount).to.equal(0);
    });

    it("does not reconnect after disconnect() and rejects new requests", async () => {
      const c = client({ reconnectDelayMs: 10 });
      await c.connect();
      c.disconnect();
      const error = await c.roomView().catch((e: unknown) => e);
      expect(error).to.include({ code: "ERR_DISCONNECTED" });
      // Five reconnect delays later, still nobody: the server holds no connection.
      // Kept: no event tells the test when the quit or the close has reached the server.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(c.connected).to.equal(false);
      expect(fixture.server.connectionCount).to.equal(0);
    });

    it("rejects connect() when disconnect() comes first, or while the server holds the welcome", async () => {
      const early = client({ reconnect: false });
      const connecting = early.connect();
      early.disconnect();
      expect(await connecting.catch((e: unknown) => e)).to.include({ code: "ERR_DISCONNECTED" });

      // The server sends the welcome once authenticate settles: held here until the client gave up.
      await fixture.stop();
      let reached: () => void = () => undefined;
      const authenticating = new Promise<void>((resolve) => (reached = resolve));
      let release: (verdict: boolean) => void = () => undefined;
      fixture = await startServer({
        authenticate: () => {
          reached();
          return new Promise<boolean>((resolve) => (release = resolve));
        },
      });
      const late = client({ reconnect: false });
      const held = late.connect().catch((e: unknown) => e);
      await authenticating;
      late.disconnect();
      expect(await held).to.include({ code: "ERR_DISCONNECTED" });
      expect(late.connected).to.equal(false);
      release(true);
    });

    it("rejects connect() with ERR_TIMEOUT when no welcome comes within connectTimeoutMs", async () => {
      await fixture.stop();
      let release: (verdict: boolean) => void = () => undefined;
      fixture = await startServer({
        authenticate: () => new Promise<boolean>((resolve) => (release = resolve)),
      });
      const c = client({ reconnect: false, connectTimeoutMs: 300 });
      const started = performance.now();
      const error = await c.connect().catch((e: unknown) => e);
      expect(error).to.include({ code: "ERR_TIMEOUT" });
      expect(performance.now() - started).to.be.at.least(290);
      expect(c.connected).to.equal(false);
      release(true);
    });

    it("gives up a reconnect attempt that gets no welcome within connectTimeoutMs, and tries again", async () => {
      const c = client({ reconnectDelayMs: 10, connectTimeoutMs: 300 });
      await c.connect();
      const codes: string[] = [];
      c.on("error", (error) => codes.push((error as RequestError).code ?? error.message));
      const reconnected = new Promise((resolve) => c.on("reconnected", resolve));
      const { port } = fixture.server.address;
      await fixture.stop();
      // The first connection to reach the restarted server never gets its welcome.
      let calls = 0;
      let release: (verdict: boolean) => void = () => undefined;
      fixture = await startServer({
        port,
        authenticate: () =>
          calls++ === 0 ? new Promise<boolean>((resolve) => (release = resolve)) : true,
      });
      await reconnected;
      expect(codes).to.include("ERR_TIMEOUT");
      expect(calls).to.be.at.least(2);
      expect(c.connected).to.equal(true);
      release(true);
    });

    // A raw ws server that closes at once: the ws connector only.
    if (transport === "ws") {
      it("rejects connect() when the server closes before the welcome", async () => {
        const { WebSocketServer } = await import("ws");
        const rude = new WebSocketServer({ port: 0, host: "127.0.0.1" });
        rude.on("connection", (socket) => socket.close(1011));
        await new Promise((resolve) => rude.once("listening", resolve));
        const { port } = rude.address() as { port: number };
        const c = new ActionwireClient({ url: `http://127.0.0.1:${port}`, reconnect: false });
        const error = await c.connect().catch((e: unknown) => e);
        expect(error).to.include({ code: "ERR_DISCONNECTED" });
        await new Promise((resolve) => rude.close(resolve));
      });
    }

    it("gives a failed reconnect attempt's error ERR_CONNECT_FAILED", async () => {
      const c = client({ reconnectDelayMs: 10 });
      await c.connect();
      const failed = new Promise<Error>((resolve) => c.once("error", resolve));
      const { url } = fixture.server;
      await fixture.stop();
      const error = await failed;
      expect(error).to.be.instanceOf(RequestError);
      expect(error).to.include({ code: "ERR_CONNECT_FAILED" });
      expect(error.message).to.equal(`could not connect to ${url}`);
      c.disconnect();
      fixture = await startServer();
    });

    it("fails to connect to a server that is not there", async () => {
      const url = fixture.server.url;
      await fixture.server.stop();
      const c = new ActionwireClient({ url, reconnect: false });
      const error = await c.connect().catch((e: unknown) => e);
      expect(error).to.be.instanceOf(Error);
      expect(c.connected).to.equal(false);
    });
  });

/** A port with nothing listening on it: one the system just gave out, closed again. */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("ActionwireClient against a port with nothing listening", () => {
  const cases: Array<{ label: string; options: Partial<ClientOptions> }> = [
    ...KINDS,
    { label: "auto", options: { transport: "auto" } },
  ];
  for (const { label, options } of cases)
    it(`rejects connect() over ${label} with ERR_CONNECT_FAILED, the transport's error as cause`, async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const c = new ActionwireClient({ url, reconnect: false, ...options });
      const error = (await c.connect().catch((e: unknown) => e)) as RequestError;
      expect(error).to.be.instanceOf(RequestError);
      expect(error).to.include({
        code: "ERR_CONNECT_FAILED",
        message: `could not connect to ${url}`,
      });
      expect(error.cause).to.be.instanceOf(Error);
      expect(error.cause).not.to.be.instanceOf(RequestError);
      expect(c.connected).to.equal(false);
    });
});

describe("ActionwireClient without a transport's package", () => {
  const clientModule = fileURLToPath(new URL("../../src/client/index.js", import.meta.url));
  let fixture: WsFixture;

  before(async () => {
    fixture = await WsFixture.start({ transports: ["ws", "socketio", "faye"] });
  });

  after(async () => {
    await fixture.stop();
  });

  for (const [transport, name] of [
    ["socketio", "socket.io-client"],
    ["faye", "faye"],
    ["ws", "ws"],
  ] as const)
    it(`rejects connect() over ${transport} with ERR_TRANSPORT_UNAVAILABLE when "${name}" is missing`, async () => {
      const script = `
        const { ActionwireClient } = await import(${JSON.stringify(clientModule)});
        const c = new ActionwireClient({ url: process.env.URL, transport: ${JSON.stringify(transport)}, reconnect: false });
        const error = await c.connect().then(() => ({ connected: true }), (e) => e);
        c.disconnect();
        console.log(JSON.stringify({ code: error.code, message: error.message, connected: error.connected }));
      `;
      const stdout = await runWithHiddenPackages(script, [name], {
        // Node 20 has no global WebSocket by default; a later Node's would hide "ws" unused.
        nodeArgs: ["--no-experimental-websocket"],
        env: { URL: fixture.server.url },
      });
      expect(JSON.parse(stdout)).to.deep.equal({
        code: "ERR_TRANSPORT_UNAVAILABLE",
        message: `The ${transport} transport needs the "${name}" package. Install it with: npm install ${name}`,
      });
    });
});
