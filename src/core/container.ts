import "reflect-metadata";
import { container as rootContainer, type DependencyContainer } from "tsyringe";
import { ActionRegistry } from "./actions/action-registry.js";
import type { ClusterBusFactory } from "./cluster-bus-factory.js";
import type { ResolvedConfig } from "./config.js";
import { ConnectionTable } from "./connection-table.js";
import { Dispatcher } from "./dispatcher.js";
import { toLogger } from "./logger.js";
import { MemoryClusterBus } from "./memory-cluster-bus.js";
import { MemorySessionStore } from "./sessions/memory-session-store.js";
import { RemoteControl } from "./remote-control.js";
import type { TransportClass } from "./realtime-transport.js";
import { RoomManager } from "./rooms/room-manager.js";
import { TOKENS } from "./tokens.js";
import { TransportRegistry } from "./transport-registry.js";

/**
 * The library's base container: holds the transport registry. Each server gets a child of it,
 * so servers share registered transport classes and nothing else.
 */
const baseContainer = rootContainer.createChildContainer();
const registry = new TransportRegistry();
baseContainer.registerInstance(TOKENS.TransportRegistry, registry);

/**
 * Makes a transport class available by name to every server created afterwards; then
 * `transports: ["name"]` in config picks it. The same API the built-in adapters use.
 */
export function registerTransport(name: string, transport: TransportClass): void {
  registry.add(name, transport);
}

/** The registry of transport classes (built-in and registered). */
export function transportRegistry(): TransportRegistry {
  return registry;
}

/**
 * Builds one server's child container: config, logger, cluster bus (built by `busFactory`: the
 * in-memory bus unless the composition root chose another), connection table, room manager,
 * action registry, middleware, remote control and dispatcher, each behind its token.
 */
export function createServerContainer(
  config: ResolvedConfig,
  busFactory: ClusterBusFactory = ({ history }) => new MemoryClusterBus(history),
): DependencyContainer {
  const child = baseContainer.createChildContainer();
  const logger = toLogger(config.logger);
  const { historySize, historyBytes, windowMs } = config.resume;
  const history = { historySize, historyBytes, windowMs };
  const bus = busFactory({ nodeId: config.nodeId, logger, history });
  child.registerInstance(TOKENS.Config, config);
  child.registerInstance(TOKENS.Logger, logger);
  child.registerInstance(TOKENS.ClusterBus, bus);
  child.registerInstance(TOKENS.RoomHooks, config.roomHooks);
  child.registerInstance(TOKENS.ActionMiddleware, config.middleware);
  child.registerInstance(TOKENS.ConnectionTable, new ConnectionTable(config.nodeId));
  const actions = new ActionRegistry();
  for (const action of config.actions) actions.add(action);
  child.registerInstance(TOKENS.ActionRegistry, actions);
  child.registerInstance(TOKENS.RoomManager, child.resolve(RoomManager));
  const table = child.resolve<ConnectionTable>(TOKENS.ConnectionTable);
  const sessions = bus.sessions ?? new MemorySessionStore(config.resume.maxSessions);
  child.registerInstance(TOKENS.SessionStore, sessions);
  child.registerInstance(TOKENS.RemoteControl, new RemoteControl(table, bus, sessions, config));
  child.registerInstance(TOKENS.Dispatcher, child.resolve(Dispatcher));
  return child;
}
