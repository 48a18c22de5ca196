import createDebug from "debug";

/**
 * The logger the library writes to. Pass your own in `config.logger`: one with these methods
 * (winston's, `console`-like), or a pino logger, called `(details, message)` through a child
 * bound to `{ component: "actionwire" }` (docs/operating.md, "Logs").
 */
export interface Logger {
  /** Detail for diagnosis (a Redis write that failed and is retried); `logActions: "debug"` too. */
  debug(message: string, details?: Record<string, unknown>): void;
  /** What an operator may want in the log (a dead node reaped); `logActions: "info"` too. */
  info(message: string, details?: Record<string, unknown>): void;
  /** Something to look at that did not stop the server (ignored legacy options, say). */
  warn(message: string, details?: Record<string, unknown>): void;
  /** A failure caught and survived: an action, a hook or `authenticate` that threw. */
  error(message: string, details?: Record<string, unknown>): void;
}

/**
 * The default logger: namespaced `debug` output (`DEBUG=actionwire:*`), silent unless enabled.
 * Warnings and errors go to the `actionwire:warn` / `actionwire:error` namespaces.
 */
export function createDebugLogger(namespace = "actionwire"): Logger {
  const channels = {
    debug: createDebug(`${namespace}:debug`),
    info: createDebug(`${namespace}:info`),
    warn: createDebug(`${namespace}:warn`),
    error: createDebug(`${namespace}:error`),
  };
  const write =
    (channel: createDebug.Debugger) => (message: string, details?: Record<string, unknown>) =>
      details === undefined ? channel(message) : channel("%s %o", message, details);
  return {
    debug: write(channels.debug),
    info: write(channels.info),
    warn: write(channels.warn),
    error: write(channels.error),
  };
}

/**
 * A pino-style logger: each level takes `(mergingObject, message)`, and `child(bindings)` and
 * `bindings()` exist (pino, and loggers that copy its API).
 */
export interface PinoStyleLogger {
  debug(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): PinoStyleLogger;
  bindings(): Record<string, unknown>;
}

/** Whether a logger is pino-style ({@link PinoStyleLogger}): it has `child` and `bindings`. */
export function isPinoStyle(logger: object): logger is PinoStyleLogger {
  const candidate = logger as Partial<PinoStyleLogger>;
  return typeof candidate.child === "function" && typeof candidate.bindings === "function";
}

/**
 * The logger a server writes to: the debug logger by default; a pino-style logger as a child
 * with `{ component: "actionwire" }`, called `(details, message)` so the details become fields
 * of the JSON line; any other logger as it is, called `(message, details?)`.
 */
export function toLogger(logger: Logger | undefined): Logger {
  if (logger === undefined) return createDebugLogger();
  if (!isPinoStyle(logger)) return logger;
  const pino = logger.child({ component: "actionwire" });
  const write =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, details?: Record<string, unknown>) =>
      pino[level](details ?? {}, message);
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
