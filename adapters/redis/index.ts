/**
 * `actionwire/redis`: the Redis cluster bus (ioredis), so any number of nodes act as one.
 * `config.redis` is the usual way in; the class and {@link parseRedisOptions} are for building
 * the bus yourself (to pass as `config.clusterBus` and read its `stats`).
 *
 * @module actionwire/redis
 */
export { RedisClusterBus } from "./redis-cluster-bus.js";
export type { RedisBusStats } from "./redis-cluster-bus.js";
export { parseRedisOptions } from "./redis-options.js";
export type { RedisOptions } from "./redis-options.js";
