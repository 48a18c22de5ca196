import { expect } from "chai";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { io } from "socket.io-client";
import { MessageInbox } from "../../src/core/message-inbox.js";
import { type FayeMode, FayeWire, fayeEndpoint } from "../helpers/faye-contract-client.js";
import { TcpTestClient, tcpPort } from "../helpers/tcp-test-client.js";
import { countServerWritesAt } from "../helpers/server-writes.js";
import { drop, resumeOf, sessionOf } from "../helpers/session-of.js";
import { type Message, WsTestClient } from "../helpers/ws-test-client.js";

/** A counter action that must not run twice for one request. */
function counterAction(counts: Map<string, number>) {
  return defineAction({
    name: "bump",
    inputs: { key: { required: true }, waitMs: { default: 0, formatter: Number } },
    run: async ({ key, waitMs }) => {
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const value = (counts.get(String(key)) ?? 0) + 1;
      counts.set(String(key), value);
      return { value };
    },
  });
}

describe("Sessions and resume (one node, ws)", function () {
  this.timeout(15_000);
  let server: ActionwireServer;
  let url: string;
  let clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    server = await startDemoServer({ transports: ["ws"], ...config });
    url = `ws://127.0.0.1:${server.address.port}/ws`;
  };
  const hello = async (params: Record<string, unknown> = {}) => {
    const client = await WsTestClient.hello(url, params);
    clients.push(client);
    return client;
  };
  const plain = async () => {
    const client = await WsTestClient.connect(url);
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await server?.stop();
  });

  describe("with the default settings", () => {
    beforeEach(() => start({ actions: [counterAction(new Map())] }));

    it("gives a client that says hello an id and a resume token in its welcome", async () => {
      const client = await hello();
      expect(client.welcome).to.include({ context: "api", room: "defaultRoom" });
      expect(client.welcome.id).to.be.a("string");
      expect(sessionOf(client)).to.deep.include({ resumed: false, recovered: false, rooms: {} });
      expect(sessionOf(client).token).to.match(/^[A-Za-z0-9_-]{43}$/);
      const details = (await client.request("detailsView")).data as { id: string };
      expect(details.id).to.equal(client.welcome.id);
    });

    it("speaks version 1 to a client that does not say hello: no id, no session", async () => {
      const client = await plain();
      expect(client.welcome).to.deep.equal({
        context: "api",
        welcome: "Hello! Welcome to the actionwire api",
        room: "defaultRoom",
      });
    });

    it("resumes a dropped session: same id, room, listens, params, and every missed push once, in order", async () => {
      const [alice, bob] = [await hello(), await hello()];
      await alice.request("listenToRoom", { room: "news" });
      await alice.request("paramAdd", { key: "colour", value: "blue" });
      await bob.request("say", { message: "before" });
      const last = await alice.nextSay("before");
      // Offsets count every room push from 1: the two entered notices, then "before".
      expect(last).to.include({ offset: 3 });
      expect(last.epoch).to.be.a("string");
      await drop(alice);
      for (let i = 1; i <= 5; i++) await bob.request("say", { message: `missed ${i}` });
      const back = await hello({ resume: resumeOf(alice, last) });
      expect(back.welcome.id).to.equal(alice.welcome.id);
      expect(back.welcome.room).to.equal("defaultRoom");
      expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
      expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: true, missed: 5 } });
      expect(sessionOf(back).token).to.not.equal(sessionOf(alice).token);
      const replayed = [];
      for (let i = 1; i <= 5; i++) replayed.push(await back.nextSay());
      expect(replayed.map((m) => [m.message, m.offset])).to.deep.equal([
        ["missed 1", 4],
        ["missed 2", 5],
        ["missed 3", 6],
        ["missed 4", 7],
        ["missed 5", 8],
      ]);
      await bob.request("say", { message: "live" });
      expect(await back.nextSay()).to.include({ message: "live", offset: 9 });
      // A session's messageIds must not repeat (a repeated one is answered from the record).
      const details = (await back.send("detailsView", {}, "after")).data as Record<string, unknown>;
      expect(details).to.deep.include({
        id: alice.welcome.id,
        room: "defaultRoom",
        listeningRooms: ["news"],
        params: { colour: "blue" },
      });
    });

    it("takes a session from its old socket on this node with what that socket changed, when the client comes back first", async () => {
      const [alice, bob] = [await hello(), await hello()];
      // Changes made on the live socket: the memory store has none of them until a drop.
      await alice.request("roomChange", { room: "kitchen" });
      await alice.request("listenToRoom", { room: "news" });
      await alice.request("paramAdd", { key: "colour", value: "blue" });
      await bob.request("roomChange", { room: "kitchen" });
      await bob.request("say", { message: "before" });
      const last = await alice.nextSay("before");
      // The old socket is still open (a network that lost it without a word): the client resumes.
      const back = await hello({ resume: resumeOf(alice, last) });
      expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
      expect(back.welcome.room).to.equal("kitchen");
      await alice.closed;
      await bob.request("say", { message: "live" });
      expect(await back.nextSay()).to.include({ message: "live" });
      const details = (await back.send("detailsView", {}, "after")).data as Record<string, unknown>;
      expect(details).to.deep.include({
        id: alice.welcome.id,
        room: "kitchen",
        listeningRooms: ["news"],
        params: { colour: "blue" },
      });
    });

    it("sends a resumed session's welcome and the pushes it missed in one write", async () => {
      const [alice, bob] = [await hello(), await hello()];
      await bob.request("say", { message: "before" });
      const last = await alice.nextSay("before");
      await drop(alice);
      for (let i = 1; i <= 5; i++) await bob.request("say", { message: `missed ${i}` });
      const writes = countServerWritesAt(server.address.port);
      let back: WsTestClient;
      try {
        back = await hello({ resume: resumeOf(alice, last) });
        for (let i = 1; i <= 5; i++) await back.nextSay(`missed ${i}`);
      } finally {
        writes.restore();
      }
      expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: true, missed: 5 } });
      // The upgrade's response, then the welcome and the five pushes together.
      expect(writes.count, "server writes on the resumed socket").to.equal(2);
    });

    it("does not announce a session that comes back within the grace as leaving or entering", async () => {
      const [alice, bob] = [await hello(), await hello()];
      await drop(alice);
      await bob.request("say", { message: "while away" });
      const back = await hello({ resume: resumeOf(alice) });
      expect(sessionOf(back).resumed).to.equal(true);
      await bob.request("say", { message: "marker" });
      await back.nextSay("marker");
      await back.request("say", { message: "back" });
      expect(await bob.nextSay()).to.include({ message: "back" });
      const notices = bob.inbox.received.filter(
        (m) => m.from === alice.welcome.id && String(m.message).startsWith("I have"),
      );
      expect(notices).to.deep.equal([]);
      const view = (await bob.request("roomView")).data as { members: string[] };
      expect(view.members).to.have.members([alice.welcome.id, bob.welcome.id]);
    });

    it("answers a request re-sent after a resume from the session's record: it does not run twice", async () => {
      const alice = await hello();
      const first = await alice.send("action", { action: "bump", key: "k" }, "c1");
      expect(first.value).to.equal(1);
      await drop(alice);
      const back = await hello({ resume: resumeOf(alice) });
      const again = await back.send("action", { action: "bump", key: "k" }, "c1");
      expect(again).to.deep.equal(first);
      const next = await back.send("action", { action: "bump", key: "k" }, "c2");
      expect(next.value).to.equal(2);
    });

    it("forgets the recorded replies a request acknowledges: a copy re-sent after that runs again", async () => {
      const alice = await hello();
      expect((await alice.send("action", { action: "bump", key: "k" }, "c1")).value).to.equal(1);
      expect((await alice.send("action", { action: "bump", key: "k" }, 2)).value).to.equal(2);
      // c3 acknowledges c1 (the number 1 is not the string "1": nothing else is forgotten).
      alice.socket.send(
        JSON.stringify({
          event: "action",
          params: { action: "bump", key: "k" },
          messageId: "c3",
          ack: ["c1", "2"],
        }),
      );
      await alice.next((m) => m.messageId === "c3");
      await drop(alice);
      const back = await hello({ resume: resumeOf(alice) });
      // Forgotten: it runs as a new request.
      expect((await back.send("action", { action: "bump", key: "k" }, "c1")).value).to.equal(4);
      // Still recorded: answered from the record, not run.
      expect((await back.send("action", { action: "bump", key: "k" }, 2)).value).to.equal(2);
      expect((await back.send("action", { action: "bump", key: "k" }, "c3")).value).to.equal(3);
    });

    it("refuses a malformed ack with ERR_BAD_MESSAGE, and keeps serving", async () => {
      const alice = await hello();
      alice.socket.send(
        JSON.stringify({
          event: "roomView",
          params: { room: "defaultRoom" },
          messageId: "v",
          ack: "c1",
        }),
      );
      const refused = await alice.next((m) => m.context === "response");
      expect(refused).to.include({ code: "ERR_BAD_MESSAGE" });
      expect(refused.error).to.equal("bad message: ack must be an array of at most 64 messageIds");
      expect((await alice.send("action", { action: "bump", key: "k" }, "c2")).value).to.equal(1);
    });

    it("answers a request still running when the socket dropped once, after the resume", async () => {
      const alice = await hello();
      alice.socket.send(
        JSON.stringify({
          event: "action",
          params: { action: "bump", key: "slow", waitMs: 300 },
          messageId: "c9",
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50)); // the action is under way
      await drop(alice);
      const back = await hello({ resume: resumeOf(alice) });
      const reply = await back.send("action", { action: "bump", key: "slow", waitMs: 300 }, "c9");
      expect(reply.value).to.equal(1);
      const check = await back.send("action", { action: "bump", key: "slow" }, "c10");
      expect(check.value).to.equal(2);
    });

    it("starts a new session for a wrong token, and says why", async () => {
      const alice = await hello();
      await drop(alice);
      const other = await hello({ resume: { ...resumeOf(alice), token: "x".repeat(43) } });
      expect(other.welcome.id).to.not.equal(alice.welcome.id);
      expect(sessionOf(other)).to.deep.include({ resumed: false, reason: "invalid" });
      const gone = await hello({ resume: { ...resumeOf(alice), session: "no-such-session" } });
      expect(sessionOf(gone)).to.deep.include({ resumed: false, reason: "expired" });
    });

    it("ends the session at a quit: it cannot be resumed", async () => {
      const alice = await hello();
      alice.socket.send(JSON.stringify({ event: "quit" }));
      await alice.closed;
      const back = await hello({ resume: resumeOf(alice) });
      expect(sessionOf(back)).to.deep.include({ resumed: false, reason: "expired" });
    });

    it("closes a connection whose first frame is not the hello it announced", async () => {
      const client = await WsTestClient.open(`${url}?hello=1`);
      clients.push(client);
      client.sendRaw(JSON.stringify({ event: "roomView", messageId: 1 }));
      const bye = await client.next();
      expect(bye).to.deep.include({
        context: "api",
        status: "Bye!",
        reason: "bad hello",
        code: "ERR_BAD_MESSAGE",
      });
      await client.closed;
    });
  });

  it("keeps a session's last resume.maxReplies replies and forgets older ones: re-sent, they run again", async () => {
    await start({ actions: [counterAction(new Map())], resume: { maxReplies: 2 } });
    const alice = await hello();
    for (const id of ["r1", "r2", "r3"]) {
      await alice.send("action", { action: "bump", key: "k" }, id);
    }
    await drop(alice);
    const back = await hello({ resume: resumeOf(alice) });
    expect((await back.send("action", { action: "bump", key: "k" }, "r2")).value).to.equal(2);
    expect((await back.send("action", { action: "bump", key: "k" }, "r3")).value).to.equal(3);
    expect((await back.send("action", { action: "bump", key: "k" }, "r1")).value).to.equal(4);
  });

  it("passes the hello's auth to authenticate, and resumes only the same identity", async () => {
    await start({
      authenticate: (connection) => {
        const user = connection.auth?.user;
        return typeof user === "string" ? { user } : false;
      },
    });
    const alice = await hello({ auth: { user: "alice" } });
    expect(sessionOf(alice).resumed).to.equal(false);
    await drop(alice);
    const mallory = await hello({ auth: { user: "mallory" }, resume: resumeOf(alice) });
    expect(sessionOf(mallory)).to.deep.include({ resumed: false, reason: "identity" });
    expect(mallory.welcome.id).to.not.equal(alice.welcome.id);
    const back = await hello({ auth: { user: "alice" }, resume: resumeOf(alice) });
    expect(back.welcome.id).to.equal(alice.welcome.id);
    expect(sessionOf(back).resumed).to.equal(true);
    const refused = await hello({});
    expect(refused.welcome).to.include({ reason: "not authorized", code: "ERR_NOT_AUTHORIZED" });
  });

  it("announces a session that does not come back within the grace as leaving, once, and entering when it does", async () => {
    await start({ resume: { graceMs: 200 } });
    const [alice, bob] = [await hello(), await hello()];
    await drop(alice);
    const left = await bob.nextSay("I have left the room");
    expect(left.from).to.equal(alice.welcome.id);
    const back = await hello({ resume: resumeOf(alice) });
    expect(sessionOf(back).resumed).to.equal(true);
    const entered = await bob.nextSay("I have entered the room");
    expect(entered.from).to.equal(alice.welcome.id);
    await back.request("say", { message: "marker" });
    await bob.nextSay("marker");
    const leaves = bob.inbox.received.filter((m) => m.message === "I have left the room");
    expect(leaves).to.have.length(1);
  });

  it("says a room is not recovered when what the client missed was trimmed from its history", async () => {
    await start({ resume: { historySize: 3 } });
    const [alice, bob] = [await hello(), await hello()];
    await bob.request("say", { message: "seen" });
    const last = await alice.nextSay("seen");
    await drop(alice);
    for (let i = 1; i <= 5; i++) await bob.request("say", { message: `missed ${i}` });
    const back = await hello({ resume: resumeOf(alice, last) });
    expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: false });
    expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: false, missed: 0 } });
    await bob.request("say", { message: "live" });
    expect(await back.nextSay()).to.include({ message: "live" });
  });

  it("says a room is not recovered when its history is from another epoch (a restarted node)", async () => {
    await start();
    const [alice, bob] = [await hello(), await hello()];
    await bob.request("say", { message: "seen" });
    const last = await alice.nextSay("seen");
    await drop(alice);
    const back = await hello({ resume: resumeOf(alice, { ...last, epoch: "another-epoch" }) });
    expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: false, missed: 0 } });
    expect(sessionOf(back).recovered).to.equal(false);
  });

  it("keeps no session with resume.enabled false, and says so", async () => {
    await start({ resume: { enabled: false } });
    const alice = await hello();
    expect(sessionOf(alice)).to.deep.equal({
      resumed: false,
      recovered: false,
      reason: "disabled",
      rooms: {},
    });
  });

  it("takes the hello, and resumes, over tcp (its line form, with tcp.hello)", async () => {
    await start({
      transports: ["ws", "tcp"],
      tcp: { port: 0, hello: true },
      authenticate: (connection) => connection.auth?.user === "alice" && { user: "alice" },
    });
    const port = tcpPort(server);
    const first = await TcpTestClient.connect(port, "127.0.0.1", 'hello {"auth":{"user":"alice"}}');
    expect(first.welcome).to.include({ context: "api", room: "defaultRoom" });
    const token = (first.welcome.session as { token: string }).token;
    first.socket.destroy();
    await first.closed;
    const resume = { session: first.welcome.id, token, rooms: {} };
    const back = await TcpTestClient.connect(
      port,
      "127.0.0.1",
      `hello ${JSON.stringify({ auth: { user: "alice" }, resume })}`,
    );
    expect(back.welcome.id).to.equal(first.welcome.id);
    expect(back.welcome.session).to.deep.include({ resumed: true });
    await back.close();
    const refused = await TcpTestClient.connect(port, "127.0.0.1", "hello {}");
    expect(refused.welcome).to.include({ reason: "not authorized" });
    await refused.closed;
  });

  it("takes the hello over socket.io, announced in the handshake query, polling included", async () => {
    await start({
      transports: ["socketio"],
      authenticate: (connection) => connection.auth?.user === "alice" && { user: "alice" },
    });
    const socket = io(`http://127.0.0.1:${server.address.port}`, {
      transports: ["polling"],
      query: { hello: "1" },
      forceNew: true,
    });
    try {
      const welcome = new Promise<Message>((resolve) => socket.once("welcome", resolve));
      socket.emit("hello", { auth: { user: "alice" } });
      const message = await welcome;
      expect(message).to.include({ room: "defaultRoom" });
      expect(message.id).to.be.a("string");
      expect(message.session).to.deep.include({ resumed: false });
    } finally {
      socket.close();
    }
  });

  it("numbers the alerts of a session, keeps those sent while it is away, and replays what the client missed", async () => {
    await start();
    const alice = await hello();
    expect(await server.alert(String(alice.welcome.id), "first")).to.equal(true);
    const first = await alice.next((m) => m.context === "alert");
    expect(first).to.deep.include({ seq: 1, message: "first" });
    await drop(alice);
    // Nobody holds the socket: the session keeps the alert for its resume.
    expect(await server.alert(String(alice.welcome.id), "while away", { n: 2 })).to.equal(true);
    expect(await server.alert(String(alice.welcome.id), "and again")).to.equal(true);
    const back = await hello({ resume: { ...resumeOf(alice), alerts: 1 } });
    expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
    expect(back.welcome.session).to.deep.include({ alerts: { recovered: true, missed: 2 } });
    const replayed = [
      await back.next((m) => m.context === "alert"),
      await back.next((m) => m.context === "alert"),
    ];
    expect(replayed.map((m) => [m.seq, m.message])).to.deep.equal([
      [2, "while away"],
      [3, "and again"],
    ]);
    expect(replayed[0]).to.include({ n: 2 });
  });

  it("says alerts are not recovered when the ones the client missed were trimmed", async () => {
    await start({ resume: { maxAlerts: 2 } });
    const alice = await hello();
    await drop(alice);
    for (let i = 1; i <= 4; i++) await server.alert(String(alice.welcome.id), `alert ${i}`);
    const back = await hello({ resume: resumeOf(alice) });
    expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: false });
    expect(back.welcome.session).to.deep.include({ alerts: { recovered: false, missed: 2 } });
  });

  for (const mode of ["websocket", "long-polling"] as FayeMode[]) {
    it(`takes the hello over faye ${mode}, announced in the endpoint's query`, async () => {
      await start({
        transports: ["faye"],
        authenticate: (connection) => connection.auth?.user === "alice" && { user: "alice" },
      });
      const wire = await FayeWire.open(`${fayeEndpoint(server)}?hello=1`, mode);
      try {
        const out = new MessageInbox<Message>();
        await wire.subscribe(`/actionwire/out/${wire.clientId}`, (data) =>
          out.push(data as Message),
        );
        await wire.publish(`/actionwire/in/${wire.clientId}`, {
          event: "hello",
          params: { auth: { user: "alice" } },
        });
        const welcome = await out.next();
        expect(welcome).to.include({ room: "defaultRoom" });
        expect(welcome.session).to.deep.include({ resumed: false });
      } finally {
        await wire.disconnect();
      }
    });
  }

  it("says the session expired once its window passed, and starts a new one", async () => {
    await start({ resume: { windowMs: 1_000, graceMs: 100 } });
    const [alice, bob] = [await hello(), await hello()];
    await bob.request("say", { message: "seen" });
    const last = await alice.nextSay("seen");
    await drop(alice);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the window, by the clock
    const back = await hello({ resume: resumeOf(alice, last) });
    expect(back.welcome.id).to.not.equal(alice.welcome.id);
    expect(sessionOf(back)).to.deep.include({
      resumed: false,
      recovered: false,
      reason: "expired",
    });
    expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: false, missed: 0 } });
  });

  it("gives a session where its rooms' histories stand as it enters them, so a quiet room resumes too", async () => {
    await start({ roomNotices: false });
    const [alice, bob] = [await hello(), await hello()];
    const position = alice.welcome.position as { epoch: string; offset: number };
    expect(position.offset).to.be.a("number");
    const listened = await alice.send("listenToRoom", { room: "quiet" }, "l1");
    const quiet = (listened.data as { position: { epoch: string; offset: number } }).position;
    await drop(alice);
    await bob.request("say", { message: "while away" });
    await bob.request("roomChange", { room: "quiet" });
    await bob.request("say", { message: "in the quiet room" });
    const back = await hello({
      resume: { ...resumeOf(alice), rooms: { defaultRoom: position, quiet } },
    });
    expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
    expect(await back.nextSay("while away")).to.include({ room: "defaultRoom" });
    expect(await back.nextSay("in the quiet room")).to.include({ room: "quiet" });
  });
});
