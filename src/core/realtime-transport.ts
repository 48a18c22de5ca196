import type { IncomingMessage, Server as HttpServer } from "node:http";
import type { ClusterStore } from "./cluster-store.js";
import type { Connection, ConnectionInfo } from "./connection.js";
import type { ResolvedConfig } from "./config.js";
import type { Logger } from "./logger.js";
import type { PreparedMessage } from "./prepared-message.js";
import type { RequestRouter } from "./request-router.js";
import type { UpgradeRouter } from "./upgrade-router.js";

/**
 * What a transport can do natively, as documentation for users and tools. The server reads
 * `needsStickySessions` (a start-up warning when clustered); the rest describes the adapter's
 * own behaviour (an adapter uses its native acks and broadcast itself, and enforces its frame
 * limit itself).
 */
export interface TransportCapabilities {
  /** A request can carry its own reply callback (socket.io acks). */
  readonly nativeAcks: boolean;
  /** The transport can send one encoded message to many connections at once. */
  readonly nativeBroadcast: boolean;
  /** Binary frames can be carried (the protocol itself is JSON text). */
  readonly binary: boolean;
  /** A connection's requests must all reach the node that holds it (polling transports). */
  readonly needsStickySessions: boolean;
  /** The largest inbound frame the transport itself accepts, in bytes; `null` if unbounded. */
  readonly maxPayload: number | null;
}

/** Sends a reply through the transport's own acknowledgement mechanism. */
export type ReplyFn = (message: PreparedMessage) => void;

/** A read-only view of the connections of a node. */
export interface Connections {
  /** The connection with this id, if this node holds it (opening, open or closing). */
  get(connectionId: string): Connection | undefined;
  /** Every connection this node holds. */
  values(): IterableIterator<Connection>;
}

/**
 * What the core offers an adapter: the way in for connections and messages, and the shared
 * HTTP server with its upgrade router.
 */
export interface TransportHost {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  /** The HTTP(S) server transports attach to; `null` when the server has none. */
  readonly httpServer: HttpServer | null;
  /** Routes `upgrade` requests by path, so several transports share one server. */
  readonly upgrades: UpgradeRouter;
  /** Routes plain HTTP requests by path prefix (long-polling, client scripts). */
  readonly requests: RequestRouter;
  /**
   * Records shared by every node of the cluster, when the cluster bus has a shared store (the
   * Redis bus); absent when this node runs alone. For an adapter that must agree with the other
   * nodes (faye: which node holds a long-polling session).
   */
  readonly clusterStore?: ClusterStore;
  /**
   * The connections of this node by id (every transport's; each knows its `transport` name and
   * carries its `handle`): the one place a connection is kept, from `accept` until
   * `connectionClosed`.
   */
  readonly connections: Connections;
  /** The client's address for a request, honouring `X-Forwarded-For` only from trusted proxies. */
  remoteAddress(request: IncomingMessage): { ip: string; port: number };
  /**
   * Registers a new connection (state `opening`) and admits it once the current task is over:
   * keep the socket under `connection.id` before that, the welcome (or a refusal) goes to it.
   */
  accept(transport: string, info: ConnectionInfo): Connection;
  /** A text (or binary) frame arrived; the core parses and answers it. */
  receiveText(connection: Connection, data: string | Buffer, reply?: ReplyFn): void;
  /** An already-decoded request arrived (`{event, params, messageId}`); the core checks it. */
  receiveRequest(connection: Connection, request: unknown, reply?: ReplyFn): void;
  /**
   * A frame over `limits.maxMessageBytes` that the transport will not read to its end: the core
   * counts it, answers `ERR_MESSAGE_TOO_LARGE`, says goodbye and closes the connection.
   */
  frameTooLarge(connection: Connection): void;
  /**
   * Ends a connection for a reason the transport found: `slow consumer` (it does not read fast
   * enough), `timeout` (it failed the transport's liveness check: a ping not answered, nothing
   * received for the idle timeout). The core says goodbye and closes it through the transport's
   * `disconnect`; after a `timeout`, the adapter then makes sure the socket really closes, as a
   * half-open peer never completes a close handshake. `false` if it was already closing.
   */
  close(connection: Connection, reason: "slow consumer" | "timeout"): boolean;
  /**
   * The connection is gone (closed by either side): it is closed for good, leaves its rooms,
   * and what it sent afterwards is dropped.
   */
  connectionClosed(connection: Connection): void;
}

/**
 * The interface every adapter implements. Adapters own bytes; the core owns meaning. Most
 * adapters extend {@link BaseTransport} instead of implementing this directly.
 */
export interface RealtimeTransport {
  /** The name connections report as `transport` and config uses to pick it. */
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  /** Attaches to `host.httpServer` or opens its own listener; resolves when ready. */
  start(host: TransportHost): Promise<void>;
  /**
   * Sends an already-built message to each of the given connections it holds; ids it does not
   * hold are skipped. A room's ids are the room's own list, shared by every message to it until
   * it changes: read them, never change them.
   */
  send(connectionIds: Iterable<string>, message: PreparedMessage): void;
  /**
   * Sends several messages to one connection, in order (a resumed session's welcome and what
   * it missed): in one write where the transport can. Without it, each is a {@link send}.
   */
  sendSeries?(connectionId: string, messages: readonly PreparedMessage[]): void;
  /** Closes one connection (after any message already sent to it). */
  disconnect(connectionId: string): void;
  /** Closes every connection and releases what `start` took. */
  stop(): Promise<void>;
  /** Where clients connect, given the server's base URL (`http://host:port`), if it has a URL. */
  endpoint?(baseUrl: string): string;
}

/**
 * A transport class as registered with `registerTransport` or passed in `config.transports`.
 * `validateOptions`, when present, checks the options under the transport's name in config and
 * returns them (throwing a `ConfigError` that names the bad key).
 */
export interface TransportClass {
  new (...args: never[]): RealtimeTransport;
  /** Checks and returns the options under the transport's name, once, when the server is made. */
  validateOptions?(raw: unknown): unknown;
}
