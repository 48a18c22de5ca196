export { ActionwireClient, createClient, RequestError } from "./actionwire-client.js";
export { createConnector } from "./create-connector.js";
export type { ClientTransport, ConnectorOptions } from "./create-connector.js";
export { SocketIoConnector } from "./socketio-connector.js";
export type { SocketIoConnectorOptions } from "./socketio-connector.js";
export { FayeConnector } from "./faye-connector.js";
export type { FayeConnectorOptions } from "./faye-connector.js";
export type { Callback, ClientEvents, ClientOptions, ServerPayload } from "./actionwire-client.js";
export type { Connector, ConnectorHandlers } from "./connector.js";
export { WsConnector } from "./ws-connector.js";
export type { WebSocketConstructor, WebSocketLike, WsConnectorOptions } from "./ws-connector.js";
export {
  discoverTransports,
  pickTransport,
  TRANSPORT_PREFERENCE,
  TRANSPORTS_PATH,
} from "./discover-transports.js";
export type { OfferedTransport } from "./discover-transports.js";
