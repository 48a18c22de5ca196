export { RedisClusterBus } from "./redis-cluster-bus.js";
export type { RedisBusStats } from "./redis-cluster-bus.js";
export { parseRedisOptions } from "./redis-options.js";
export type { RedisOptions } from "./redis-options.js";
