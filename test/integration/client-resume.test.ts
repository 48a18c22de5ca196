import { expect } from "chai";
import {
  ActionwireClient,
  type ClientOptions,
  RequestError,
  type ResumeInfo,
  type ServerPayload,
} from "../../src/client/index.js";
import { ResumeWsServer } from "../helpers/resume-ws-server.js";

/** Resolves with the next `event`'s first argument. */
function next<T>(client: ActionwireClient, event: "resumed" | "reconnected" | "error"): Promise<T> {
  return new Promise((resolve) => client.once(event, (value: unknown) => resolve(value as T)));
}

describe("ActionwireClient resume (against a server that speaks the resume protocol)", () => {
  let server: ResumeWsServer;
  const clients: ActionwireClient[] = [];

  const client = (options: Partial<ClientOptions> = {}) => {
    const c = new ActionwireClient({ url: server.url, reconnectDelayMs: 10, ...options });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await ResumeWsServer.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await server.stop();
  });

  it("announces the hello (hello=1) and sends it first, with auth from a function called at every connect", async () => {
    let calls = 0;
    const c = client({ auth: async () => ({ token: `t${++calls}` }) });
    await c.connect();
    expect(server.last.url).to.equal("/ws?hello=1");
    expect(server.last.frames[0]).to.deep.equal({
      event: "hello",
      params: { auth: { token: "t1" } },
    });
    const resumed = next(c, "reconnected");
    server.dropAll();
    await resumed;
    expect(server.sockets).to.have.length(2);
    expect(server.last.frames[0]).to.include({ event: "hello" });
    expect((server.last.frames[0]!.params as { auth: unknown }).auth).to.deep.equal({
      token: "t2",
    });
    expect(calls).to.equal(2);
  });

  it("acknowledges the replies it got with its next request, the newest 64 at most", async () => {
    const c = client();
    await c.connect();
    await Promise.all(Array.from({ length: 100 }, () => c.detailsView()));
    await c.detailsView();
    const frames = server.last.frames.slice(-101);
    const answered = frames.slice(0, 100).map((frame) => frame.messageId);
    // Sent together, before any reply: none acknowledges anything but what came before.
    expect(frames.slice(1, 100).every((frame) => frame.ack === undefined)).to.equal(true);
    expect(frames[100]!.ack).to.deep.equal(answered.slice(-64));
  });

  it("resumes with the session's id, its last token and each heard room's last position", async () => {
    const c = client();
    const heard: ServerPayload[] = [];
    c.on("say", (m) => heard.push(m));
    const details = await c.connect();
    const id = details.id;
    await c.listenToRoom("garden");
    await c.listenToRoom("shed");
    await c.silenceRoom("shed");
    server.say("lobby", "one");
    server.say("lobby", "two");
    server.say("garden", "g1");
    server.say("shed", "unheard");
    await c.detailsView(); // the pushes are in once a later reply is
    expect(heard.map((m) => m.message)).to.deep.equal(["one", "two", "g1"]);
    const token = server.sessions.get(String(id))!.token;
    const events: string[] = [];
    c.on("resumed", () => events.push("resumed"));
    c.on("reconnected", () => events.push("reconnected"));
    const resumed = next<ResumeInfo>(c, "resumed");
    const reconnected = next<Record<string, unknown>>(c, "reconnected");
    server.dropAll();
    const info = await resumed;
    expect(server.last.frames[0]).to.deep.equal({
      event: "hello",
      params: {
        resume: {
          session: id,
          token,
          rooms: {
            lobby: { epoch: "epoch-lobby", offset: 2 },
            garden: { epoch: "epoch-garden", offset: 1 },
          },
        },
      },
    });
    expect(info).to.deep.equal({
      resumed: true,
      recovered: true,
      rooms: { lobby: { recovered: true, missed: 0 }, garden: { recovered: true, missed: 0 } },
      alerts: { recovered: true, missed: 0 },
    });
    expect((await reconnected).id).to.equal(id);
    expect(c.details.id).to.equal(id);
    expect(events).to.deep.equal(["resumed", "reconnected"]);
    // The server restored the rooms: the client asked for none of them again.
    const verbs = server.last.frames.map((frame) => frame.event);
    expect(verbs).to.deep.equal(["hello", "detailsView"]);
    expect(c.room).to.equal("lobby");
    expect([...c.listeningRooms]).to.deep.equal(["garden"]);
  });

  it("gets what it missed after a resume, and drops a push it already had", async () => {
    const c = client();
    const heard: string[] = [];
    c.on("say", (m) => heard.push(String(m.message)));
    await c.connect();
    server.say("lobby", "one");
    server.say("lobby", "two");
    await c.detailsView();
    const resumed = next<ResumeInfo>(c, "resumed");
    server.replayOverlap = 1; // the replay starts with "two", which the client has
    server.dropAll();
    // Said while the client was away: the replay brings it.
    server.say("lobby", "three");
    expect((await resumed).rooms).to.deep.equal({ lobby: { recovered: true, missed: 1 } });
    server.say("lobby", "four");
    await c.detailsView();
    expect(heard).to.deep.equal(["one", "two", "three", "four"]);
  });

  it("does not count a room heard before any push as recovered: it has no position to resume from", async () => {
    const c = client();
    await c.connect();
    await c.listenToRoom("quiet");
    server.say("lobby", "one");
    await c.detailsView();
    const resumed = next<ResumeInfo>(c, "resumed");
    server.dropAll();
    const info = await resumed;
    const hello = server.last.frames[0]!.params as { resume: { rooms: object } };
    expect(hello.resume.rooms).to.have.keys(["lobby"]);
    expect(info).to.deep.include({ resumed: true, recovered: false });
    expect(info.rooms).to.deep.equal({
      lobby: { recovered: true, missed: 0 },
      quiet: { recovered: false },
    });
  });

  it("names the last alert it got in the resume, gets the ones it missed, and drops one it had", async () => {
    const c = client();
    const alerts: string[] = [];
    c.on("alert", (m) => alerts.push(String(m.message)));
    const { id } = await c.connect();
    server.alert(String(id), "a1");
    server.alert(String(id), "a2");
    await c.detailsView();
    const resumed = next<ResumeInfo>(c, "resumed");
    server.replayOverlap = 1; // the replay starts with "a2", which the client has
    server.dropAll();
    server.alert(String(id), "a3");
    const info = await resumed;
    const hello = server.last.frames[0]!.params as { resume: { alerts: number } };
    expect(hello.resume.alerts).to.equal(2);
    expect(info.alerts).to.deep.equal({ recovered: true, missed: 1 });
    server.alert(String(id), "a4");
    await c.detailsView();
    expect(alerts).to.deep.equal(["a1", "a2", "a3", "a4"]);
  });

  it("re-sends a request in flight with the same messageId after the resumed welcome: it runs once", async () => {
    const c = client();
    await c.connect();
    const resumed = next(c, "resumed");
    // The server runs it and records the reply, then the socket drops before the reply goes out.
    const lost = c.action("replyLost");
    const reply = await lost;
    await resumed;
    expect(reply).to.include({ lost: "found" });
    const [first, second] = server.sockets;
    const idOf = (frames: Array<Record<string, unknown>>) =>
      frames.find((f) => (f.params as { action?: string } | undefined)?.action === "replyLost")
        ?.messageId;
    expect(idOf(second!.frames)).to.equal(idOf(first!.frames));
    expect(server.runs.get(String(idOf(first!.frames)))).to.equal(1);
    // After the hello, the re-sent request is the first frame (before the details).
    expect(second!.frames.map((f) => f.event)).to.deep.equal(["hello", "action", "detailsView"]);
  });

  it("re-sends a request still running when the socket dropped; its reply comes once, on the new socket", async () => {
    const c = client();
    await c.connect();
    const held = c.action("hold");
    await c.detailsView();
    const messageId = String(server.last.frames.find((f) => f.event === "action")!.messageId);
    const reconnected = next(c, "reconnected");
    server.dropAll();
    await reconnected;
    expect(server.last.frames.some((f) => f.messageId === messageId)).to.equal(true);
    server.release(messageId);
    expect(await held).to.include({ messageId, done: true });
    expect(server.runs.get(messageId)).to.equal(1);
  });

  it("keeps requests made while reconnecting until the resumed welcome, up to maxQueuedRequests", async () => {
    const c = client({ maxQueuedRequests: 2 });
    await c.connect();
    const made: Array<Promise<unknown>> = [];
    const disconnected = new Promise<void>((resolve) =>
      c.once("disconnected", () => {
        made.push(c.action("echo", { value: 1 }));
        made.push(c.action("echo", { value: 2 }));
        made.push(c.action("echo", { value: 3 }).catch((e: unknown) => e));
        resolve();
      }),
    );
    server.dropAll();
    await disconnected;
    const third = await made[2];
    expect(third).to.be.instanceOf(RequestError);
    expect(third).to.include({ code: "ERR_QUEUE_FULL" });
    const [one, two] = (await Promise.all(made.slice(0, 2))) as ServerPayload[];
    expect([one!.echo, two!.echo]).to.deep.equal([1, 2]);
    // Sent on the new socket, after the hello, in the order they were made.
    const actions = server.last.frames.filter((f) => f.event === "action");
    expect(actions.map((f) => (f.params as { value: number }).value)).to.deep.equal([1, 2]);
    expect(server.last.frames[0]).to.include({ event: "hello" });
    expect(server.sockets[0]!.frames.some((f) => f.event === "action")).to.equal(false);
  });

  it("rejects what waits with ERR_DISCONNECTED when disconnect() ends the reconnect", async () => {
    const c = client({ reconnectDelayMs: 60_000 });
    await c.connect();
    const held = c.action("hold").catch((e: unknown) => e);
    await c.detailsView();
    const disconnected = new Promise((resolve) => c.once("disconnected", resolve));
    server.dropAll();
    await disconnected;
    const queued = c.detailsView().catch((e: unknown) => e);
    c.disconnect();
    expect(await held).to.include({ code: "ERR_DISCONNECTED" });
    expect(await queued).to.include({ code: "ERR_DISCONNECTED" });
    expect(await c.detailsView().catch((e: unknown) => e)).to.include({ code: "ERR_DISCONNECTED" });
  });

  it("reports a room the resumed session could not keep as an error, and says where it is", async () => {
    const c = client();
    await c.connect();
    await c.listenToRoom("garden");
    await c.listenToRoom("vault");
    server.say("garden", "g1");
    server.say("vault", "v1");
    await c.detailsView();
    const errors: RequestError[] = [];
    c.on("error", (error) => errors.push(error as RequestError));
    const resumed = next<ResumeInfo>(c, "resumed");
    const reconnected = next<Record<string, unknown>>(c, "reconnected");
    server.verdict = { refused: ["vault"] };
    server.dropAll();
    expect((await resumed).rooms.vault).to.deep.equal({ recovered: false, refused: true });
    const details = await reconnected;
    expect([...c.listeningRooms]).to.deep.equal(["garden"]);
    expect(details.listeningRooms).to.deep.equal(["garden"]);
    expect(errors.map((e) => [e.code, e.message])).to.deep.equal([
      ["ERR_NOT_AUTHORIZED", 'room "vault" was refused when the session resumed'],
    ]);
  });

  it("after a reconnect that did not resume: fails what was in flight, rejoins its rooms, sends what waited", async () => {
    const c = client();
    await c.connect();
    await c.roomChange("kitchen");
    await c.listenToRoom("garden");
    const held = c.action("hold").catch((e: unknown) => e);
    await c.detailsView();
    const queued = new Promise<Promise<ServerPayload>>((resolve) =>
      c.once("disconnected", () => resolve(c.action("echo", { value: "after" }))),
    );
    const resumed = next<ResumeInfo>(c, "resumed");
    const reconnected = next<Record<string, unknown>>(c, "reconnected");
    server.verdict = { resumed: false, reason: "expired" };
    const firstId = c.details.id;
    server.dropAll();
    expect(await resumed).to.deep.equal({
      resumed: false,
      recovered: false,
      reason: "expired",
      rooms: {},
    });
    const details = await reconnected;
    expect(details.id).not.to.equal(firstId);
    expect(details).to.include({ room: "kitchen" });
    expect(await held).to.include({ code: "ERR_DISCONNECTED" });
    expect((await await queued).echo).to.equal("after");
    expect(server.last.frames.map((f) => f.event)).to.deep.equal([
      "hello",
      "detailsView",
      "roomChange",
      "listenToRoom",
      "action",
    ]);
  });

  it("makes a scheduled reconnect at once when connect() is called, and resumes", async () => {
    const c = client({ reconnectDelayMs: 60_000 });
    const first = await c.connect();
    const disconnected = new Promise((resolve) => c.once("disconnected", resolve));
    server.dropAll();
    await disconnected;
    const waiting = c.action("echo", { value: "queued" });
    const resumed = next<ResumeInfo>(c, "resumed");
    const details = await c.connect();
    expect(details.id).to.equal(first.id);
    expect((await resumed).resumed).to.equal(true);
    expect((await waiting).echo).to.equal("queued");
  });

  it("waits the reconnectAfterMs of a server shutdown goodbye instead of its backoff", async () => {
    const c = client({ reconnectDelayMs: 60_000 });
    await c.connect();
    const reconnecting = new Promise<[number, number]>((resolve) =>
      c.once("reconnecting", (attempt, delay) => resolve([attempt, delay])),
    );
    const reconnected = next(c, "reconnected");
    server.shutdown(30);
    expect(await reconnecting).to.deep.equal([1, 30]);
    await reconnected;
  });

  it("with resume: false, speaks version 1: no hello, requests in flight fail, the client rejoins", async () => {
    const c = client({ resume: false });
    const resumedEvents: unknown[] = [];
    c.on("resumed", (info) => resumedEvents.push(info));
    await c.connect();
    await c.listenToRoom("garden");
    expect(server.last.url).to.equal("/ws");
    expect(server.last.frames.map((f) => f.event)).to.deep.equal(["detailsView", "listenToRoom"]);
    const held = c.action("hold").catch((e: unknown) => e);
    await c.detailsView();
    const reconnected = next<Record<string, unknown>>(c, "reconnected");
    server.dropAll();
    expect(await held).to.include({ code: "ERR_DISCONNECTED" });
    // Nothing waits for the reconnect: a request made meanwhile fails at once.
    expect(await c.detailsView().catch((e: unknown) => e)).to.include({ code: "ERR_DISCONNECTED" });
    await reconnected;
    expect(server.last.url).to.equal("/ws");
    expect(server.last.frames.map((f) => f.event)).to.deep.equal(["detailsView", "listenToRoom"]);
    expect(resumedEvents).to.deep.equal([]);
  });

  it("with resume: false and auth, says hello with auth only", async () => {
    const c = client({ resume: false, auth: { token: "secret" } });
    await c.connect();
    const reconnected = next(c, "reconnected");
    server.dropAll();
    await reconnected;
    for (const socket of server.sockets) {
      expect(socket.url).to.equal("/ws?hello=1");
      expect(socket.frames[0]).to.deep.equal({
        event: "hello",
        params: { auth: { token: "secret" } },
      });
    }
  });
});
