export { TcpTransport } from "./tcp-transport.js";
export type { TcpOptions } from "./tcp-options.js";
export { readTcpLine } from "./tcp-line.js";
export type { TcpLine } from "./tcp-line.js";
