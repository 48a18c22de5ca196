/**
 * `actionwire/client`: the client, one API over every transport the server runs, in Node and
 * in browsers (no server code). Most applications need only {@link createClient}; a connector
 * class is for choosing a transport's options by hand, {@link Connector} for a transport of
 * your own.
 *
 * @module actionwire/client
 */
export { ActionwireClient, createClient, RequestError } from "./actionwire-client.js";
export type {
  Callback,
  ClientAuth,
  ClientEvents,
  ClientOptions,
  ResumedRoom,
  ResumeInfo,
  ServerPayload,
} from "./actionwire-client.js";
export type { ClientErrorCode, RequestErrorCode } from "./request-error.js";
export type {
  ActionArgs,
  ActionMap,
  ActionName,
  ActionParamsOf,
  ActionReplyOf,
  ActionResultOf,
  ActionsOf,
  AnyAction,
} from "./typed-actions.js";
export type {
  ActionReply,
  ResponseFields,
  RoomView,
  VerbReplies,
  VerbReply,
} from "./server-replies.js";
export type {
  AlertPush,
  ChatPush,
  GoodbyePush,
  ServerPushes,
  WelcomePush,
} from "../core/server-pushes.js";
export type { ConnectionDetails } from "../core/connection.js";
export type { NotResumed, WelcomeSession } from "../core/sessions/sessions.js";
export type { RoomRecovery } from "../core/rooms/room-manager.js";
export type { ActionDocumentation } from "../core/actions/action-registry.js";
export type { ErrorCode } from "../core/errors.js";
export type { ClientTransport, ConnectorOptions } from "./create-connector.js";
export { TRANSPORT_PREFERENCE } from "./discover-transports.js";
export type { Connector, ConnectorHandlers } from "./connector.js";
export { WsConnector } from "./ws-connector.js";
export type { WebSocketConstructor, WebSocketLike, WsConnectorOptions } from "./ws-connector.js";
export { SocketIoConnector } from "./socketio-connector.js";
export type { SocketIoConnectorOptions } from "./socketio-connector.js";
export { FayeConnector } from "./faye-connector.js";
export type { FayeConnectorOptions } from "./faye-connector.js";
