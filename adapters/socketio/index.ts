export { SocketIoTransport } from "./socketio-transport.js";
export type { SocketIoOptions } from "./socketio-options.js";
