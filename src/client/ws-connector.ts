import type { Connector, ConnectorHandlers } from "./connector.js";
import { loadClientPackage } from "./load-client-package.js";

/** The parts of the WebSocket API the connector uses (the browser's, or the `ws` package's). */
export interface WebSocketLike {
  /** Called once the socket is open; the connector sends nothing before. */
  onopen: ((event: unknown) => void) | null;
  /** Receives each text frame in `data`. */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** The close code and reason become the client's `disconnected` reason. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
  /** An error before the open fails the connect; after it, the close that follows reports it. */
  onerror: ((event: unknown) => void) | null;
  /** Sends one text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number): void;
}

/** A WebSocket class: how to use one other than the global one or the `ws` package. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of the ws connector. */
export interface WsConnectorOptions {
  /** The server's base URL (`http://host:port`) or a full `ws://` URL. */
  url: string;
  /** The ws path, when `url` is a base URL (default `/ws`). */
  path?: string;
  /** A WebSocket class; defaults to the global one, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Announce the hello: `hello=1` in the upgrade URL's query (see {@link Connector.hello}). */
  hello?: boolean;
}

/** Connects over a raw WebSocket: one JSON text frame per message. */
export class WsConnector implements Connector {
  #socket: WebSocketLike | undefined;

  constructor(private readonly options: WsConnectorOptions) {}

  get hello(): boolean {
    return this.options.hello === true;
  }

  async open(handlers: ConnectorHandlers): Promise<void> {
    const WebSocketClass = this.options.WebSocket ?? (await defaultWebSocket());
    const socket = new WebSocketClass(
      wsUrl(this.options.url, this.options.path ?? "/ws", this.hello),
    );
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.onopen = () => {
        opened = true;
        resolve();
      };
      socket.onerror = (event) => {
        // The `ws` package's event carries the socket's error; a browser's carries none.
        const cause = (event as { error?: unknown } | null)?.error ?? event;
        if (!opened) reject(new Error("the WebSocket connection failed", { cause }));
      };
      socket.onclose = (event) => {
        if (!opened) reject(new Error(`the WebSocket closed (${event.code})`));
        handlers.closed(event.reason || `closed (${event.code})`);
      };
      socket.onmessage = (event) => {
        if (typeof event.data !== "string") return;
        let message: unknown;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        if (typeof message === "object" && message !== null) {
          handlers.message(message as Record<string, unknown>);
        }
      };
    });
  }

  send(request: Record<string, unknown>): void {
    this.#socket?.send(JSON.stringify(request));
  }

  close(): void {
    this.#socket?.close(1000);
  }
}

function wsUrl(url: string, path: string, hello: boolean): string {
  const full = /^wss?:/i.test(url);
  if (full && !hello) return url;
  const base = new URL(url);
  if (!full) {
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    base.pathname = path;
  }
  if (hello) base.searchParams.set("hello", "1");
  return base.toString();
}

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  const ws = await loadClientPackage("ws", "ws", () => import("ws"));
  return ws.WebSocket as unknown as WebSocketConstructor;
}
