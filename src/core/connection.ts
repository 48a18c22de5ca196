import { randomUUID } from "node:crypto";
import type { Abortable } from "./actions/action-runner.js";
import type { MessageId } from "./inbound-request.js";
import { emptyRecord } from "./record.js";
import { TokenBucket } from "./token-bucket.js";

/** What a transport knows about a new connection when it accepts it. */
export interface ConnectionInfo {
  /** The client's address, already resolved through the trusted-proxy rules. */
  remoteIP: string;
  remotePort: number;
  /** The upgrade or handshake request, when the transport has one (for auth hooks). */
  request?: import("node:http").IncomingMessage;
  /**
   * The client announced that its first frame is a hello (docs/protocol.md, "Announcing the
   * hello"). Unset: the core reads `hello=1` in the request's query, if there is a request.
   */
  hello?: boolean;
}

/** What the core keeps of a connection's session while it has a socket (see Sessions). */
export interface LiveSession {
  /** What `authenticate` returned when the session began, as JSON. */
  readonly identity: string;
  /** SHA-256 of the current resume token. */
  tokenHash: string;
  /** Which socket of the session this is (bumped at each resume). */
  readonly attachment: number;
  /**
   * Requests the session recorded, by `messageId` (loaded at resume, then kept up);
   * `undefined` until it records one (an idle session holds no Map).
   */
  recorded: Map<MessageId, import("./sessions/session-store.js").RecordedRequest> | undefined;
  /**
   * The newest recorded reply's `messageId` and text, kept beside {@link recorded} while the
   * socket lives: a client that acknowledges each reply with its next request then never makes
   * the Map grow and shrink (see Sessions.settle). `undefined` once acknowledged.
   */
  latest: MessageId | undefined;
  latestReply: string | undefined;
}

/**
 * What a connection keeps of the upgrade or handshake request it came in on: the method, the
 * URL (with its query) and the headers (cookies included). The request object itself is not
 * kept: it holds the parser's state and raw headers, several KiB per idle connection.
 */
export interface HandshakeRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: import("node:http").IncomingHttpHeaders;
}

/** The public view of a connection: exactly the fields `detailsView` returns (PROTOCOL.md). */
export type ConnectionDetails = {
  id: string;
  connectedAt: number;
  transport: string;
  remoteIP: string;
  remotePort: number;
  claimedIP: string | null;
  room: string | null;
  listeningRooms: string[];
  params: Record<string, unknown>;
  totalActions: number;
  pendingActions: number;
  messageCount: number;
};

/**
 * Where a connection is in its life. `opening`: accepted, being admitted (limits,
 * `authenticate`, the welcome); its requests wait. `open`: welcomed. `closing`: the server or
 * the client decided to end it (a quit, a goodbye on its way); nothing it sends any more runs.
 * `closed`: its transport let it go and the core forgot it. The state only moves forward.
 */
export type ConnectionState = "opening" | "open" | "closing" | "closed";

/**
 * One client connection, whatever its transport: the one record the core keeps of it. Its
 * identity (`id`, `data`, rooms, sticky params) is apart from the socket that carries it
 * ({@link Connection.handle}), which the transport sets and may one day replace.
 */
export class Connection {
  #id: string = flat(randomUUID());
  readonly connectedAt: number = Date.now();
  /** The adapter's name (`ws`, `socketio`, `faye`, `tcp`, …). */
  readonly transport: string;
  readonly remoteIP: string;
  readonly remotePort: number;
  /** The upgrade or handshake request the connection came in on, if the transport had one. */
  readonly request: HandshakeRequest | undefined;
  /**
   * What the client sent `authenticate` in its hello (`auth`), on any transport; `undefined`
   * for a client that sent none.
   */
  auth: Readonly<Record<string, unknown>> | undefined = undefined;
  /** What the client claimed with `setIP`; never used for anything. */
  claimedIP: string | null = null;
  room: string | null = null;
  readonly listeningRooms = new Set<string>();
  #params: Record<string, unknown> | undefined;
  totalActions = 0;
  pendingActions = 0;
  messageCount = 0;
  /**
   * Server-side state (identity, flags set by actions or hooks). Never sent to the client;
   * room rules in config match against it.
   */
  readonly data: Record<string, unknown> = {};
  /** See {@link ConnectionState}; moved on by the core only. */
  state: ConnectionState = "opening";
  /**
   * The transport's native socket (or session) for this connection, set by the transport that
   * accepted it. The core never reads it.
   */
  handle: unknown = undefined;
  /** @internal Its message rate (`limits.rate`). */
  readonly rate: TokenBucket;
  /** @internal Set while it is being admitted (`false`: turned away): its requests wait for it. */
  admission: Promise<boolean> | undefined = undefined;
  /** @internal Its asynchronous actions still running, aborted when it closes (made on first use). */
  running: Set<Abortable> | undefined = undefined;
  /** @internal Its requests still being answered, for a quit to wait for (made on first use). */
  inflight: Set<Promise<unknown>> | undefined = undefined;
  /**
   * @internal The tail of its room moves (joins, changes, listens, the leave at close), which
   * run one at a time, so the leave at close comes after any move already under way.
   */
  roomWork: Promise<void> | undefined = undefined;
  /** @internal The size of its sticky params (see {@link Connection.paramBytes}). */
  paramsSize = 0;
  /** @internal Set while it awaits its hello (the client announced one): resolved with its params. */
  hello:
    | {
        readonly received: Promise<Record<string, unknown> | undefined>;
        receive(params: Record<string, unknown> | undefined): void;
      }
    | undefined = undefined;
  /** @internal Its session, once it has one (it said hello and sessions are on). */
  session: LiveSession | undefined = undefined;
  /** @internal Why the server ended it (the goodbye's reason), once it did. */
  endReason: string | undefined = undefined;
  /**
   * @internal Its session moved to another socket: it closes without leaving its rooms (and,
   * when the session moved to another node, `"remote"`, this node's membership goes quietly).
   */
  handedOver: "local" | "remote" | undefined = undefined;
  /**
   * @internal Set while a session's request is handed to its verb (synchronously): its
   * `messageId` (see {@link requestTag}).
   */
  requestKey: MessageId | undefined = undefined;
  /** @internal The cluster knows it lives on this node (see ClusterBus.addConnection). */
  registered = false;

