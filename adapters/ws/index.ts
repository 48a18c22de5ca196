/**
 * `actionwire/ws`: the raw WebSocket transport (`transports: ["ws"]`, needs the `ws` package).
 * The class is for typing `server.transport<WsTransport>("ws")` and as a reference adapter; the
 * options type is what `config.ws` takes.
 *
 * @module actionwire/ws
 */
export { WsTransport } from "./ws-transport.js";
export type { WsOptions } from "./ws-options.js";
export type { WsSocket } from "./ws-socket.js";
