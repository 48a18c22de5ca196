import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

/** Handles one HTTP upgrade request. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The one `upgrade` listener of a shared HTTP server. Each transport claims a path; an upgrade
 * on a path nobody claims is answered with 404 and closed, so no library destroys upgrades that
 * belong to another.
 */
export class UpgradeRouter {
  readonly #routes = new Map<string, UpgradeHandler>();

  /** Claims `path` (exact match, query string ignored). */
  add(path: string, handler: UpgradeHandler): void {
    if (this.#routes.has(path)) {
      throw new Error(`Two transports claim the upgrade path ${path}; give one another path.`);
    }
    this.#routes.set(path, handler);
  }

  remove(path: string): void {
    this.#routes.delete(path);
  }

  /** The `upgrade` event listener. */
  readonly handle = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const handler = this.#routes.get(path) ?? this.#routes.get(path.replace(/\/+$/, ""));
    if (handler !== undefined) {
      handler(request, socket, head);
      return;
    }
    socket.on("error", () => socket.destroy());
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  };
}
