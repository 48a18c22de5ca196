import type { Duplex } from "node:stream";
import type { Logger } from "../../src/core/logger.js";
import type {
  FayeWebSocket,
  FayeWebSocketClient,
  FayeWebSocketClientClass,
} from "./faye-internals.js";

/**
 * The close code a relaying node sends the owner when the client's frame was over the bound
 * (1009 there): faye-websocket's client may only send 1000 or 3000 to 4999, so the owner reads
 * this one as the client's 1009.
 */
export const RELAYED_MESSAGE_TOO_BIG = 4009;

/** WebSocket close code for a message too big to process (RFC 6455). */
const MESSAGE_TOO_BIG = 1009;

/** The close reason of a client's socket whose relay to the owner closed. */
export const RELAY_CLOSED_REASON = "relay closed";

/** The close reason of a client's socket closed by {@link FayeWebSocketRelay.drain}. */
export const RELAY_DRAINED_REASON = "relay drained";

/**
 * What a relaying node sends the owner when it stops (not Bayeux: the owner takes it from a
 * relayed socket only): answer the session's held `/meta/connect` now, and every later one at
 * once, without holding the socket as the session's (see {@link FayeWebSocketRelay.drain}).
 */
export const RELAY_DRAIN = '{"actionwireRelay":"drain"}';

/** Headers of the client's upgrade request that belong to that one connection, not the next. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "connection",
  "upgrade",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "content-length",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "sec-websocket-accept",
]);

/** What a {@link FayeWebSocketRelay} reports to the socket it serves. */
export interface RelayHandlers {
  /** The owner accepted the WebSocket: messages go there from now on. */
  opened(): void;
  /**
   * The owner could not be reached: `unsent` (what the client sent meanwhile, in order) must be
   * served here instead (faye here answers an unknown clientId with "handshake again").
   */
  failed(unsent: string[]): void;
}

/**
 * Carries a client's faye WebSocket to the node that holds its session, message by message, when
 * the upgrade reached another node (a balancer without sticky sessions). faye's client upgrades
 * after its handshake (over HTTP, which {@link FayeClusterRouter} forwards) and names its
 * clientId only in the socket's messages, so the node that took the upgrade finds the owner from
 * the first message that names a session, then opens a WebSocket of its own to the owner (with
 * the client's headers, the hop mark and `X-Forwarded-For`) and relays: each text message as it
 * is, unparsed, both ways. The owner serves the relayed socket as any other (its deadlines, its
 * one-socket-per-session rule, its goodbye), so the faye session and the actionwire connection
 * stay together on one node, as with long-polling.
 *
 * Backpressure holds end to end: while the client's network socket is backed up, the relay
 * stops reading from the owner (whose own socket then backs up, where its slow-consumer bound
 * sees it), and while the owner's is, it stops reading from the client. A close on either side
 * closes the other (code and reason kept where faye-websocket allows them; the client's 1009
 * reaches the owner as {@link RELAYED_MESSAGE_TOO_BIG}). If the owner cannot be reached, what
 * the client sent goes back to {@link RelayHandlers.failed}.
 */
export class FayeWebSocketRelay {
  readonly #upstream: FayeWebSocketClient;
  /** What the client sent before the owner's socket opened, in order. */
  #unsent: string[] = [];
  #state: "connecting" | "open" | "closed" = "connecting";
  /** Set by {@link drain}: the client's socket closes after the next `/meta/connect` reply. */
  #draining = false;
  /** Resolves when the client's socket is closed. */
  readonly #clientGone: Promise<void>;
  #clientClosed: () => void = () => undefined;

  constructor(
    /** The client's socket, on this node. */
    private readonly client: FayeWebSocket,
    /** The network socket under it. */
    private readonly socket: Duplex,
    /** faye-websocket's client. */
    WebSocketClient: FayeWebSocketClientClass,
    /** The owner's WebSocket URL for the same path (`ws://10.0.0.6:8080/faye`). */
    url: string,
    /** Headers for the owner (the client's, with the hop mark). */
    headers: Record<string, string>,
    /** The largest message either way, as on the client's socket. */
    maxLength: number,
    private readonly handlers: RelayHandlers,
    private readonly logger: Logger,
  ) {
    const upstream = new WebSocketClient(url, [], { headers, maxLength });
    this.#upstream = upstream;
    upstream.onopen = () => this.#opened();
    upstream.onclose = (event) => this.#upstreamClosed(event.code, event.reason);
    upstream.onmessage = (event) => {
      if (this.#draining) this.#drainWith(event.data);
      else if (!client.send(event.data)) upstream.pause();
    };
    this.#clientGone = new Promise((resolve) => (this.#clientClosed = resolve));
    client.on("drain", () => upstream.resume());
    upstream.on("drain", () => client.resume());
  }

  /** Sends a message from the client to the owner (queued until the owner's socket opens). */
  send(text: string): void {
    if (this.#state === "connecting") this.#unsent.push(text);
    else if (this.#state === "open" && !this.#upstream.send(text)) this.client.pause();
  }

  /**
   * Hands the client over to another node without a pause (this node is stopping): the owner
   * answers the session's held `/meta/connect`, and the client's socket closes right behind
   * that reply, in the same write. faye's client then has no message in flight on the socket,
   * so it sends its next `/meta/connect` at once, on a new socket (through the balancer to a
   * live node); a socket closed under a pending message would make it wait its `retry` interval
   * (5 s by default) first. Resolves when the client's socket is closed.
   */
  drain(): Promise<void> {
    if (this.#state === "open" && !this.#draining) {
      this.#draining = true;
      this.#upstream.send(RELAY_DRAIN);
    } else if (this.#state === "connecting") {
      this.client.close(1000, RELAY_DRAINED_REASON);
    }
    return this.#clientGone;
  }

  /** The client's socket closed (with `code`): the owner's closes too. */
  clientClosed(code: number): void {
    this.#clientClosed();
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#unsent = [];
    this.#upstream.close(code === MESSAGE_TOO_BIG ? RELAYED_MESSAGE_TOO_BIG : 1000);
  }

  /** While draining: passes `text` on, and closes the client's socket behind a connect reply. */
  #drainWith(text: string): void {
    const socket = this.socket;
    socket.cork();
    this.client.send(text);
    if (isConnectReply(text)) this.client.close(1000, RELAY_DRAINED_REASON);
    process.nextTick(() => socket.uncork());
  }

  #opened(): void {
    if (this.#state !== "connecting") return;
    this.#state = "open";
    this.handlers.opened();
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const text of unsent) this.send(text);
  }

  #upstreamClosed(code: number, reason: string): void {
    const state = this.#state;
    this.#state = "closed";
    if (state === "connecting") {
      this.logger.debug("faye relay: the session's node could not be reached", { code });
      const unsent = this.#unsent;
      this.#unsent = [];
      this.handlers.failed(unsent);
    } else if (state === "open") {
      // The owner closed it (a deadline, another socket took the session over, a shutdown) or
      // went away: so does the client's, and its faye client opens a new one.
      const kept = code === 1000 || (code >= 3000 && code <= 4999);
      this.client.close(kept ? code : 1000, kept ? reason : RELAY_CLOSED_REASON);
    }
  }
}

/** Whether a message (or batch) from the server holds a reply to a `/meta/connect`. */
function isConnectReply(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).some(
    (message: unknown) =>
      typeof message === "object" &&
      message !== null &&
      (message as { channel?: unknown }).channel === "/meta/connect" &&
      (message as { successful?: unknown }).successful !== undefined,
  );
}
