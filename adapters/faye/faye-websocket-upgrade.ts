import type { Duplex } from "node:stream";
import type { Logger } from "../../src/core/logger.js";
import type { UpgradeHandler } from "../../src/core/upgrade-router.js";
import type { FayeClusterRouter } from "./faye-cluster-router.js";
import { sessionOf } from "./faye-cluster-router.js";
import type { FayeInternals, FayeWebSocket } from "./faye-internals.js";
import {
  FayeWebSocketRelay,
  HOP_BY_HOP_HEADERS,
  RELAY_DRAIN,
  RELAYED_MESSAGE_TOO_BIG,
} from "./faye-websocket-relay.js";

/** WebSocket close code for a message too big to process (RFC 6455). */
const MESSAGE_TOO_BIG = 1009;

/** The close reason of a socket closed by the deadlines of {@link fayeWebSocketUpgrade}. */
export const SILENT_SOCKET_REASON = "idle";

/** The close reason of a socket whose session another socket took over. */
export const REPLACED_SOCKET_REASON = "replaced";

/** The close reason of a socket that sent more than it may before its session's node was found. */
export const UNROUTED_SOCKET_REASON = "too much before routing";

/** What {@link fayeWebSocketUpgrade} needs besides faye's internals. */
export interface FayeUpgradeOptions {
  /** Seconds between pings (faye's `ping`); unset: none. */
  ping: number | undefined;
  /** The largest inbound message, in bytes; a frame that would pass it closes the socket (1009). */
  maxLength: number;
  /** The socket that carried this client's `/meta/connect` was closed for a frame too large. */
  tooLarge(clientId: string): void;
  /**
   * Milliseconds a new socket has to send its first message that names a live session
   * (`faye.subscribeTimeoutMs`).
   */
  subscribeTimeoutMs: number;
  /** Whether a clientId names a session this node holds (with a connection, or still pending). */
  liveSession(clientId: string): boolean;
  /**
   * In a cluster without sticky sessions: finds the node holding a session this node does not
   * hold, so that a socket whose session lives there is relayed to it (see FayeWebSocketRelay).
   */
  router?: Pick<FayeClusterRouter, "forwardedHere" | "owner" | "forwardedHeaders">;
  logger: Logger;
}

/** A WebSocket holding a session, and the network socket under it. */
export interface HeldSocket {
  readonly ws: FayeWebSocket;
  /** Its `writableLength` is what was sent to the client and is not on the wire yet. */
  readonly socket: Duplex;
}

/** What {@link fayeWebSocketUpgrade} returns. */
export interface FayeUpgrade {
  /** Serves one upgrade request on faye's mount. */
  readonly handle: UpgradeHandler;
  /**
   * The socket holding a session: the one faye delivers the session's messages on (faye's
   * `openSocket`), for as long as it does.
   */
  holder(clientId: string): HeldSocket | undefined;
  /**
   * Hands every socket this node relays to another over to a live node without a pause (see
   * FayeWebSocketRelay.drain), at shutdown; resolves once they are closed.
   */
  drainRelays(): Promise<void>;
}

/**
 * faye's `NodeAdapter.handleUpgrade` (faye 1.4.3), with a bound on inbound frames. faye builds
 * its faye-websocket without `maxLength`, so every frame may grow to faye-websocket's default of
 * 64 MiB before faye parses it; there is no option to pass it through. This is the same
 * upgrade, with faye-websocket's own `maxLength` option set: its check runs when a frame's
 * header arrives (counting the fragments before it), so an oversized frame is refused with
 * close code 1009 before its payload is buffered. faye-websocket and faye's protocol server
 * come from {@link FayeInternals}.
 *
 * faye ties a socket to a session only through a `/meta/connect`, and never closes a socket that
 * carries none, so sockets without a live session are closed here. A socket holds a session
 * from the `/meta/connect` that names it until another socket's does (the older socket is then
 * closed: one session, one socket). Only a message sent while the socket holds a session this
 * node knows counts: the socket must send the first such message within `subscribeTimeoutMs`
 * (the deadline a session without a connection has too), and one at least every twice faye's
 * `timeout` after that. A live faye client sends its next `/meta/connect` as soon as faye
 * answers the last one, which faye holds for `timeout` at most, so it never waits that long. The
 * close goes through faye-websocket (code 1000, reason {@link SILENT_SOCKET_REASON}, or
 * {@link REPLACED_SOCKET_REASON}), so faye's `closeSocket` runs as for any other close.
 *
 * In a cluster (`router` given), the socket's first message that names a session decides where
 * the socket is served: here, for a session this node holds (or a handshake); otherwise, if the
 * store names the node that holds it, the socket is relayed there ({@link FayeWebSocketRelay}),
 * and what the client sends meanwhile waits, in order (at most `maxLength` of it). A socket
 * another node relays here is served here, never relayed again; its relay's
 * {@link RELAY_DRAIN} answers its held `/meta/connect` and every later one at once.
 */
