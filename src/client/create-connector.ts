import type { Connector } from "./connector.js";
import { FayeConnector } from "./faye-connector.js";
import { SocketIoConnector } from "./socketio-connector.js";
import { WsConnector, type WebSocketConstructor } from "./ws-connector.js";

/** The transports the client can speak. */
export type ClientTransport = "ws" | "socketio" | "faye";

/** What a connector needs to know; each uses its own part. */
export interface ConnectorOptions {
  /** The server's base URL, `http://host:port`. */
  url: string;
  /** The ws path (default `/ws`). */
  path?: string;
  /** A WebSocket class for the ws connector (the global one, else the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /** socket.io client options: its path (default `/socket.io`) and engine transports. */
  socketio?: { path?: string; transports?: Array<"websocket" | "polling"> };
  /** faye client options: its mount (default `/faye`) and transports to disable. */
  faye?: {
    mount?: string;
    disable?: Array<
      | "websocket"
      | "eventsource"
      | "long-polling"
      | "callback-polling"
      | "in-process"
      | "cross-origin-long-polling"
    >;
  };
}

/**
 * Builds the connector for a transport name; with `hello`, one that announces the hello (see
 * {@link Connector.hello}).
 */
export function createConnector(
  transport: ClientTransport,
  options: ConnectorOptions,
  hello = false,
): Connector {
  switch (transport) {
    case "ws":
      return new WsConnector({
        url: options.url,
        path: options.path,
        WebSocket: options.WebSocket,
        hello,
      });
    case "socketio":
      return new SocketIoConnector({ url: options.url, ...options.socketio, hello });
    case "faye":
      return new FayeConnector({ url: options.url, ...options.faye, hello });
    default:
      throw new Error(`unknown transport ${String(transport)}: use "ws", "socketio" or "faye"`);
  }
}
