/**
 * The browser client as an ES module, served at `/actionwire/client.mjs`:
 * `import { ActionwireClient } from "/actionwire/client.mjs"`.
 */
export { BrowserActionwireClient as ActionwireClient } from "./browser-actionwire-client.js";
export { BrowserActionwireClient as default } from "./browser-actionwire-client.js";
export type { BrowserClientOptions } from "./browser-actionwire-client.js";
export { RequestError } from "./actionwire-client.js";
export type { Callback, ClientEvents, ClientOptions, ServerPayload } from "./actionwire-client.js";
export type { ClientErrorCode } from "./request-error.js";
export {
  discoverTransports,
  pickTransport,
  TRANSPORT_PREFERENCE,
  TRANSPORTS_PATH,
} from "./discover-transports.js";
export type { OfferedTransport } from "./discover-transports.js";
export type { ClientTransport } from "./create-connector.js";
export type { Connector, ConnectorHandlers } from "./connector.js";
