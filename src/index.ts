/**
 * actionwire: one realtime API (actions and chat rooms) over faye, socket.io, ws and custom
 * transports.
 */
export { createServer, ActionwireServer } from "./server/actionwire-server.js";
export { registerTransport } from "./core/container.js";
export { defineAction } from "./core/actions/define-action.js";
export type {
  ActionContext,
  ActionDefinition,
  ActionInput,
  ActionInputs,
  ActionParams,
  ActionResult,
} from "./core/actions/define-action.js";
export type { ActionCall, ActionMiddleware } from "./core/actions/action-middleware.js";
export type { ActionDocumentation } from "./core/actions/action-registry.js";
export { FILTERED, filterParams } from "./core/actions/action-runner.js";
export { ActionwireError, ConfigError, ERROR_CODES, publicError } from "./core/errors.js";
export type { ErrorCode } from "./core/errors.js";
export type { ActionwireConfig, Limits, ResolvedConfig } from "./core/config.js";
export { describeIssues, MAX_TIMER_MS, parseTransportOptions } from "./core/config.js";
export { Connection } from "./core/connection.js";
export type { ConnectionDetails, ConnectionInfo, HandshakeRequest } from "./core/connection.js";
export type {
  LegacyTranslation,
  RealtimeTransport,
  ReplyFn,
  TransportCapabilities,
  TransportClass,
  TransportHost,
} from "./core/realtime-transport.js";
export { BaseTransport } from "./core/base-transport.js";
export { PreparedMessage } from "./core/prepared-message.js";
export type { ServerMessage } from "./core/prepared-message.js";
export { UpgradeRouter } from "./core/upgrade-router.js";
export type { UpgradeHandler } from "./core/upgrade-router.js";
export type {
  ClusterBus,
  ClusterBusListener,
  ConnectionCommand,
  RoomEnvelope,
} from "./core/cluster-bus.js";
export { MemoryClusterBus } from "./core/memory-cluster-bus.js";
export type { RoomHooks } from "./core/rooms/room-hooks.js";
export type { GoodbyeReason } from "./core/connection-table.js";
export type { Logger } from "./core/logger.js";
export { createDebugLogger } from "./core/logger.js";
export { TOKENS } from "./core/tokens.js";
export { VERBS } from "./core/verbs.js";
export type { Verb } from "./core/verbs.js";
export { InProcessClient, InProcessTransport } from "./core/in-process-transport.js";
export { MessageInbox } from "./core/message-inbox.js";
export { RequestRouter } from "./core/request-router.js";
export type { RequestHandler } from "./core/request-router.js";
export { loadPackage } from "./core/load-package.js";
