/**
 * Every error code a client can receive (PROTOCOL.md, "Error codes"). The list is stable:
 * codes are only ever added.
 */
export const ERROR_CODES = [
  "ERR_BAD_MESSAGE",
  "ERR_MESSAGE_TOO_LARGE",
  "ERR_UNKNOWN_VERB",
  "ERR_UNKNOWN_ACTION",
  "ERR_MISSING_PARAM",
  "ERR_INVALID_PARAM",
  "ERR_TOO_MANY_PENDING",
  "ERR_RATE_LIMITED",
  "ERR_NOT_AUTHORIZED",
  "ERR_ALREADY_LISTENING",
  "ERR_NOT_LISTENING",
  "ERR_NOT_IN_ROOM",
  "ERR_ACTION_FAILED",
  "ERR_ACTION_TIMEOUT",
  "ERR_SHUTTING_DOWN",
  "ERR_TOO_MANY_CONNECTIONS",
  "ERR_LIMIT_EXCEEDED",
  "ERR_OUTCOME_UNKNOWN",
  "ERR_DISCONNECTED_BY_ADMIN",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The one error class of actionwire. `code` is stable and machine-readable; `message` is the text
 * a client sees (never prefixed with `"Error: "`).
 *
 * Throw it from an action, a middleware or a hook to send that exact code and message to the
 * client. Any other error thrown by an action becomes `ERR_ACTION_FAILED` with a generic message
 * unless it is marked public with {@link publicError}.
 */
export class ActionwireError extends Error {
  /** The stable code, one of {@link ERROR_CODES}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ActionwireError";
    this.code = code;
  }
}

/**
 * Marks an error thrown by an action as safe to show to the client: the reply carries its
 * message under `ERR_ACTION_FAILED` instead of the generic text.
 */
export function publicError(message: string): ActionwireError {
  return new ActionwireError("ERR_ACTION_FAILED", message);
}

/**
 * Thrown at start-up for a configuration mistake (an unknown key, a value out of range, an
 * unknown transport, a missing package). Its message says what to fix.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
