import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { NodeAdapter } from "faye";
import { ConfigError } from "../../src/core/errors.js";

/**
 * The faye versions the adapter's use of faye internals is tested with (the whole suite runs
 * against them). {@link fayeInternals} names them when the installed faye lacks something.
 */
export const TESTED_FAYE_VERSIONS = "1.4.3";

/**
 * The part of faye-websocket's sockets (server side, and the client) that the adapter uses.
 * `send` returns `false` once the network socket under it is backed up, and `drain` follows
 * when it has room again; `pause` stops reading from the network socket until `resume`.
 */
export interface FayeWebSocket {
  onmessage: ((event: { data: string }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string): boolean;
  /** `code`: 1000, or 3000 to 4999 (faye-websocket throws on any other). */
  close(code?: number, reason?: string): void;
  pause(): void;
  resume(): void;
  on(event: "drain", listener: () => void): unknown;
}

/** faye-websocket's client socket: a {@link FayeWebSocket} that opens. */
export interface FayeWebSocketClient extends FayeWebSocket {
  onopen: (() => void) | null;
}

/** faye-websocket's client constructor (`require("faye-websocket").Client`, public API). */
export type FayeWebSocketClientClass = new (
  url: string,
  protocols: string[],
  options: { headers?: Record<string, string>; maxLength: number },
) => FayeWebSocketClient;

/** faye-websocket's server-side constructor, as faye's own upgrade calls it. */
export type FayeWebSocketClass = new (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
  options: { ping?: number; maxLength: number },
) => FayeWebSocket;

/**
 * Everything the faye adapter does with faye that faye does not export: its protocol server
 * behind the Node adapter (`_server`), that server's engine (`_engine`), the adapter's body
 * reader (`_concatStream`), and faye-websocket (and its client) as faye resolves it. No other adapter file
 * touches faye's internals; each member says why the public API does not do.
 */
export interface FayeInternals {
  /**
   * Delivers `data` on `channel` through faye's engine, as faye's server does with a client's
   * publish once the extensions have passed it: with no in-process client (whose publishes the
   * incoming extension refuses) and no extension pass per recipient.
   */
  publish(channel: string, data: unknown): void;
  /**
   * Ends a session as its timing out does (faye has no public API to end one): a held
   * long-poll is answered, a WebSocket carrying its `/meta/connect` is closed, and the client's
   * next `/meta/connect` gets `401:<clientId>:Unknown client`.
   */
  destroySession(clientId: string): void;
  /**
   * Ends a session whose connection was closed, leaving the client's WebSocket open:
   * `closeSocket(clientId, false)` first detaches the socket and answers its pending
   * `/meta/connect` on it. Otherwise faye would close the WebSocket, and the client, its connect
   * failed, would only retry (and learn that its session is gone) after its retry interval, 5 s
   * by default. Left open, the socket carries the client's next connect, which is refused as
   * unknown, and its new handshake.
   */
  endSession(clientId: string): void;
  /** faye's `openSocket`: the socket now carries `clientId`'s `/meta/connect` (its deliveries). */
  openSocket(clientId: string | undefined, socket: FayeWebSocket, request: IncomingMessage): void;
  /** faye's `closeSocket`: the socket no longer carries the session (and is closed unless `false`). */
  closeSocket(clientId: string | undefined, close?: boolean): void;
  /** Runs a message or batch through faye's server (extensions included); replies to `callback`. */
  process(messages: unknown, request: IncomingMessage, callback: (replies: unknown) => void): void;
  /** Seconds faye's engine holds a `/meta/connect` (its `timeout`). */
  readonly timeoutSeconds: number;
  /**
   * Lets faye take a request body already read (to find its clientId) from `bodies` instead of
   * the request stream: the adapter's body reader, `_concatStream`, is wrapped.
   */
  readBodiesFrom(bodies: WeakMap<IncomingMessage, Buffer>): void;
  /** faye-websocket, loaded from where faye resolves it (the copy faye itself uses). */
  readonly WebSocket: FayeWebSocketClass;
  /** faye-websocket's client, from the same copy: a node relays a WebSocket with it. */
  readonly WebSocketClient: FayeWebSocketClientClass;
}

/** faye's protocol server behind its Node adapter, as far as the adapter uses it. */
interface ProtocolServer {
  openSocket(clientId: string | undefined, socket: FayeWebSocket, request: IncomingMessage): void;
  closeSocket(clientId: string | undefined, close?: boolean): void;
  process(messages: unknown, request: IncomingMessage, callback: (replies: unknown) => void): void;
  readonly _engine: {
    readonly timeout: number;
    destroyClient(clientId: string): void;
    publish(message: { channel: string; data: unknown }): void;
  };
}

type BodyReader = (
  stream: IncomingMessage,
  callback: (data: string) => void,
  context: unknown,
) => void;

/**
 * Checks that `bayeux` (a faye `NodeAdapter`) has every internal the adapter uses and returns
 * them. Called when the transport starts, so a faye that lacks one fails `server.start()` with
 * a `ConfigError` naming what is missing and the versions tested, instead of misbehaving later.
 *
 * @param version - the installed faye's `VERSION`, for the message.
 * @param webSocket - faye-websocket's constructor; by default loaded from where faye resolves it.
 */
export function fayeInternals(
  bayeux: NodeAdapter,
  version: string,
  webSocket: unknown = fayeWebSocketFromFaye(),
): FayeInternals {
  const adapter = bayeux as unknown as { _server?: unknown; _concatStream?: unknown };
  const server = adapter._server as Partial<ProtocolServer> | undefined;
  const engine = server?._engine as Partial<ProtocolServer["_engine"]> | undefined;
  const missing = [
    isFunction(server?.openSocket) ? "" : "NodeAdapter._server.openSocket()",
    isFunction(server?.closeSocket) ? "" : "NodeAdapter._server.closeSocket()",
    isFunction(server?.process) ? "" : "NodeAdapter._server.process()",
    isFunction(engine?.publish) ? "" : "NodeAdapter._server._engine.publish()",
    isFunction(engine?.destroyClient) ? "" : "NodeAdapter._server._engine.destroyClient()",
    typeof engine?.timeout === "number" ? "" : "NodeAdapter._server._engine.timeout",
    isFunction(adapter._concatStream) ? "" : "NodeAdapter._concatStream()",
    isFunction(webSocket) ? "" : "faye-websocket (as faye resolves it)",
    !isFunction(webSocket) || isFunction((webSocket as { Client?: unknown }).Client)
      ? ""
      : "faye-websocket's Client",
  ].filter((name) => name !== "");
  if (missing.length > 0) {
    throw new ConfigError(
      `The faye transport cannot run with faye ${version}: it lacks ${missing.join(", ")}, which the transport uses. It is tested with faye ${TESTED_FAYE_VERSIONS}: install that version (npm install faye@${TESTED_FAYE_VERSIONS}).`,
    );
  }
  const protocol = server as ProtocolServer;
  const { _engine } = protocol;
  return {
    publish: (channel, data) => _engine.publish({ channel, data }),
    destroySession: (clientId) => _engine.destroyClient(clientId),
    endSession: (clientId) => {
      protocol.closeSocket(clientId, false);
      _engine.destroyClient(clientId);
    },
    openSocket: (clientId, socket, request) => protocol.openSocket(clientId, socket, request),
    closeSocket: (clientId, close) => protocol.closeSocket(clientId, close),
    process: (messages, request, callback) => protocol.process(messages, request, callback),
    timeoutSeconds: _engine.timeout,
    readBodiesFrom: (bodies) => {
      const reader = adapter as { _concatStream: BodyReader };
      const read = reader._concatStream.bind(reader);
      reader._concatStream = (stream, callback, context) => {
        const body = bodies.get(stream);
        if (body === undefined) read(stream, callback, context);
        else callback.call(context, body.toString("utf8"));
      };
    },
    WebSocket: webSocket as FayeWebSocketClass,
    WebSocketClient: (webSocket as { Client: FayeWebSocketClientClass }).Client,
  };
}

/** faye-websocket from faye's own dependencies, or `undefined` if it cannot be resolved. */
function fayeWebSocketFromFaye(): unknown {
  try {
    const fromFaye = createRequire(createRequire(import.meta.url).resolve("faye"));
    return fromFaye("faye-websocket");
  } catch {
    return undefined;
  }
}

function isFunction(value: unknown): boolean {
  return typeof value === "function";
}
