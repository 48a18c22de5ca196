export { WsTransport } from "./ws-transport.js";
export type { WsOptions } from "./ws-options.js";
