/**
 * `actionwire/tcp`: the tcp line transport (`transports: ["tcp"]`, no extra package), the proof
 * that a transport without HTTP fits the seam. The class is for typing
 * `server.transport<TcpTransport>("tcp")` (its `address`); the options type is what
 * `config.tcp` takes.
 *
 * @module actionwire/tcp
 */
export { TcpTransport } from "./tcp-transport.js";
export type { TcpOptions } from "./tcp-options.js";
