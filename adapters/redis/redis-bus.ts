import type { ClusterBusFactory } from "../../src/core/cluster-bus-factory.js";
import { RedisClusterBus } from "./redis-cluster-bus.js";
import { parseRedisOptions, type RedisOptionsInput } from "./redis-options.js";

/**
 * The Redis cluster bus as a factory for `config.clusterBus`:
 * `createServer({ clusterBus: redisBus({ url: "redis://127.0.0.1:6379" }) })`. The options are
 * those of `config.redis` (which is the same bus, built by the server from them), checked here,
 * so a mistake throws a `ConfigError` where the factory is made.
 */
export function redisBus(options: RedisOptionsInput): ClusterBusFactory {
  const parsed = parseRedisOptions(options);
  return ({ nodeId, logger, history }) => new RedisClusterBus(parsed, nodeId, logger, history);
}
