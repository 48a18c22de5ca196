/**
 * An ioredis client as the bus's options take it (`publisher`, `subscriber`): named here, not
 * taken from ioredis, so that `import type` of `actionwire/redis` compiles without ioredis
 * installed. Pass ioredis clients (`new Redis(url)`); the bus uses them as such.
 */
export interface RedisClient {
  /** ioredis's connection status (`"ready"` once connected). */
  readonly status: string;
  /** Publishes on a channel (how the options check that a client is one). */
  publish(channel: string, message: string): Promise<number>;
}
