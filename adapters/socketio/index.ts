/**
 * `actionwire/socketio`: the socket.io transport (`transports: ["socketio"]`, needs the
 * `socket.io` package). The class is for typing `server.transport<SocketIoTransport>("socketio")`
 * and as a reference adapter; the options type is what `config.socketio` takes.
 *
 * @module actionwire/socketio
 */
export { SocketIoTransport } from "./socketio-transport.js";
export type { SocketIoOptions } from "./socketio-options.js";
export type { SocketIoSocket } from "./socketio-socket.js";