  constructor(transport: string, info: ConnectionInfo, rate = Number.MAX_SAFE_INTEGER) {
    this.transport = transport;
    this.remoteIP = normalizeIP(info.remoteIP);
    this.remotePort = info.remotePort;
    const request = info.request;
    this.request =
      request === undefined
        ? undefined
        : { method: request.method, url: request.url, headers: request.headers };
    this.rate = new TokenBucket(rate);
    if (info.hello ?? announcesHello(request?.url)) {
      let receive!: (params: Record<string, unknown> | undefined) => void;
      const received = new Promise<Record<string, unknown> | undefined>((r) => (receive = r));
      this.hello = { received, receive };
    }
  }

  /** Server-assigned, unguessable (uuid v4); never the transport's own session id. Kept by a resume. */
  get id(): string {
    return this.#id;
  }

  /** @internal Takes a resumed session's id, before the welcome (see ConnectionTable.rekey). */
  adopt(id: string): void {
    this.#id = id;
  }

  /**
   * @internal While a session's request is handed to its verb: what marks what the verb
   * publishes (see RoomPublication.tag and {@link requestTag}).
   */
  get requestTag(): string | undefined {
    return this.requestKey === undefined ? undefined : requestTag(this.#id, this.requestKey);
  }

  /** True while it is opening or open: what it sends is still handled. */
  get open(): boolean {
    return this.state === "opening" || this.state === "open";
  }

  /** Sticky params, set with the param verbs; every action on this connection sees them. */
  get params(): Record<string, unknown> {
    // Made on first use: most connections never set one.
    return (this.#params ??= emptyRecord());
  }

  /** The sticky params, or `undefined` while none was ever set (reading makes nothing). */
  get paramsIfAny(): Readonly<Record<string, unknown>> | undefined {
    return this.#params;
  }

  /**
   * What one sticky param counts towards `limits.maxParamsBytes`: its key and its value as
   * JSON, in UTF-8 bytes.
   */
  static paramBytes(key: string, value: unknown): number {
    return Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value) ?? "null");
  }

  /** The fields `detailsView` returns. */
  details(): ConnectionDetails {
    return {
      id: this.id,
      connectedAt: this.connectedAt,
      transport: this.transport,
      remoteIP: this.remoteIP,
      remotePort: this.remotePort,
      claimedIP: this.claimedIP,
      room: this.room,
      listeningRooms: [...this.listeningRooms],
      params: { ...this.#params },
      totalActions: this.totalActions,
      pendingActions: this.pendingActions,
      messageCount: this.messageCount,
    };
  }
}

/**
 * A copy of a string in one piece. `randomUUID()` builds its result by concatenation, and V8
 * keeps such a string as a tree of pieces (about 500 bytes); an id lives as long as its
 * connection.
 */
function flat(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

/**
 * What names a request of a session across its sockets: `<session id>|<messageId as JSON>`
 * (what marks its say in a room's history, and what a re-sent copy is matched by).
 */
export function requestTag(sessionId: string, messageId: MessageId): string {
  return `${sessionId}|${JSON.stringify(messageId)}`;
}

/** `hello=1` in a URL's query (a path or a full URL). */
function announcesHello(url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf("?");
  return query >= 0 && new URLSearchParams(url.slice(query + 1)).get("hello") === "1";
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is shown as plain IPv4. */
export function normalizeIP(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}
