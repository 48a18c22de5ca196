import { expect } from "chai";
import { redisBus } from "../../../adapters/redis/redis-bus.js";
import { RedisClusterBus } from "../../../adapters/redis/redis-cluster-bus.js";
import type { ClusterBusContext } from "../../../src/core/cluster-bus-factory.js";
import { ConfigError } from "../../../src/core/errors.js";
import type { Logger } from "../../../src/core/logger.js";
import { MemoryClusterBus } from "../../../src/core/memory-cluster-bus.js";
import { TOKENS } from "../../../src/core/tokens.js";
import { createServer } from "../../../src/server/actionwire-server.js";

const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const busOf = (config: Parameters<typeof createServer>[0]) =>
  createServer({ port: null, transports: ["inprocess"], ...config }).container.resolve(
    TOKENS.ClusterBus,
  );

describe("composition root: the cluster bus", () => {
  it("is the in-memory bus by default", () => {
    expect(busOf({})).to.be.instanceOf(MemoryClusterBus);
  });

  it("is built by a clusterBus factory, once, with the node's id, logger and history limits", () => {
    const contexts: ClusterBusContext[] = [];
    const bus = new MemoryClusterBus();
    const built = busOf({
      nodeId: "node-7",
      logger,
      clusterBus: (context) => {
        contexts.push(context);
        return bus;
      },
    });
    expect(built).to.equal(bus);
    expect(contexts).to.deep.equal([
      {
        nodeId: "node-7",
        logger,
        history: { historySize: 1_000, historyBytes: 1_048_576, windowMs: 120_000 },
      },
    ]);
  });

  it("is a clusterBus given already built, as before", () => {
    const bus = new MemoryClusterBus();
    expect(busOf({ clusterBus: bus })).to.equal(bus);
  });

  it("is the Redis bus for the redis key, as redisBus(redis) builds it (nothing connects yet)", () => {
    const fromKey = busOf({ nodeId: "n", redis: { url: "redis://127.0.0.1:1" } });
    const fromFactory = busOf({
      nodeId: "n",
      clusterBus: redisBus({ url: "redis://127.0.0.1:1" }),
    });
    expect(fromKey).to.be.instanceOf(RedisClusterBus);
    expect(fromFactory).to.be.instanceOf(RedisClusterBus);
    expect((fromKey as RedisClusterBus).incarnation).to.match(/^n#/);
  });

  it("refuses bad Redis options where the factory is made, and a clusterBus of no shape", () => {
    expect(() => redisBus({ heartbeatMs: 10 }))
      .to.throw(ConfigError)
      .with.property("message")
      .that.includes("config.redis");
    expect(() => busOf({ clusterBus: 42 as never }))
      .to.throw(ConfigError)
      .with.property(
        "message",
        "config.clusterBus must be a cluster bus factory ((context) => ClusterBus) or a ClusterBus.",
      );
  });
});
