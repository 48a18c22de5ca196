import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { redisBus } from "../../adapters/redis/redis-bus.js";
import type { RedisClusterBus } from "../../adapters/redis/redis-cluster-bus.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { TOKENS } from "../../src/core/tokens.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type { ContractClient, ContractTransport } from "../../src/testing/contract-client.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { fayeContract } from "../helpers/faye-contract-client.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { socketIoContract } from "../helpers/socketio-contract-client.js";
import { wsContract } from "../helpers/ws-contract-client.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

const TIMING = { heartbeatMs: 100, nodeTimeoutMs: 600 };

describe("Redis cluster (real redis-server, several nodes)", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let nodes: ActionwireServer[] = [];
  let clients: ContractClient[] = [];

  const startNode = async (nodeId: string, config: ActionwireConfig = {}) => {
    const node = await startDemoServer({
      nodeId,
      transports: ["ws", "socketio", "faye"],
      redis: { url: redis.url, ...TIMING },
      ...config,
    });
    nodes.push(node);
    return node;
  };
  const connect = async (kind: ContractTransport, node: ActionwireServer) => {
    const client = await kind.connect(node);
    clients.push(client);
    return client;
  };
  const idOf = async (client: ContractClient) =>
    ((await client.request("detailsView")).data as { id: string }).id;
  const said = (client: ContractClient, message: string) =>
    client.inbox.next((m) => m.context === "user" && m.message === message);
  const busOf = (node: ActionwireServer) =>
    node.container.resolve<RedisClusterBus>(TOKENS.ClusterBus);

  before(async () => {
    redis = await RedisProcess.start();
  });

  after(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("serves one chat across three nodes and three transports", async () => {
    const [a, b, c] = [await startNode("a"), await startNode("b"), await startNode("c")];
    const onA = await connect(wsContract(), a);
    const onB = await connect(socketIoContract("websocket"), b);
    const onC = await connect(fayeContract("websocket"), c);
    const ids = [await idOf(onA), await idOf(onB), await idOf(onC)];
    // Entered notices cross nodes: A hears C arrive.
    expect(
      await onA.inbox.next((m) => m.message === "I have entered the room" && m.from === ids[2]),
    ).to.include({ room: "defaultRoom" });
    const view = (await onB.request("roomView")).data as {
      members: string[];
      membersCount: number;
    };
    expect(view.membersCount).to.equal(3);
    expect(view.members).to.have.members(ids);
    await onA.request("say", { message: "from a" });
    expect(await said(onB, "from a")).to.include({ from: ids[0] });
    expect(await said(onC, "from a")).to.include({ from: ids[0] });
    await onC.request("say", { message: "from c" });
    await said(onA, "from c");
    await said(onB, "from c");
    expect(onA.inbox.received.some((m) => m.message === "from a")).to.equal(false);
  });

  it("moves, listens and silences across nodes", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const onA = await connect(wsContract(), a);
    const onB = await connect(wsContract(), b);
    const bId = await idOf(onB);
    await onB.request("roomChange", { room: "kitchen" });
    expect(await said(onA, "I have left the room")).to.include({ from: bId });
    expect(
      ((await onA.request("roomView")).data as { membersCount: number }).membersCount,
    ).to.equal(1);
    await onA.request("listenToRoom", { room: "kitchen" });
    await onB.request("say", { message: "in the kitchen" });
    expect(await said(onA, "in the kitchen")).to.include({ room: "kitchen" });
    await onA.request("silenceRoom", { room: "kitchen" });
    await onB.request("say", { message: "unheard" });
    await onB.request("roomChange", { room: "defaultRoom" });
    await said(onA, "I have entered the room");
    expect(onA.inbox.received.some((m) => m.message === "unheard")).to.equal(false);
  });

  it("publishes once per room message, and a node gets traffic only for rooms it holds", async () => {
    const [a, b, c] = [await startNode("a"), await startNode("b"), await startNode("c")];
    const roomsOf = { a: ["r1", "r2"], b: ["r3"], c: ["r4"] } as const;
    const speakers: ContractClient[] = [];
    for (const [name, node] of [
      ["a", a],
      ["b", b],
      ["c", c],
    ] as const) {
      for (const room of roomsOf[name]) {
        for (let i = 0; i < 3; i++) {
          const client = await connect(wsContract(), node);
          await client.request("roomChange", { room });
          if (i === 0) speakers.push(client);
        }
      }
    }
    // One more member of r1 on c: r1 now spans nodes a and c.
    const r1OnC = await connect(wsContract(), c);
    await r1OnC.request("roomChange", { room: "r1" });
    const before = nodes.map((n) => ({ ...busOf(n).stats }));
    const speaker = speakers[0]!; // in r1, on a
    for (let i = 0; i < 10; i++) await speaker.request("say", { message: `m${i}` });
    await said(r1OnC, "m9");
    const after = nodes.map((n) => ({ ...busOf(n).stats }));
    expect(after[0]!.published - before[0]!.published).to.equal(10); // one PUBLISH per message
    expect(after[1]!.received - before[1]!.received).to.equal(0); // b holds no r1 member
    expect(after[2]!.received - before[2]!.received).to.equal(10);
  });

  it("pushes an alert to, and disconnects, a connection on another node", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const onB = await connect(wsContract(), b);
    const bId = await idOf(onB);
    expect(await a.alert(bId, "from node a")).to.equal(true);
    expect(await onB.inbox.next((m) => m.context === "alert")).to.include({
      message: "from node a",
    });
    expect(await a.disconnect(bId)).to.equal(true);
    expect(await onB.inbox.next((m) => m.context === "api")).to.include({
      reason: "disconnected by server",
    });
    await onB.closed;
    expect(await a.alert("no-such-connection", "x")).to.equal(false);
  });

  it("acts as one with a node given the bus as a factory (clusterBus: redisBus(options))", async () => {
    const a = await startNode("a");
    const b = await startNode("b", {
      redis: undefined,
      clusterBus: redisBus({ url: redis.url, ...TIMING }),
    });
    expect(busOf(b).incarnation).to.match(/^b#/);
    const [onA, onB] = [await connect(wsContract(), a), await connect(wsContract(), b)];
    await onB.request("say", { message: "from the factory's node" });
    expect(await said(onA, "from the factory's node")).to.include({ from: await idOf(onB) });
    expect(busOf(b).stats.published).to.be.greaterThan(0);
  });

  it("warns at start-up when a transport needs sticky sessions in a cluster", async () => {
    const node = await startNode("a", {
      transports: ["ws", "socketio"],
      socketio: { transports: ["polling"] },
    });
    expect(node.warnings).to.deep.equal([
      "The socketio transport as configured needs sticky sessions: behind a load balancer in front of several nodes, send each client to one node (see docs/clustering.md).",
    ]);
  });

  it("keeps serving local rooms while Redis is down, and joins up again when it is back", async () => {
    const [a, b] = [await startNode("a"), await startNode("b")];
    const a1 = await connect(wsContract(), a);
    const a2 = await connect(wsContract(), a);
    const onB = await connect(wsContract(), b);
    const onBId = await idOf(onB);
    await redis.stop();
    await a1.request("say", { message: "while redis is down" });
    expect(await said(a2, "while redis is down")).to.include({ room: "defaultRoom" });
    expect((await a1.request("roomView")).status).to.equal("OK");
    await redis.restart(); // an empty Redis: every node must put its state back
    await waitFor(async () => {
      const view = (await a1.request("roomView")).data as { members: string[] };
      return view.members.includes(onBId);
    });
    await a1.request("say", { message: "after redis is back" });
    expect(await said(onB, "after redis is back")).to.include({ room: "defaultRoom" });
  });
});

