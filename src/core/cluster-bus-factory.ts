import type { ClusterBus } from "./cluster-bus.js";
import type { Logger } from "./logger.js";
import type { HistoryLimits } from "./cluster-bus.js";

/** What a server tells a {@link ClusterBusFactory} about itself. */
export interface ClusterBusContext {
  /** This node's id (`config.nodeId`). */
  readonly nodeId: string;
  /** The server's logger (`config.logger`, or the default debug logger). */
  readonly logger: Logger;
  /** How much room history to keep: `config.resume`'s `historySize` and `windowMs`. */
  readonly history: HistoryLimits;
}

/**
 * Builds a server's cluster bus, once, when the server is created (`config.clusterBus`), in the
 * style of socket.io's `createAdapter`: the bus's package (`actionwire/redis`'s `redisBus`, or
 * your own) builds it, so the core never names a backend.
 */
export type ClusterBusFactory = (context: ClusterBusContext) => ClusterBus;
