import { FayeTransport } from "../../adapters/faye/faye-transport.js";
import { redisBus } from "../../adapters/redis/redis-bus.js";
import { translateWebSocketsConfig } from "../../adapters/socketio/legacy-websockets-config.js";
import { SocketIoTransport } from "../../adapters/socketio/socketio-transport.js";
import { TcpTransport } from "../../adapters/tcp/tcp-transport.js";
import { WsTransport } from "../../adapters/ws/ws-transport.js";
import type { ClusterBusFactory } from "../core/cluster-bus-factory.js";
import type { ResolvedConfig } from "../core/config.js";
import { registerTransport, transportRegistry } from "../core/container.js";
import { InProcessTransport } from "../core/in-process-transport.js";
import { MemoryClusterBus } from "../core/memory-cluster-bus.js";

/*
 * The composition root: the one module under src/ that names the built-in adapters (the lint
 * rule in eslint.config.js holds every other one to the core's seams). The adapters load their
 * packages lazily, at start, so naming them here costs nothing for a transport not chosen.
 */

// The built-in adapters register through the same public API a third party uses.
registerTransport("ws", WsTransport);
registerTransport("faye", FayeTransport);
registerTransport("socketio", SocketIoTransport);
registerTransport("tcp", TcpTransport);
registerTransport("inprocess", InProcessTransport);
// The seeds' `webSockets` block configures socket.io (docs/configuration.md, legacy config).
transportRegistry().addLegacyKey("webSockets", {
  transport: "socketio",
  translate: translateWebSocketsConfig,
});

/**
 * The cluster bus a configuration asks for, as a factory: `clusterBus` as given (a factory, or
 * a bus already built), the Redis bus for the `redis` key (the same as
 * `clusterBus: redisBus(redis)`), or the in-memory bus.
 */
export function clusterBusFactory(config: ResolvedConfig): ClusterBusFactory {
  const { clusterBus, redis } = config;
  if (typeof clusterBus === "function") return clusterBus;
  if (clusterBus !== undefined) return () => clusterBus;
  if (redis !== undefined) return redisBus(redis as Parameters<typeof redisBus>[0]);
  return ({ history }) => new MemoryClusterBus(history);
}