describe("Redis cluster: nodes that die (separate processes, SIGKILL)", function () {
  this.timeout(30_000);
  let redis: RedisProcess;
  let survivors: ActionwireServer[] = [];
  let children: ChildProcess[] = [];
  let sockets: WsTestClient[] = [];

  const startSurvivor = async (nodeId: string, timing: typeof TIMING) => {
    const node = await startDemoServer({
      nodeId,
      transports: ["ws"],
      redis: { url: redis.url, ...timing },
    });
    survivors.push(node);
    return node;
  };
  const connect = async (url: string) => {
    const socket = await WsTestClient.connect(url);
    sockets.push(socket);
    return socket;
  };
  /** Runs `npm start`'s CLI as a node of the cluster; resolves with its ws URL. */
  const spawnNode = async (nodeId: string, timing: typeof TIMING) => {
    const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
    const child = spawn(process.execPath, [cli], {
      env: {
        ...process.env,
        PORT: "0",
        HOST: "127.0.0.1",
        TRANSPORTS: "ws",
        NODE_ID: nodeId,
        REDIS_URL: redis.url,
        REDIS_HEARTBEAT_MS: String(timing.heartbeatMs),
        REDIS_NODE_TIMEOUT_MS: String(timing.nodeTimeoutMs),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /^actionwire ws listening on (\S+)$/.exec(line);
      if (match) return { child, wsUrl: match[1]! };
    }
    throw new Error("the node exited before listening");
  };
  const wsUrlOf = (node: ActionwireServer) => `${node.url.replace("http", "ws")}/ws`;
  const idOfSocket = async (socket: WsTestClient) =>
    ((await socket.request("detailsView")).data as { id: string }).id;

  before(async () => {
    redis = await RedisProcess.start();
  });

  afterEach(async () => {
    for (const child of children) child.kill("SIGKILL");
    children = [];
    await Promise.all(sockets.map((s) => s.close()));
    sockets = [];
    await Promise.all(survivors.map((n) => n.stop()));
    survivors = [];
  });

  after(async () => {
    await redis.stop();
  });

  it("reaps a killed node's members within the node timeout, announcing each once", async () => {
    const survivors2 = [await startSurvivor("s1", TIMING), await startSurvivor("s2", TIMING)];
    const watcher = await connect(wsUrlOf(survivors2[0]!));
    const { child, wsUrl } = await spawnNode("doomed", TIMING);
    const doomed = [await connect(wsUrl), await connect(wsUrl)];
    const doomedIds = await Promise.all(doomed.map(idOfSocket));
    // A join is announced after its membership is recorded in Redis.
    await Promise.all(
      doomedIds.map((id) =>
        watcher.next((m) => m.message === "I have entered the room" && m.from === id),
      ),
    );
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await once(child, "exit");
    await Promise.all(
      doomedIds.map((id) =>
        watcher.next((m) => m.message === "I have left the room" && m.from === id),
      ),
    );
    const reapMs = Date.now() - killedAt;
    const view = (await watcher.request("roomView")).data as { membersCount: number };
    expect(view.membersCount).to.equal(1);
    // Two live nodes could reap: each dead member is still announced once.
    expect(
      watcher.inbox.received.filter((m) => m.message === "I have left the room"),
    ).to.have.length(2);
    console.log(
      `      reaped ${doomedIds.length} members ${reapMs} ms after SIGKILL (heartbeat ${TIMING.heartbeatMs} ms, node timeout ${TIMING.nodeTimeoutMs} ms)`,
    );
  });

  it("does not let a node restarted with the same id keep its predecessor's members", async () => {
    // A node timeout far longer than the test: only the restart itself can reap the ghost.
    const slow = { heartbeatMs: 1_000, nodeTimeoutMs: 120_000 };
    const survivor = await startSurvivor("s1", slow);
    const watcher = await connect(wsUrlOf(survivor));
    const first = await spawnNode("b", slow);
    const ghost = await connect(first.wsUrl);
    const ghostId = await idOfSocket(ghost);
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    const second = await spawnNode("b", slow);
    expect(
      await watcher.next((m) => m.message === "I have left the room" && m.from === ghostId),
    ).to.include({ room: "defaultRoom" });
    const fresh = await connect(second.wsUrl);
    const freshId = await idOfSocket(fresh); // answered once its join is recorded
    const view = (await watcher.request("roomView")).data as { members: string[] };
    expect(view.members).to.have.members([await idOfSocket(watcher), freshId]);
  });
});

/** Polls a condition on events that have no notification (Redis state), bounded. */
async function waitFor(check: () => Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not met in time");
}
