import { z } from "zod";
import { parseTransportOptions } from "../../src/core/config.js";
import type { RedisClient } from "./redis-client.js";

const isRedis = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as RedisClient).publish === "function";

const redisOptionsSchema = z
  .strictObject({
    /** `redis://host:port/db`; the bus opens (and closes) its own two connections. */
    url: z.string().min(1).optional(),
    /** Caller-owned ioredis clients (not closed by the bus): one for commands, one subscriber. */
    publisher: z.custom<RedisClient>(isRedis, { message: "must be an ioredis client" }).optional(),
    subscriber: z.custom<RedisClient>(isRedis, { message: "must be an ioredis client" }).optional(),
    /** Prefix of every key and channel, so several apps can share one Redis. */
    keyPrefix: z.string().default("actionwire:"),
    /** How often a node says it is alive, in ms. */
    heartbeatMs: z.number().int().min(50).max(60_000).default(2_000),
    /** A node silent this long is dead: its members are reaped (≤ nodeTimeoutMs + heartbeatMs). */
    nodeTimeoutMs: z.number().int().min(200).max(300_000).default(10_000),
  })
  .refine((o) => o.url !== undefined || (o.publisher !== undefined && o.subscriber !== undefined), {
    message: "needs a url, or both a publisher and a subscriber ioredis client",
  })
  .refine((o) => o.nodeTimeoutMs > 2 * o.heartbeatMs, {
    message: "nodeTimeoutMs must be more than twice heartbeatMs",
  });

/** Options of the Redis cluster bus, under `redis` in config. */
export type RedisOptions = z.output<typeof redisOptionsSchema>;

/** {@link RedisOptions} as a caller writes them (defaults left out). */
export type RedisOptionsInput = z.input<typeof redisOptionsSchema>;

/** Validates `config.redis`. */
export function parseRedisOptions(raw: unknown): RedisOptions {
  return parseTransportOptions("redis", redisOptionsSchema, raw);
}
