import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { ConfigError } from "./errors.js";

/** Handles one HTTP upgrade request. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The upgrade paths of a shared HTTP server. Each transport claims a path; the server's one
 * `upgrade` listener routes by path, so no library destroys upgrades that belong to another.
 */
export class UpgradeRouter {
  readonly #routes = new Map<string, UpgradeHandler>();

  /** Claims `path` (exact match, query string ignored). */
  add(path: string, handler: UpgradeHandler): void {
    if (this.#routes.has(path)) {
      throw new ConfigError(
        `Two transports claim the upgrade path ${path}; give one another path.`,
      );
    }
    this.#routes.set(path, handler);
  }

  /** Gives `path` up (in a transport's `shutdown`), so nothing reaches a stopped transport. */
  remove(path: string): void {
    this.#routes.delete(path);
  }

  /** Hands the upgrade to the transport that claimed its path; `false` if none did. */
  route(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const handler = this.#routes.get(path) ?? this.#routes.get(path.replace(/\/+$/, ""));
    if (handler === undefined) return false;
    handler(request, socket, head);
    return true;
  }
}
