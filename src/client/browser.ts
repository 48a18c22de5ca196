/**
 * The browser client as an ES module, served at `/actionwire/client.mjs`:
 * `import { ActionwireClient } from "/actionwire/client.mjs"`.
 */
import { loadedFrom } from "./browser-actionwire-client.js";

loadedFrom(import.meta.url);

export { BrowserActionwireClient as ActionwireClient } from "./browser-actionwire-client.js";
export { BrowserActionwireClient as default } from "./browser-actionwire-client.js";
export type { BrowserClientOptions } from "./browser-actionwire-client.js";
export { RequestError } from "./actionwire-client.js";
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
export {
  discoverTransports,
  pickTransport,
  TRANSPORT_PREFERENCE,
  TRANSPORTS_PATH,
} from "./discover-transports.js";
export type { OfferedTransport } from "./discover-transports.js";
export type { ClientTransport } from "./create-connector.js";
export type { Connector, ConnectorHandlers } from "./connector.js";
