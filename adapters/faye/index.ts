export { FayeTransport } from "./faye-transport.js";
export type { FayeOptions } from "./faye-options.js";
