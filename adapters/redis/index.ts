/**
 * `actionwire/redis`: the Redis cluster bus (ioredis), so any number of nodes act as one.
 * `config.redis` is the usual way in; {@link redisBus} is the same bus as a factory for
 * `config.clusterBus`; the class and {@link parseRedisOptions} are for building the bus yourself
 * (to read its `stats`).
 *
 * @module actionwire/redis
 */
export { redisBus } from "./redis-bus.js";
export { RedisClusterBus } from "./redis-cluster-bus.js";
export type { RedisBusStats } from "./redis-cluster-bus.js";
export { parseRedisOptions } from "./redis-options.js";
export type { RedisOptions, RedisOptionsInput } from "./redis-options.js";
export type { RedisClient } from "./redis-client.js";
