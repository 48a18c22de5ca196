import createDebug from "debug";

/** The logger the library writes to. Pass your own (pino, winston…) in `config.logger`. */
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
