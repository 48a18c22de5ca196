import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "./errors.js";
import { urlPath } from "./url-path.js";

/** Handles one HTTP request that a transport claimed. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Plain HTTP requests by path prefix, for transports that also answer HTTP (faye's
 * long-polling, its client script). The longest claimed prefix wins; a request nobody claims
 * goes to the server's own handler (or, when embedded, the application's).
 */
export class RequestRouter {
  readonly #routes: Array<{ prefix: string; handler: RequestHandler; exact: boolean }> = [];

  /**
   * Claims every path equal to `prefix` or under `prefix/`; with `exact`, the path `prefix`
   * alone (a file), so the paths beside it stay the application's.
   */
  add(prefix: string, handler: RequestHandler, options: { exact?: boolean } = {}): void {
    const clean = prefix.replace(/\/+$/, "") || "/";
    if (this.#routes.some((route) => route.prefix === clean)) {
      throw new ConfigError(`Two transports claim the HTTP path ${clean}; give one another path.`);
    }
    this.#routes.push({ prefix: clean, handler, exact: options.exact === true });
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Gives `prefix` up (in a transport's `shutdown`), so nothing reaches a stopped transport. */
  remove(prefix: string): void {
    const clean = prefix.replace(/\/+$/, "") || "/";
    const index = this.#routes.findIndex((route) => route.prefix === clean);
    if (index !== -1) this.#routes.splice(index, 1);
  }

  /** Answers the request if a transport claimed its path; `false` otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = urlPath(request.url);
    for (const { prefix, handler, exact } of this.#routes) {
      if (
        exact ? path === prefix : path === prefix || path.startsWith(`${prefix}/`) || prefix === "/"
      ) {
        handler(request, response);
        return true;
      }
    }
    return false;
  }
}
