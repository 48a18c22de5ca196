import type { MessageId } from "../inbound-request.js";

/**
 * What a session keeps of a connection between its sockets (docs/protocol.md, "Sessions and
 * resume"): everything a resume restores, and what decides whether it may.
 */
export interface SessionRecord {
  /** The connection id, kept across resumes. */
  readonly id: string;
  /** SHA-256 (base64url) of the current resume token; the token itself is never stored. */
  readonly tokenHash: string;
  /** What `authenticate` returned when the session began, as JSON (`"true"` without a hook). */
  readonly identity: string;
  readonly room: string | null;
  readonly listening: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly data: Readonly<Record<string, unknown>>;
  /** Which node holds its socket now (a store's `holder`); absent while it has none. */
  readonly holder?: string;
  /** Counts its sockets: bumped at each resume, so a node can tell its own is gone. */
  readonly attachment: number;
  /** Its room was told it left (the grace passed): a resume enters the room again, announced. */
  readonly left: boolean;
}

/** A dropped session's grace, handed to the cluster by a node that stops before it ends. */
export interface DeferredGrace {
  readonly id: string;
  /** The room it is a member of (told it left if it has not come back). */
  readonly room: string;
  /** Its attachment when it dropped: another one means it came back. */
  readonly attachment: number;
  /** When the grace ends, in ms since the epoch. */
  readonly until: number;
}

/**
 * A request the session recorded (see {@link SessionStore.replied}): its reply's JSON text once
 * it was answered; until then the node it started on (it runs there, or that node died). A
 * reply is kept as the bare string: a session keeps `resume.maxReplies` of them, and an object
 * around each would cost every reply an allocation that lives long enough to be promoted.
 */
export type RecordedRequest = string | { readonly holder: string };

/**
 * Where sessions live: this node's memory (the default), or a store every node
 * shares (the Redis bus's), so that any node resumes any session. Each session expires
 * `ttlMs` after its last write.
 */
export interface SessionStore {
  /** This node, as {@link SessionRecord.holder} and a started {@link RecordedRequest} name it. */
  readonly holder: string;
  /**
   * `true` when the store outlives this node (shared): records are then written as they
   * change, not only when a socket drops, and requests that may not run twice are marked
   * before they run.
   */
  readonly durable: boolean;
  /**
   * Writes a session's record; it expires `ttlMs` later unless written again. `requests`, given
   * when a socket drops, are the requests the session recorded, as it holds them: a store that
   * is not durable keeps them from then on (a durable one got each through {@link replied}).
   */
  save(
    record: SessionRecord,
    ttlMs: number,
    requests?: Map<MessageId, RecordedRequest>,
  ): Promise<void>;
  /** A session's record, if it has not expired or ended. */
  load(id: string): Promise<SessionRecord | undefined>;
  /** Ends a session for good (a quit, a server-side close), with its recorded requests. */
  delete(id: string): Promise<void>;
  /** A request of the session (by its `messageId`) starts on this node. */
  started(id: string, request: MessageId, ttlMs: number): Promise<void>;
  /** A request's reply, kept among the session's last `max` recorded requests. */
  replied(id: string, request: MessageId, reply: string, max: number, ttlMs: number): Promise<void>;
  /** The session's recorded requests, by `messageId`. */
  requests(id: string): Promise<Map<MessageId, RecordedRequest>>;
  /** Whether the node a record names is still alive. */
  alive(holder: string): Promise<boolean>;
  /**
   * Numbers an alert for a session (`seq`, from 1, first in its JSON text) and keeps it among
   * the session's last `max`; returns the text, or `undefined` if there is no such session.
   */
  alert(
    id: string,
    alert: Readonly<Record<string, unknown>>,
    max: number,
    ttlMs: number,
  ): Promise<string | undefined>;
  /** The session's kept alerts numbered after `seq` (texts, in order), and its last number. */
  alerts(id: string, seq: number): Promise<{ last: number; alerts: string[] }>;
  /**
   * Hands graces still running to the other nodes (this node stops); a store this node's end
   * takes with it has nothing to do.
   */
  defer(graces: readonly DeferredGrace[]): Promise<void>;
  /** Takes the deferred graces that ended by `now` (each goes to one node only), at most `max`. */
  due(now: number, max: number): Promise<DeferredGrace[]>;
}
