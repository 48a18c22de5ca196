import { expect } from "chai";
import { Redis } from "ioredis";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { RedisClusterBus } from "../../adapters/redis/redis-cluster-bus.js";
import { APPEND_AND_PUBLISH } from "../../adapters/redis/redis-script.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { TOKENS } from "../../src/core/tokens.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { ServerProcess } from "../helpers/server-process.js";
import { drop, resumeOf, sessionOf } from "../helpers/session-of.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

const TIMING = { heartbeatMs: 100, nodeTimeoutMs: 600 };

describe("Sessions and resume across nodes (real redis-server)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let nodes: ActionwireServer[] = [];
  let clients: WsTestClient[] = [];
  const raws: Redis[] = [];
  /** A Redis client of the test's own, to write what a dead node would have left. */
  const rawRedis = () => {
    const raw = new Redis(redis.url);
    raws.push(raw);
    return raw;
  };

  const startNode = async (nodeId: string, config: ActionwireConfig = {}) => {
    const node = await startDemoServer({
      nodeId,
      transports: ["ws"],
      redis: { url: redis.url, ...TIMING },
      ...config,
    });
    nodes.push(node);
    return node;
  };
  const hello = async (node: ActionwireServer, params: Record<string, unknown> = {}) => {
    const client = await WsTestClient.hello(`ws://127.0.0.1:${node.address.port}/ws`, params);
    clients.push(client);
    return client;
  };
  const busOf = (node: ActionwireServer) =>
    node.container.resolve<RedisClusterBus>(TOKENS.ClusterBus);

  before(async () => {
    redis = await RedisProcess.start();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.disconnect();
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
    // A stopped node hands its graces to Redis: none may reach the next test's room.
    const flusher = new Redis(redis.url);
    await flusher.flushall().finally(() => flusher.disconnect());
  });

  it("resumes on another node: same id, room and params, the missed pushes from the room's stream, no flapping", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const alice = await hello(a);
    const bob = await hello(b);
    await alice.request("paramAdd", { key: "k", value: "v" });
    await bob.request("say", { message: "seen" });
    const last = await alice.nextSay("seen");
    await drop(alice);
    for (let i = 1; i <= 3; i++) await bob.request("say", { message: `missed ${i}` });
    const back = await hello(b, { resume: resumeOf(alice, last) });
    expect(back.welcome.id).to.equal(alice.welcome.id);
    expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
    expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: true, missed: 3 } });
    const replayed = [await back.nextSay(), await back.nextSay(), await back.nextSay()];
    expect(replayed.map((m) => m.message)).to.deep.equal(["missed 1", "missed 2", "missed 3"]);
    const offsets = replayed.map((m) => m.offset as number);
    expect(offsets).to.deep.equal([1, 2, 3].map((i) => (last.offset as number) + i));
    // The session's messageIds go on from where they were (a repeated one is answered from
    // the record).
    await back.send("say", { message: "back" }, "after-resume");
    await bob.nextSay("back");
    const details = (await back.send("detailsView", {}, "d")).data as Record<string, unknown>;
    expect(details).to.deep.include({ id: alice.welcome.id, params: { k: "v" } });
    const view = (await bob.request("roomView")).data as { members: string[] };
    expect(view.members).to.have.members([alice.welcome.id, bob.welcome.id]);
    // After the grace on node a, its own entry goes quietly: nobody heard alice leave.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // (Alice's first entry may reach bob, who joined meanwhile: only what came after counts.)
    const notices = bob.inbox.received.filter(
      (m) =>
        m.from === alice.welcome.id &&
        String(m.message).startsWith("I have") &&
        (m.offset as number) > (last.offset as number),
    );
    expect(notices).to.deep.equal([]);
  });

  it("reads a room's history once for resumes from one position at once, each getting all of it", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const bob = await hello(a);
    const carol = await hello(b); // node b hears the room, and delivers every push
    await bob.request("say", { message: "seen" });
    const seen = await carol.nextSay("seen");
    for (let i = 1; i <= 3; i++) await bob.request("say", { message: `missed ${i}` });
    await carol.nextSay("missed 3");
    const raw = rawRedis();
    const xranges = async () => {
      const stats = await raw.info("commandstats");
      return Number(/cmdstat_xrange:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    };
    const before = await xranges();
    const position = { epoch: seen.epoch as string, offset: seen.offset as number };
    const reads = await Promise.all([1, 2, 3].map(() => busOf(b).history("defaultRoom", position)));
    expect((await xranges()) - before, "XRANGE calls").to.equal(1);
    for (const read of reads) {
      expect(read.recovered).to.equal(true);
      const pushes = read.recovered ? read.pushes : [];
      expect(pushes.map((push) => push.offset)).to.deep.equal(
        [1, 2, 3].map((i) => position.offset + i),
      );
    }
    // Once it is done, a later resume reads again.
    await busOf(b).history("defaultRoom", position);
    expect((await xranges()) - before, "XRANGE calls").to.equal(2);
  });

  it("takes a session from its old socket on another node when the client comes back first", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const alice = await hello(a);
    const bob = await hello(a);
    // The old socket is still open (a half-open connection, as the server sees it).
    const back = await hello(b, { resume: resumeOf(alice) });
    expect(sessionOf(back).resumed).to.equal(true);
    await alice.closed; // node a let it go, with no goodbye
    expect(alice.inbox.received.filter((m) => m.status === "Bye!")).to.deep.equal([]);
    await bob.request("say", { message: "hello again" });
    expect(await back.nextSay("hello again")).to.include({ from: bob.welcome.id });
    const view = (await bob.request("roomView")).data as { members: string[] };
    expect(view.members).to.have.members([alice.welcome.id, bob.welcome.id]);
  });

  it("answers a re-sent request on another node from the session's record", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const alice = await hello(a);
    const first = await alice.send("action", { action: "cacheTest", key: "k", value: "v" }, 41);
    await drop(alice);
    const back = await hello(b, { resume: resumeOf(alice) });
    const again = await back.send("action", { action: "cacheTest", key: "k", value: "v" }, 41);
    expect(again).to.deep.equal(first);
  });

  it("delivers a room's messages on every node in offset order, filling a gap from the stream", async () => {
    // No notices: an entered notice still on its way would take an offset between the says.
    const quiet = { roomNotices: false };
    const [a, b] = [await startNode("a", quiet), await startNode("b", quiet)];
    const onA = await hello(a);
    const onB = await hello(b);
    await onA.request("say", { message: "first" });
    const first = await onB.nextSay("first");
    // A message enters the room's history but never reaches the room's channel (as one lost
    // with a dropped subscription): the next one shows the gap, which each node fills.
    const bus = busOf(b);
    const filled = bus.stats.filled;
    const raw = rawRedis();
    const push = { context: "user", message: "lost on the bus", room: "defaultRoom", from: "x" };
    await APPEND_AND_PUBLISH.run(
      raw,
      ["actionwire:hist:{defaultRoom}:meta", "actionwire:hist:{defaultRoom}:stream"],
      [JSON.stringify(push), "", 1_000, 120_000, "unused", "actionwire:elsewhere", "test", ""],
    );
    await onA.request("say", { message: "after" });
    const next = await onB.nextSay();
    expect(next).to.include({ message: "lost on the bus", offset: (first.offset as number) + 1 });
    expect(await onB.nextSay()).to.include({ message: "after" });
    expect(bus.stats.filled - filled).to.equal(1);
  });

  it("says a room is not recovered when Redis lost its data (restarted empty)", async () => {
    const [a] = [await startNode("a")];
    const alice = await hello(a);
    const bob = await hello(a);
    await bob.request("say", { message: "seen" });
    const last = await alice.nextSay("seen");
    await drop(alice);
    await redis.stop();
    await redis.restart(); // nothing on disk: it comes back empty
    const back = await hello(a, { resume: resumeOf(alice, last) });
    expect(sessionOf(back)).to.deep.include({ resumed: false, reason: "expired" });
    expect(sessionOf(back).rooms).to.deep.equal({ defaultRoom: { recovered: false, missed: 0 } });
  });

  it("numbers alerts cluster-wide and replays the ones sent while the session had no socket", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const alice = await hello(a);
    const id = String(alice.welcome.id);
    expect(await b.alert(id, "across nodes")).to.equal(true);
    expect(await alice.next((m) => m.context === "alert")).to.include({ seq: 1 });
    await drop(alice);
    expect(await b.alert(id, "while away")).to.equal(true);
    const back = await hello(b, { resume: { ...resumeOf(alice), alerts: 1 } });
    expect(back.welcome.session).to.deep.include({ alerts: { recovered: true, missed: 1 } });
    expect(await back.next((m) => m.context === "alert")).to.include({
      seq: 2,
      message: "while away",
    });
  });

  it("tells the room a dropped session left once, after its grace, though its node stopped meanwhile", async () => {
    const resume = { graceMs: 300 };
    const [a, b] = [await startNode("a", { resume }), await startNode("b", { resume })];
    await startNode("c", { resume }); // a second node to take the grace: only one may
    const alice = await hello(a);
    const bob = await hello(b);
    await drop(alice);
    await a.stop(); // within alice's grace: node a hands it to the others
    const left = await bob.nextSay("I have left the room");
    expect(left.from).to.equal(alice.welcome.id);
    await bob.request("say", { message: "marker" });
    // Both remaining nodes look for ended graces every second; give them two looks each.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const leaves = bob.inbox.received.filter(
      (m) => m.message === "I have left the room" && m.from === alice.welcome.id,
    );
    expect(leaves).to.have.length(1);
  });

  it("settles a say whose node died mid-way from the room's history: published once, never failed", async () => {
    const [a] = [await startNode("a")];
    const alice = await hello(a);
    const bob = await hello(a);
    const id = String(alice.welcome.id);
    await drop(alice);
    // Two says started on a node that then died (its marks, no replies): the first had
    // published, the second had not.
    const raw = rawRedis();
    const requests = `actionwire:sess:{${encodeURIComponent(id)}}:req`;
    for (const key of ["s1", "s2"])
      await raw.rpush(requests, JSON.stringify({ k: key, h: "dead#1" }));
    const push = {
      context: "user",
      message: "published before the crash",
      room: "defaultRoom",
      from: id,
    };
    await APPEND_AND_PUBLISH.run(
      raw,
      ["actionwire:hist:{defaultRoom}:meta", "actionwire:hist:{defaultRoom}:stream"],
      [
        JSON.stringify(push),
        id,
        1_000,
        120_000,
        "unused",
        "actionwire:elsewhere",
        "test",
        `${id}|"s1"`,
      ],
    );
    const back = await hello(a, { resume: resumeOf(alice) });
    expect(sessionOf(back).resumed).to.equal(true);
    const first = await back.send("say", { message: "published before the crash" }, "s1");
    expect(first).to.include({ status: "OK" });
    expect(first.code).to.equal(undefined);
    const second = await back.send("say", { message: "never published" }, "s2");
    expect(second).to.include({ status: "OK" });
    expect(await bob.nextSay("never published")).to.include({ from: id });
    await back.send("say", { message: "marker" }, "s3");
    await bob.nextSay("marker");
    // Bob got it once, from the history (it skipped the room's channel): not published again.
    const heard = bob.inbox.received.filter((m) => m.message === "published before the crash");
    expect(heard).to.have.length(1);
    const actions = await back.send("action", { action: "cacheTest", key: "k", value: "v" }, "a1");
    expect(actions.error).to.equal(undefined);
  });

  it("answers an action whose node died mid-way with ERR_OUTCOME_UNKNOWN, an idempotent one by running it", async () => {
    let runs = 0;
    const actions = [
      defineAction({ name: "charge", run: () => ({ charged: ++runs }) }),
      defineAction({ name: "read", idempotent: true, run: () => ({ read: ++runs }) }),
    ];
    const [a] = [await startNode("a", { actions })];
    const alice = await hello(a);
    const id = String(alice.welcome.id);
    await drop(alice);
    const raw = rawRedis();
    const requests = `actionwire:sess:{${encodeURIComponent(id)}}:req`;
    for (const key of ["x1", "x2"]) {
      await raw.rpush(requests, JSON.stringify({ k: key, h: "dead#1" }));
    }
    const back = await hello(a, { resume: resumeOf(alice) });
    const unknown = await back.send("action", { action: "charge" }, "x1");
    expect(unknown).to.include({ code: "ERR_OUTCOME_UNKNOWN" });
    expect(runs).to.equal(0);
    const again = await back.send("action", { action: "read" }, "x2");
    expect(again).to.include({ read: 1 });
  });

  it("resumes on another node the session of a node killed with SIGKILL, with what it had changed", async () => {
    const doomed = await ServerProcess.start({
      nodeId: "doomed",
      transports: ["ws"],
      redis: { url: redis.url, ...TIMING },
    });
    try {
      const b = await startNode("b");
      const alice = await WsTestClient.hello(`${doomed.url.replace("http", "ws")}/ws`);
      clients.push(alice);
      const bob = await hello(b);
      await alice.send("paramAdd", { key: "colour", value: "red" }, "p1");
      await alice.send("listenToRoom", { room: "news" }, "p2");
      await bob.request("say", { message: "seen" });
      const last = await alice.nextSay("seen");
      // Written at the end of the tick that changed them: wait a tick's worth, then kill.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await doomed.kill();
      await bob.request("say", { message: "after the crash" });
      const back = await hello(b, { resume: resumeOf(alice, last) });
      expect(back.welcome.id).to.equal(alice.welcome.id);
      expect(sessionOf(back)).to.deep.include({ resumed: true, recovered: true });
      expect(await back.nextSay()).to.include({ message: "after the crash" });
      const details = (await back.send("detailsView", {}, "d")).data as Record<string, unknown>;
      expect(details).to.deep.include({ params: { colour: "red" }, listeningRooms: ["news"] });
      // The re-sent request that had answered is answered from the record, not run again.
      expect(await back.send("paramAdd", { key: "colour", value: "blue" }, "p1")).to.include({
        status: "OK",
      });
      const after = (await back.send("detailsView", {}, "d2")).data as Record<string, unknown>;
      expect(after).to.deep.include({ params: { colour: "red" } });
    } finally {
      await doomed.kill();
    }
  });
});
