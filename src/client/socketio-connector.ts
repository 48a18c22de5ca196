import type { io as ioFunction, Socket } from "socket.io-client";
import { loadBrowserGlobal } from "./load-browser-global.js";
import { loadClientPackage } from "./load-client-package.js";
import type { Connector, ConnectorHandlers } from "./connector.js";

/** Options of the socket.io connector. */
export interface SocketIoConnectorOptions {
  /** The server's base URL, `http://host:port`. */
  url: string;
  /** socket.io's path (default `/socket.io`). */
  path?: string;
  /** Engine transports, in order of preference (default websocket, then polling). */
  transports?: Array<"websocket" | "polling">;
  /** Announce the hello: `hello=1` in the handshake query (see {@link Connector.hello}). */
  hello?: boolean;
}

/**
 * Connects with socket.io-client: the verb is the event name, params the payload; replies come
 * back on `response` (the client does not use acks, so replies are matched like on any other
 * transport), pushes on `say`, `welcome`, `alert` and `api`.
 */
export class SocketIoConnector implements Connector {
  #socket: Socket | undefined;

  constructor(private readonly options: SocketIoConnectorOptions) {}

  get hello(): boolean {
    return this.options.hello === true;
  }

  async open(handlers: ConnectorHandlers): Promise<void> {
    const path = this.options.path ?? "/socket.io";
    const io = await loadIo(`${this.options.url}${path}/socket.io.min.js`);
    const socket = io(this.options.url, {
      path,
      transports: this.options.transports ?? ["websocket", "polling"],
      reconnection: false,
      forceNew: true,
      ...(this.hello ? { query: { hello: "1" } } : {}),
    });
    this.#socket = socket;
    for (const event of ["response", "say", "welcome", "alert", "api"]) {
      socket.on(event, (message: unknown) => {
        if (typeof message === "object" && message !== null) {
          handlers.message(message as Record<string, unknown>);
        }
      });
    }
    // Listening before the connect settles: a server that refuses at once (authentication)
    // sends its goodbye and disconnects in the same tick as the connect.
    socket.on("disconnect", (reason) => handlers.closed(reason));
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (error) => reject(error));
    });
  }

  send(request: Record<string, unknown>): void {
    const { event, params, messageId, ack } = request as {
      event: string;
      params?: Record<string, unknown>;
      messageId?: unknown;
      ack?: unknown[];
    };
    const payload = messageId === undefined ? (params ?? {}) : { ...params, messageId };
    // Acknowledged replies ride as a second argument (docs/protocol.md, "socket.io").
    if (ack === undefined) this.#socket?.emit(event, payload);
    else this.#socket?.emit(event, payload, { ack });
  }

  close(): void {
    this.#socket?.disconnect();
  }
}

/**
 * socket.io's browser client (the global `io`, from the script the server serves, so its
 * version matches the server's), else the npm package.
 */
async function loadIo(browserScript: string): Promise<typeof ioFunction> {
  return (
    (await loadBrowserGlobal<typeof ioFunction>("io", browserScript)) ??
    (await loadClientPackage("socket.io-client", "socketio", () => import("socket.io-client"))).io
  );
}
