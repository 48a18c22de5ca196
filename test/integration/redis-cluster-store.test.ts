import { expect } from "chai";
import { once } from "node:events";
import { Redis } from "ioredis";
import { RedisClusterBus } from "../../adapters/redis/redis-cluster-bus.js";
import { parseRedisOptions } from "../../adapters/redis/redis-options.js";
import type { ClusterBus, ClusterBusListener } from "../../src/core/cluster-bus.js";
import { createDebugLogger } from "../../src/core/logger.js";
import { MemoryClusterBus } from "../../src/core/memory-cluster-bus.js";
import { RedisProcess } from "../helpers/redis-process.js";

const listener: ClusterBusListener = {
  roomMessage: () => undefined,
  membersReaped: () => undefined,
  command: () => undefined,
};

/** How a store call ended: answered, rejected, or still waiting after `ms`. */
async function outcome(call: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const waiting = new Promise<string>((resolve) => (timer = setTimeout(resolve, ms, "waiting")));
  const settled = call.then(
    () => "answered",
    () => "rejected",
  );
  const result = await Promise.race([settled, waiting]);
  clearTimeout(timer);
  return result;
}

function ready(client: Redis): Promise<unknown> {
  return client.status === "ready" ? Promise.resolve() : once(client, "ready");
}

describe("the cluster bus's store (real redis-server)", function () {
  this.timeout(10_000);
  let redis: RedisProcess;
  let inspector: Redis;
  let bus: RedisClusterBus;

  beforeEach(async () => {
    redis = await RedisProcess.start();
    inspector = new Redis(redis.url);
    inspector.on("error", () => undefined); // Redis is stopped in some tests
    bus = new RedisClusterBus(
      parseRedisOptions({ url: redis.url, keyPrefix: "t:" }),
      "n1",
      createDebugLogger(),
    );
    await bus.start(listener);
  });

  afterEach(async () => {
    await bus.stop();
    inspector.disconnect();
    await redis.stop();
  });

  it("keeps each record under the bus's key prefix, with its expiry", async () => {
    const store = bus.store;
    await store.set("faye:client:abc", "http://10.0.0.5:8080", 30_000);
    expect(await store.get("faye:client:abc")).to.equal("http://10.0.0.5:8080");
    expect(await inspector.get("t:faye:client:abc")).to.equal("http://10.0.0.5:8080");
    const ttl = await inspector.pttl("t:faye:client:abc");
    expect(ttl).to.be.greaterThan(0).and.at.most(30_000);
    await store.set("faye:client:abc", "http://10.0.0.6:8080", 90_000);
    expect(await inspector.pttl("t:faye:client:abc")).to.be.greaterThan(30_000);
    await store.delete("faye:client:abc");
    expect(await store.get("faye:client:abc")).to.equal(null);
    await store.delete("faye:client:abc");
  });

  it("fails at once while Redis is away", async () => {
    await redis.stop();
    expect(await outcome(bus.store.get("k"), 1_000)).to.equal("rejected");
    expect(await outcome(bus.store.set("k", "v", 1_000), 1_000)).to.equal("rejected");
    expect(await outcome(bus.store.delete("k"), 1_000)).to.equal("rejected");
  });

  it("fails at once while Redis is away with caller-owned clients that would queue", async () => {
    // ioredis's defaults: an offline queue, so a command waits for the reconnect.
    const publisher = new Redis(redis.url);
    const subscriber = new Redis(redis.url);
    const owned = new RedisClusterBus(
      parseRedisOptions({ publisher, subscriber, keyPrefix: "u:" }),
      "n2",
      createDebugLogger(),
    );
    await owned.start(listener);
    try {
      const reconnecting = once(publisher, "reconnecting");
      await redis.stop();
      await reconnecting;
      expect(await outcome(owned.store.get("k"), 1_000)).to.equal("rejected");
    } finally {
      // With Redis back: a queueing client would hold the bus's unsubscribe until then.
      if (publisher.status !== "ready" || subscriber.status !== "ready") {
        await redis.restart();
        await Promise.all([publisher, subscriber].map((client) => ready(client)));
      }
      await owned.stop();
      publisher.disconnect();
      subscriber.disconnect();
    }
  });
});

describe("the in-memory bus", () => {
  it("has no store: alone in its process, it has no other node to share records with", () => {
    const bus: ClusterBus = new MemoryClusterBus();
    expect(bus.store).to.equal(undefined);
  });
});
