import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What actionwire does with a request or upgrade before the application's listeners see it. */
export interface OwnListeners {
  /** Handles the request if a transport claimed its path; `false` if none did. */
  request(request: IncomingMessage, response: ServerResponse): boolean;
  /** Handles the upgrade if a transport claimed its path; `false` if none did. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** A request no one handles (the application has no `request` listener). */
  unclaimedRequest(request: IncomingMessage, response: ServerResponse): void;
}

/**
 * Makes actionwire the HTTP server's one `request` and one `upgrade` listener while it runs:
 * paths a transport claimed go to it; the rest go to the listeners the application had (when
 * embedded), or get a 404. Libraries attached later in start-up (socket.io) wrap these in turn.
 *
 * An `upgrade` listener the application adds while actionwire runs (another `ws` server on its
 * own path) would otherwise be called for every upgrade beside actionwire's: a `ws` server
 * with `{ server, path }` answers 400 on a socket actionwire has just upgraded, and both
 * endpoints break ("Invalid WebSocket frame: RSV1 must be clear"). So it is taken off the
 * server as soon as it is added (in the same tick) and routed like the application's earlier
 * ones: it sees only the upgrades no transport claimed. {@link restore} puts them all back.
 */
export class HttpListeners {
  readonly #http: HttpServer;
  /** The application's `request` listeners, from before start. */
  readonly #requests: RequestListener[];
  /** The application's `upgrade` listeners, from before start and added since. */
  readonly #upgrades: UpgradeListener[];
  #running = true;

  readonly #onRequest: RequestListener;
  readonly #onUpgrade: UpgradeListener;
  readonly #onNewListener = (event: string | symbol, listener: UpgradeListener): void => {
    if (event !== "upgrade" || listener === this.#onUpgrade) return;
    // `newListener` comes before the listener is added: it is taken off once it is there. One
    // removed again in the meantime (socket.io's engine.io, during start) is left alone.
    queueMicrotask(() => {
      if (!this.#running || !this.#http.listeners("upgrade").includes(listener)) return;
      this.#http.off("upgrade", listener);
      this.#upgrades.push(listener);
    });
  };

  /** Takes the server's listeners over, until {@link restore}. */
  constructor(http: HttpServer, own: OwnListeners) {
    this.#http = http;
    this.#requests = http.listeners("request") as RequestListener[];
    this.#upgrades = http.listeners("upgrade") as UpgradeListener[];
    const requests = this.#requests;
    const upgrades = this.#upgrades;
    this.#onRequest = (request, response) => {
      if (own.request(request, response)) return;
      if (requests.length === 0) own.unclaimedRequest(request, response);
      for (const listener of requests) listener.call(http, request, response);
    };
    this.#onUpgrade = (request, socket, head) => {
      if (own.upgrade(request, socket, head)) return;
      if (upgrades.length > 0) {
        for (const listener of [...upgrades]) listener.call(http, request, socket, head);
        return;
      }
      socket.on("error", () => socket.destroy());
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    };
    http.removeAllListeners("request");
    http.removeAllListeners("upgrade");
    http.on("request", this.#onRequest);
    http.on("upgrade", this.#onUpgrade);
    http.on("newListener", this.#onNewListener);
  }

  /**
   * Gives the server back its listeners: the application's own, those it added while
   * actionwire ran included. `request` listeners are replaced wholesale, as libraries attached
   * at start (socket.io) wrapped actionwire's.
   */
  restore(): void {
    if (!this.#running) return;
    this.#running = false;
    const http = this.#http;
    http.off("newListener", this.#onNewListener);
    http.removeAllListeners("request");
    for (const listener of this.#requests) http.on("request", listener);
    // Only actionwire's own: one the application added in this very tick is still attached.
    http.off("upgrade", this.#onUpgrade);
    for (const listener of this.#upgrades) http.on("upgrade", listener);
  }
}
