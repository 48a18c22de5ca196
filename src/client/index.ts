export { ActionwireClient, RequestError } from "./actionwire-client.js";
export type { Callback, ClientEvents, ClientOptions, ServerPayload } from "./actionwire-client.js";
export type { Connector, ConnectorHandlers } from "./connector.js";
export { WsConnector } from "./ws-connector.js";
export type { WebSocketConstructor, WebSocketLike, WsConnectorOptions } from "./ws-connector.js";
