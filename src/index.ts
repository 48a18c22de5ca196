/**
 * actionwire: one realtime API (actions and chat rooms) over faye, socket.io, ws and custom
 * transports. This entry point is the server: what an application needs to run one, and what
 * an adapter author needs to add a transport (docs/writing-an-adapter.md). The client is
 * `actionwire/client`, each built-in transport its own subpath.
 *
 * @module actionwire
 */

// The server and its configuration.
export { createServer, ActionwireServer } from "./server/actionwire-server.js";
export type { ServerState } from "./server/health-checks.js";
export type { ServerMetrics } from "./server/metrics.js";
export type {
  ActionwireConfig,
  AdminAuthorize,
  Limits,
  MetricsRegistry,
  ResolvedConfig,
} from "./core/config.js";
export type { RoomHooks } from "./core/rooms/room-hooks.js";
export type { Logger } from "./core/logger.js";
export type { GoodbyeReason } from "./core/connection-table.js";
export type { Verb } from "./core/verbs.js";
export type {
  AlertPush,
  ChatPush,
  GoodbyePush,
  ServerPushes,
  WelcomePush,
} from "./core/server-pushes.js";
export type { NotResumed, WelcomeSession } from "./core/sessions/sessions.js";
export type { RoomRecovery } from "./core/rooms/room-manager.js";

// Actions.
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

// Errors.
export { ActionwireError, ConfigError, ERROR_CODES, publicError } from "./core/errors.js";
export type { ErrorCode } from "./core/errors.js";

// Connections, as the server API, hooks and adapters see them.
export { Connection } from "./core/connection.js";
export type {
  ConnectionDetails,
  ConnectionInfo,
  ConnectionState,
  HandshakeRequest,
} from "./core/connection.js";

// The transport seam, for adapter authors.
export { registerTransport } from "./core/container.js";
export type {
  Connections,
  RealtimeTransport,
  ReplyFn,
  TransportCapabilities,
  TransportClass,
  TransportHost,
} from "./core/realtime-transport.js";
export { BaseTransport } from "./core/base-transport.js";
export { PreparedMessage } from "./core/prepared-message.js";
export type { ServerMessage } from "./core/prepared-message.js";
export type { UpgradeHandler, UpgradeRouter } from "./core/upgrade-router.js";
export type { RequestHandler, RequestRouter } from "./core/request-router.js";
export { TOKENS } from "./core/tokens.js";

// In-process connections, for embedding and tests.
export { InProcessTransport } from "./core/in-process-transport.js";
export type { InProcessClient } from "./core/in-process-transport.js";

// The cluster bus, for a backend of your own (`config.clusterBus`).
export type {
  ClusterBus,
  ClusterBusListener,
  ClusterStatus,
  ConnectionCommand,
  HistoryLimits,
  NodeAnswer,
  NodeQuestion,
  RoomEnvelope,
  RoomPublication,
} from "./core/cluster-bus.js";
export type { ClusterBusContext, ClusterBusFactory } from "./core/cluster-bus-factory.js";
export type { ClusterStore } from "./core/cluster-store.js";
export type { HistoryRead, PositionedPush, RoomPosition } from "./core/rooms/room-position.js";
export type { MessageId } from "./core/inbound-request.js";
export type {
  DeferredGrace,
  RecordedRequest,
  SessionRecord,
  SessionStore,
} from "./core/sessions/session-store.js";

// Operating: the diagnostics_channel events (docs/operating.md).
export { CHANNELS } from "./core/instrumentation.js";
export type {
  ActionEvent,
  ClusterMessageEvent,
  ConnectionEvent,
  ErrorEvent,
  MessageEvent,
  NodeEvent,
  ResumeEvent,
  RoomMessageEvent,
  SlowConsumerEvent,
  TraceCarrier,
} from "./core/instrumentation.js";