export function fayeWebSocketUpgrade(
  server: FayeInternals,
  options: FayeUpgradeOptions,
): FayeUpgrade {
  const { WebSocket, WebSocketClient } = server;
  const { ping, maxLength, tooLarge, subscribeTimeoutMs, liveSession, router, logger } = options;
  const silentMs = 2 * server.timeoutSeconds * 1000;
  /** The socket holding each session: the last one whose `/meta/connect` named it. */
  const holders = new Map<string, HeldSocket>();
  /** Sockets relayed to the node holding their session. */
  const relays = new Set<FayeWebSocketRelay>();
  const handle: UpgradeHandler = (request, socket, head) => {
    const ws = new WebSocket(request, socket, head, [], {
      ...(ping === undefined ? {} : { ping }),
      maxLength,
    });
    /** The client whose `/meta/connect` this socket carries, as faye tracks it. */
    let clientId: string | undefined;
    let open = true;
    const silent = (): void => {
      logger.debug("faye: a silent WebSocket was closed");
      ws.close(1000, SILENT_SOCKET_REASON);
    };
    let deadline = setTimeout(silent, subscribeTimeoutMs).unref();
    let steady = false;
    /** A message named a live session: the socket has twice `timeout` from now for the next. */
    const alive = (): void => {
      if (steady) {
        deadline.refresh();
      } else {
        clearTimeout(deadline);
        deadline = setTimeout(silent, silentMs).unref();
        steady = true;
      }
    };
    /** Serves a message (or batch) here: faye's own WebSocket handling, with the deadlines. */
    const serve = (text: string): void => {
      try {
        const messages: unknown = JSON.parse(text);
        if (typeof messages !== "object") throw new SyntaxError("not an object or array");
        serveParsed(messages as object);
      } catch (error) {
        refused(error);
      }
    };
    const refused = (error: unknown): void => {
      // A parse error quotes the text, which is the client's: leave it out of the log.
      const reason = error instanceof SyntaxError ? "not a JSON object or array" : String(error);
      logger.debug("faye: a WebSocket message was refused", { error: reason });
    };
    /** Another node relays this socket here (its session's node). */
    const relayedHere = router?.forwardedHere(request) === true;
    /** The node relaying this socket is stopping (see FayeWebSocketRelay.drain). */
    let drained = false;
    const drain = (): void => {
      drained = true;
      // Answers the session's held `/meta/connect` on this socket, which no longer holds it.
      if (clientId !== undefined && holders.get(clientId)?.ws === ws) {
        holders.delete(clientId);
        server.closeSocket(clientId, false);
      }
    };
    const serveParsed = (messages: object): void => {
      if (drained) {
        // Every later `/meta/connect` is answered at once, for the relay to close behind it.
        for (const message of Array.isArray(messages) ? messages : [messages]) {
          if (isConnect(message)) message.advice = { ...message.advice, timeout: 0 };
        }
        server.process(messages, request, (replies) => {
          if (open) ws.send(JSON.stringify(replies));
        });
        return;
      }
      const cid = connectingClient(messages);
      if (clientId !== undefined && cid !== undefined && cid !== clientId) {
        if (holders.get(clientId)?.ws === ws) {
          holders.delete(clientId);
          server.closeSocket(clientId, false);
        }
      }
      server.openSocket(cid, ws, request);
      if (cid !== undefined) clientId = cid;
      // Only a session this node holds can be taken over: a made-up clientId holds nothing.
      if (cid !== undefined && liveSession(cid) && holders.get(cid)?.ws !== ws) {
        holders.get(cid)?.ws.close(1000, REPLACED_SOCKET_REASON);
        holders.set(cid, { ws, socket });
      }
      if (clientId !== undefined && holders.get(clientId)?.ws === ws && liveSession(clientId)) {
        alive();
      }
      server.process(messages, request, (replies) => {
        if (open) ws.send(JSON.stringify(replies));
      });
    };
    /**
     * Where the socket's messages go: `here`; `unrouted` until the first message that names a
     * session (in a cluster, for an upgrade no node forwarded); `finding` while the session's
     * node is looked up or the relay to it connects (messages wait in `waiting`, in order);
     * `relayed` once they go to that node.
     */
    let route: "here" | "unrouted" | "finding" | "relayed" =
      router === undefined || relayedHere ? "here" : "unrouted";
    let waiting: string[] = [];
    let waitingBytes = 0;
    let relay: FayeWebSocketRelay | undefined;
    /** Serves what waited here, in order, from now on. */
    const settleHere = (unsent: string[]): void => {
      route = "here";
      waiting = [];
      waitingBytes = 0;
      for (const text of unsent) if (open) serve(text);
    };
    const find = (cid: string): void => {
      route = "finding";
      void router!.owner(cid).then((owner) => {
        if (!open) return;
        if (owner === undefined) {
          settleHere(waiting);
          return;
        }
        try {
          relay = relayTo(owner);
        } catch (error) {
          logger.debug("faye relay: could not open", { error: String(error) });
          settleHere(waiting);
          return;
        }
        relays.add(relay);
        for (const text of waiting) relay.send(text);
        waiting = [];
      });
    };
    const relayTo = (owner: string): FayeWebSocketRelay => {
      // Only the path and query come from the request: `//elsewhere/…` must not pick the host.
      const asked = new URL(request.url ?? "/", "http://localhost");
      const url = new URL(owner);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      url.pathname = asked.pathname;
      url.search = asked.search;
      const opened = (): void => {
        route = "relayed";
        // The owner's deadlines govern the relayed socket from now on.
        clearTimeout(deadline);
        ws.onmessage = (event) => current.send(event.data);
      };
      const failed = (unsent: string[]): void => {
        relays.delete(current);
        relay = undefined;
        settleHere(unsent);
      };
      const current = new FayeWebSocketRelay(
        ws,
        socket,
        WebSocketClient,
        url.href,
        router!.forwardedHeaders(request, HOP_BY_HOP_HEADERS),
        maxLength,
        { opened, failed },
        logger,
      );
      return current;
    };
    ws.onmessage = (event) => {
      const text = event.data;
      if (route === "here") {
        if (relayedHere && text === RELAY_DRAIN) drain();
        else serve(text);
      } else if (route === "finding") {
        // Bounded: a client waits for the replies to what it sent first.
        waitingBytes += text.length;
        if (waitingBytes > maxLength) ws.close(1000, UNROUTED_SOCKET_REASON);
        else if (relay !== undefined) relay.send(text);
        else waiting.push(text);
      } else if (route === "unrouted") {
        let messages: unknown;
        try {
          messages = JSON.parse(text);
          if (typeof messages !== "object") throw new SyntaxError("not an object or array");
        } catch (error) {
          refused(error);
          return;
        }
        const cid = sessionOf(messages);
        if (cid !== undefined && !liveSession(cid)) {
          waiting.push(text);
          waitingBytes = text.length;
          find(cid);
          return;
        }
        // A handshake, or a session held here: served here; the first session named decides.
        if (cid !== undefined) route = "here";
        try {
          serveParsed(messages as object);
        } catch (error) {
          refused(error);
        }
      }
    };
    ws.onclose = (event) => {
      open = false;
      clearTimeout(deadline);
      if (relay !== undefined) {
        relays.delete(relay);
        relay.clientClosed(event.code);
      }
      // A socket replaced by another leaves the session to it: faye's closeSocket would detach
      // (and close) whichever socket the session has now.
      if (clientId !== undefined && holders.get(clientId)?.ws === ws) {
        holders.delete(clientId);
        server.closeSocket(clientId);
      }
      const tooBig =
        event.code === MESSAGE_TOO_BIG || (event.code === RELAYED_MESSAGE_TOO_BIG && relayedHere);
      if (tooBig && clientId !== undefined) tooLarge(clientId);
    };
  };
  return {
    handle,
    holder: (clientId) => holders.get(clientId),
    drainRelays: async () => {
      await Promise.all([...relays].map((relay) => relay.drain()));
    },
  };
}

/** The clientId of the first `/meta/connect` in a message or batch (faye's `idFromMessages`). */
function connectingClient(messages: unknown): string | undefined {
  const list: unknown[] = Array.isArray(messages) ? messages : [messages];
  const connect = list.find(
    (message) =>
      typeof message === "object" &&
      message !== null &&
      (message as { channel?: unknown }).channel === "/meta/connect",
  ) as { clientId?: unknown } | undefined;
  return typeof connect?.clientId === "string" ? connect.clientId : undefined;
}

/** Whether a Bayeux message is a `/meta/connect` (its `advice` may be set). */
function isConnect(message: unknown): message is { advice?: Record<string, unknown> } {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { channel?: unknown }).channel === "/meta/connect"
  );
}
