import type { ServerPayload } from "./actionwire-client.js";

/**
 * What the client itself rejects with (the server's codes come on top): no reply in time, not
 * connected, a second connect, a transport whose package is missing, a server it cannot reach.
 */
export type ClientErrorCode =
  | "ERR_TIMEOUT"
  | "ERR_DISCONNECTED"
  | "ERR_ALREADY_CONNECTED"
  | "ERR_TRANSPORT_UNAVAILABLE"
  | "ERR_CONNECT_FAILED";

/** A request that failed: the server's coded error, or one of the client's own. */
export class RequestError extends Error {
  constructor(
    message: string,
    /** `ERR_…` from the server, or a {@link ClientErrorCode}. */
    readonly code: string,
    /** The server's reply, when there was one. */
    readonly response?: ServerPayload,
    /** `cause`: the transport's own error, when there was one. */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RequestError";
  }
}
