import type { Redis } from "ioredis";
import type { ClusterStore } from "../../src/core/cluster-store.js";

/**
 * The Redis bus's {@link ClusterStore}: each key is a Redis string under the bus's `keyPrefix`,
 * with a PX expiry (a counter: INCR, no expiry), written on the bus's command connection. A call while that connection is
 * not ready rejects at once, whatever the client's own offline queue would do (a caller-owned
 * client may queue), so that callers fall back instead of waiting for Redis.
 */
export class RedisClusterStore implements ClusterStore {
  constructor(
    /** The bus's command connection, or `undefined` before start and after stop. */
    private readonly client: () => Redis | undefined,
    private readonly keyPrefix: string,
  ) {}

  async get(key: string): Promise<string | null> {
    return this.#ready().get(this.keyPrefix + key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#ready().set(this.keyPrefix + key, value, "PX", ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.#ready().del(this.keyPrefix + key);
  }

  async increment(key: string): Promise<number> {
    return this.#ready().incr(this.keyPrefix + key);
  }

  #ready(): Redis {
    const client = this.client();
    if (client === undefined || client.status !== "ready") {
      throw new Error(`the cluster store cannot reach Redis (${client?.status ?? "not started"})`);
    }
    return client;
  }
}
