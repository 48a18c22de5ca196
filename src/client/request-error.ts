import type { ErrorCode } from "../core/errors.js";
import type { ServerPayload } from "./actionwire-client.js";

/**
 * What the client itself rejects with (the server's codes come on top): no reply in time, not
 * connected, a second connect, a transport whose package is missing, a server it cannot reach,
 * a failed reply with no code (a server that is not actionwire's), too many requests waiting
 * for a reconnect.
 */
export type ClientErrorCode =
  | "ERR_TIMEOUT"
  | "ERR_DISCONNECTED"
  | "ERR_ALREADY_CONNECTED"
  | "ERR_TRANSPORT_UNAVAILABLE"
  | "ERR_CONNECT_FAILED"
  | "ERR_UNKNOWN"
  | "ERR_QUEUE_FULL";

/** Every code a {@link RequestError} can carry: the server's (`ErrorCode`) and the client's. */
export type RequestErrorCode = ErrorCode | ClientErrorCode;

/** A request that failed: the server's coded error, or one of the client's own. */
export class RequestError extends Error {
  constructor(
    message: string,
    /** `ERR_…` from the server, or a {@link ClientErrorCode}. */
    readonly code: RequestErrorCode,
    /** The server's reply, when there was one. */
    readonly response?: ServerPayload,
    /** `cause`: the transport's own error, when there was one. */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "RequestError";
  }
}

/**
 * The code of a failed reply or a refusal, as the server sent it (an actionwire server sends
 * one of its `ErrorCode`s); `ERR_UNKNOWN` when there is none.
 */
export function replyCode(code: unknown): RequestErrorCode {
  return typeof code === "string" && code !== "" ? (code as RequestErrorCode) : "ERR_UNKNOWN";
}
