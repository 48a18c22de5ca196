/**
 * `actionwire/faye`: the faye (Bayeux) transport (`transports: ["faye"]`, needs the `faye`
 * package). The class is for typing `server.transport<FayeTransport>("faye")` and as a
 * reference adapter; the options type is what `config.faye` takes.
 *
 * @module actionwire/faye
 */
export { FayeTransport } from "./faye-transport.js";
export type { FayeOptions } from "./faye-options.js";
