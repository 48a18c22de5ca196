import { expect } from "chai";
import { Redis } from "ioredis";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type { ContractClient } from "../../src/testing/contract-client.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { wsContract } from "../helpers/ws-contract-client.js";

describe("the demo's incrementTest action", function () {
  this.timeout(20_000);
  let nodes: ActionwireServer[] = [];
  let clients: ContractClient[] = [];

  const connect = async (node: ActionwireServer) => {
    const client = await wsContract().connect(node);
    clients.push(client);
    return client;
  };
  const increment = async (client: ContractClient, key: string) => {
    const reply = await client.request("action", { action: "incrementTest", key });
    return { key: reply.key, value: reply.value };
  };

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
  });

  it("counts in memory on one node, per key, and requires the key", async () => {
    const node = await startDemoServer({ transports: ["ws"] });
    nodes.push(node);
    expect(node.clusterStore).to.equal(undefined);
    const [one, two] = [await connect(node), await connect(node)];
    expect(await increment(one, "k")).to.deep.equal({ key: "k", value: 1 });
    expect(await increment(two, "k")).to.deep.equal({ key: "k", value: 2 });
    expect(await increment(one, "k")).to.deep.equal({ key: "k", value: 3 });
    expect(await increment(two, "other")).to.deep.equal({ key: "other", value: 1 });
    const missing = await one.request("action", { action: "incrementTest" });
    expect(missing.code).to.equal("ERR_MISSING_PARAM");
    expect(await increment(one, "k")).to.deep.equal({ key: "k", value: 4 });
  });

  describe("with Redis", () => {
    let redis: RedisProcess;

    before(async () => {
      redis = await RedisProcess.start();
    });

    after(async () => {
      await redis.stop();
    });

    it("shares the counter between two demo nodes on one redis-server (INCR on a prefixed key)", async () => {
      const startNode = (nodeId: string) =>
        startDemoServer({ nodeId, transports: ["ws"], redis: { url: redis.url } });
      nodes = await Promise.all([startNode("a"), startNode("b")]);
      const [onA, onB] = [await connect(nodes[0]!), await connect(nodes[1]!)];
      const values: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        values.push((await increment(onA, "shared")).value);
        values.push((await increment(onB, "shared")).value);
      }
      expect(values).to.deep.equal([1, 2, 3, 4, 5, 6]);
      // Calls at once from both nodes (five per connection: limits.maxPendingActions), each
      // value handed out once.
      const more = await Promise.all([connect(nodes[0]!), connect(nodes[1]!)]);
      const callers = [onA, onB, ...more];
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) => increment(callers[i % 4]!, "shared")),
      );
      expect(burst.map((r) => r.value).sort((x, y) => Number(x) - Number(y))).to.deep.equal(
        Array.from({ length: 20 }, (_, i) => i + 7),
      );
      const inspector = new Redis(redis.url);
      try {
        expect(await inspector.get("actionwire:incrementTest:shared")).to.equal("26");
        expect(await inspector.ttl("actionwire:incrementTest:shared")).to.equal(-1);
      } finally {
        inspector.disconnect();
      }
    });
  });
});
