import type { ResolvedConfig } from "../config.js";
import { Connection, type LiveSession, requestTag } from "../connection.js";
import type { ConnectionTable } from "../connection-table.js";
import type { Logger } from "../logger.js";
import type { RoomManager, RoomRecovery } from "../rooms/room-manager.js";
import type { Hello } from "./hello.js";
import { MemorySessionStore } from "./memory-session-store.js";
import { PreparedMessage } from "../prepared-message.js";
import type {
  DeferredGrace,
  RecordedRequest,
  SessionRecord,
  SessionStore,
} from "./session-store.js";

/** How often a node looks for graces that stopped nodes handed over, in ms. */
const GRACE_POLL_MS = 1_000;
import { hashToken, identityOf, newToken, tokenMatches } from "./session-token.js";
import { publishResume } from "../instrumentation.js";
import type { MessageId } from "../inbound-request.js";

/** Why a resume gave a new session instead (the welcome's `session.reason`). */
export type NotResumed = "expired" | "invalid" | "identity" | "disabled";

/** The welcome's `session` (docs/protocol.md, "The welcome of a session"). */
export interface WelcomeSession {
  /** Whether every alert the session got since the client's last one follows, and how many. */
  alerts?: { recovered: boolean; missed: number };
  /** Absent when the server keeps no sessions. */
  token?: string;
  resumed: boolean;
  recovered: boolean;
  reason?: NotResumed;
  rooms: Record<string, RoomRecovery>;
}

/** What a session's start decided, for admission to finish (see {@link Sessions.start}). */
export interface SessionStart {
  readonly welcome: WelcomeSession;
  /**
   * What the resumed session missed (its rooms' pushes, then its alerts), to send right after
   * the welcome, in the same tick: from this call on it hears its rooms' live pushes.
   */
  readonly replay: () => PreparedMessage[];
  /** `false`: a new session, whose default room admission joins as for any connection. */
  readonly resumed: boolean;
}

/**
 * Sessions (docs/protocol.md, "Sessions and resume"): a connection that said hello gets one;
 * it outlives the socket for `resume.windowMs`, in memory or in the cluster's store, and a new
 * socket that brings its token takes it back — id, rooms, params, `data` and recorded replies —
 * on any transport and node. A dropped session stays in its room for `resume.graceMs`.
 */
export class Sessions {
  readonly store: SessionStore;
  /** Dropped sessions of this node within their grace, by id. */
  readonly #graces = new Map<string, { timer: NodeJS.Timeout; grace: DeferredGrace | undefined }>();
  /** Looks for graces that stopped nodes handed over (a store shared by the nodes only). */
  #poller: NodeJS.Timeout | undefined;
  /**
   * Requests of this node's sessions still running, by their tag (see requestTag): who waits for each one's reply (a re-sent copy), or `null`
   * while nobody does. Keyed by session, not socket: a request still running when its socket
   * dropped answers the copy the resumed socket re-sends.
   */
  readonly #running = new Map<string, Array<(json: string) => void> | null>();
  /** Sessions whose record must be written at the end of this tick (durable stores). */
  readonly #dirty = new Set<Connection>();
  #flushing = false;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly table: ConnectionTable,
    private readonly rooms: RoomManager,
    store: SessionStore,
  ) {
    this.store = store;
    if (store.durable) {
      this.#poller = setInterval(() => void this.#endDeferred(), GRACE_POLL_MS);
      this.#poller.unref();
    }
  }

  /**
   * Gives an admitted connection its session: the one its hello resumes (taken from its old
   * socket, here or on another node, with its rooms restored), or a new one. `identity` is what
   * `authenticate` returned for this socket.
   */
  async start(connection: Connection, hello: Hello, identity: unknown): Promise<SessionStart> {
    const token = newToken();
    const fresh = (reason?: NotResumed): SessionStart => {
      connection.session = {
        identity: identityOf(identity),
        tokenHash: hashToken(token),
        attachment: 1,
        recorded: undefined,
        latest: undefined,
        latestReply: undefined,
      };
      const welcome: WelcomeSession = { token, resumed: false, recovered: false, rooms: {} };
      if (reason !== undefined) welcome.reason = reason;
      for (const room of hello.resume?.rooms.keys() ?? []) {
        welcome.rooms[room] = { recovered: false, missed: 0 };
      }
      return { welcome, replay: nothing, resumed: false };
    };
    const resume = hello.resume;
    if (!this.config.resume.enabled) {
      const rooms: Record<string, RoomRecovery> = {};
      for (const room of resume?.rooms.keys() ?? []) rooms[room] = { recovered: false, missed: 0 };
      const welcome: WelcomeSession = {
        resumed: false,
        recovered: false,
        reason: "disabled",
        rooms,
      };
      return { welcome, replay: nothing, resumed: false };
    }
    if (resume === undefined) return fresh();
    let record = await this.store.load(resume.session).catch((error: unknown) => {
      this.logger.warn("loading a session failed", { error: String(error) });
      return undefined;
    });
    if (record === undefined) return fresh("expired");
    if (!tokenMatches(resume.token, record.tokenHash)) return fresh("invalid");
    if (record.identity !== identityOf(identity)) return fresh("identity");
    if (!connection.open) return fresh();

    const taken = await this.#takeOver(record);
    record = taken.record;
    this.table.rekey(connection, record.id);
    Object.assign(connection.data, record.data);
    for (const [key, value] of Object.entries(record.params)) {
      connection.params[key] = value;
      connection.paramsSize += Connection.paramBytes(key, value);
    }
    // Read while the rooms are restored: one round trip fewer before the welcome.
    const requests =
      taken.recorded ??
      this.store.requests(record.id).catch(() => new Map<MessageId, RecordedRequest>());
    connection.session = {
      identity: record.identity,
      tokenHash: hashToken(token),
      attachment: record.attachment + 1,
      recorded: undefined,
      latest: undefined,
      latestReply: undefined,
    };
    const { recovery, replay } = await this.rooms.restore(connection, {
      room: record.room,
      listening: record.listening,
      positions: resume.rooms,
      announce: record.left,
    });
    const recorded = await requests;
    if (recorded.size > 0 || taken.recorded !== undefined) connection.session.recorded = recorded;
    for (const room of resume.rooms.keys()) recovery[room] ??= { recovered: false, missed: 0 };
    const kept = await this.store
      .alerts(record.id, resume.alerts)
      .catch(() => ({ last: -1, alerts: [] as string[] }));
    const alerts = {
      recovered: kept.last >= resume.alerts && kept.alerts.length === kept.last - resume.alerts,
      missed: kept.alerts.length,
    };
    const recovered = alerts.recovered && Object.values(recovery).every((room) => room.recovered);
    await this.save(connection);
    const replayAll = () => {
      const messages = replay();
      for (const json of kept.alerts) messages.push(PreparedMessage.fromJson(json));
      return messages;
    };
    const welcome = { token, resumed: true, recovered, rooms: recovery, alerts };
    publishResume(this.config.nodeId, connection.id, connection.transport, recovered);
    return { welcome, replay: replayAll, resumed: true };
  }

  /** Writes a session's record now (its socket is here). */
  async save(connection: Connection): Promise<void> {
    const session = connection.session;
    if (session === undefined) return;
    await this.store
      .save(this.#record(connection, this.store.holder, false), this.config.resume.windowMs)
      .catch((error: unknown) =>
        this.logger.warn("saving a session failed", { error: String(error) }),
      );
  }

  /**
   * A session's state changed (a room move, a param, an action that may have set `data`): a
   * store that outlives this node gets the record at the end of the tick, once per session.
   */
  changed(connection: Connection): void {
    if (!this.store.durable || connection.session === undefined) return;
    this.#dirty.add(connection);
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => {
      this.#flushing = false;
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      for (const each of dirty) if (each.state === "open") void this.save(each);
    });
  }

  /**
   * The connection's socket dropped (not a quit, not a final close): the session stays,
   * resumable for `resume.windowMs`, a member of its room for `resume.graceMs`.
   */
  async park(connection: Connection): Promise<void> {
    const session = connection.session!;
    const record = this.#record(connection, undefined, false);
    await this.rooms.detach(connection);
    // Made now if it has none: a request still running records its reply in it.
    const requests = this.store.durable ? undefined : allRecorded(session);
    await this.store
      .save(record, this.config.resume.windowMs, requests)
      .catch((error: unknown) =>
        this.logger.warn("saving a dropped session failed", { error: String(error) }),
      );
    const room = record.room;
    clearTimeout(this.#graces.get(record.id)?.timer);
    const { graceMs } = this.config.resume;
    const timer = setTimeout(() => {
      this.#graces.delete(record.id);
      void this.#graceOver(record.id, session.attachment, room).catch((error: unknown) =>
        this.logger.error("ending a session's grace failed", { error: String(error) }),
      );
    }, graceMs);
    timer.unref();
    const grace =
      room === null
        ? undefined
        : { id: record.id, room, attachment: session.attachment, until: Date.now() + graceMs };
    this.#graces.set(record.id, { timer, grace });
  }

  /** The session ends for good (a quit, a close the server decided). */
  async end(connection: Connection): Promise<void> {
    if (connection.session === undefined) return;
    await this.store.delete(connection.id).catch(() => undefined);
  }

  /**
   * How to answer a request of a session (by its `messageId` as JSON): `undefined` to run it;
   * else the reply's JSON text (it ran already, or runs here now), or `"unknown"` when it
   * started on a node that died before its reply was recorded.
   */
  async earlier(
    connection: Connection,
    request: MessageId,
  ): Promise<string | "unknown" | undefined> {
    const tag = requestTag(connection.id, request);
    const waiting = this.#running.get(tag);
    if (waiting !== undefined) {
      return new Promise<string>((resolve) => {
        if (waiting === null) this.#running.set(tag, [resolve]);
        else waiting.push(resolve);
      });
    }
    const session = connection.session;
    const recorded =
      session?.latest === request ? session.latestReply : session?.recorded?.get(request);
    if (recorded === undefined || typeof recorded === "string") return recorded;
    // Started on another node, no reply yet: wait while that node lives.
    const deadline = Date.now() + this.config.limits.actionTimeoutMs;
    while (Date.now() < deadline && (await this.store.alive(recorded.holder))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const now = (await this.store.requests(connection.id)).get(request);
      if (typeof now === "string") return now;
    }
    return "unknown";
  }

  /** Whether a request is recorded before it runs (it may not run twice and the store outlives us). */
  get marks(): boolean {
    return this.store.durable;
  }

  /** Whether a request of the session ran, runs, or started somewhere (see {@link earlier}). */
  known(connection: Connection, request: MessageId): boolean {
    const session = connection.session;
    if (session?.latest === request || session?.recorded?.has(request) === true) return true;
    return this.#running.size > 0 && this.#running.has(requestTag(connection.id, request));
  }

  /**
   * A request of a session runs and is not answered yet (most are answered in the call that
   * runs them, and are never here): a copy re-sent meanwhile waits for its reply.
   */
  running(connection: Connection, request: MessageId): void {
    this.#running.set(requestTag(connection.id, request), null);
  }

  /**
   * A request of a session is answered (`running`: it was {@link running}): its reply is
   * recorded (in the session, and in a durable store), and whoever waits for it gets it.
   */
  settle(connection: Connection, request: MessageId, json: string, running: boolean): void {
    if (running) {
      const tag = requestTag(connection.id, request);
      const waiting = this.#running.get(tag);
      this.#running.delete(tag);
      if (waiting != null) for (const resolve of waiting) resolve(json);
    }
    const { maxReplies, windowMs } = this.config.resume;
    const session = connection.session;
    if (session !== undefined) {
      if (connection.state === "closed") {
        // Its Map is shared now (the memory store took it, or a newer socket): in there.
        const recorded = allRecorded(session);
        recorded.set(request, json);
        trim(recorded, maxReplies);
      } else {
        // The newest is kept aside (most are acknowledged by the client's next request); the
        // one it replaces, not acknowledged yet, joins the others.
        if (session.latestReply !== undefined) trim(allRecorded(session), maxReplies - 1);
        session.latest = request;
        session.latestReply = json;
      }
    }
    // A store that is not durable takes the session's record when its socket drops (park).
    if (!this.store.durable) return;
    this.store
      .replied(connection.id, request, json, maxReplies, windowMs)
      .catch((error: unknown) =>
        this.logger.warn("recording a reply failed", { error: String(error) }),
      );
  }

  /**
   * The client received the replies to these requests (a request's `ack`): the session forgets
   * them here (a durable store keeps its copies until they age out; the client does not ask for
   * them again).
   */
  acknowledge(connection: Connection, ack: readonly MessageId[]): void {
    const session = connection.session;
    if (session === undefined) return;
    for (const id of ack) {
      if (id === session.latest) {
        session.latest = undefined;
        session.latestReply = undefined;
      } else {
        session.recorded?.delete(id);
      }
    }
  }

  /** Records in the store, before the request runs, that it started on this node. */
  async mark(connection: Connection, request: MessageId): Promise<void> {
    await this.store.started(connection.id, request, this.config.resume.windowMs);
  }

  /**
   * The node stops: the graces still running are handed to the other nodes (a shared store),
   * which tell the rooms of the sessions that do not come back.
   */
  async stop(): Promise<void> {
    clearInterval(this.#poller);
    const graces: DeferredGrace[] = [];
    for (const { timer, grace } of this.#graces.values()) {
      clearTimeout(timer);
      if (grace !== undefined) graces.push(grace);
    }
    this.#graces.clear();
    await this.store
      .defer(graces)
      .catch((error: unknown) =>
        this.logger.warn("handing over graces failed", { error: String(error) }),
      );
    if (this.store instanceof MemorySessionStore) this.store.clear();
  }

  /** Ends the graces stopped nodes handed over, once each across the cluster. */
  async #endDeferred(): Promise<void> {
    let due: DeferredGrace[];
    try {
      due = await this.store.due(Date.now(), 100);
    } catch {
      return; // the store is away: next time
    }
    for (const grace of due) {
      await this.#graceOver(grace.id, grace.attachment, grace.room).catch((error: unknown) =>
        this.logger.error("ending a session's grace failed", { error: String(error) }),
      );
    }
  }

  /** Takes the session from the socket that holds it, if any (here, or on another node). */
  /**
   * Takes the session from its old socket, if one still holds it, and returns its state as of
   * now: a socket here gives it directly (a store may not have its latest changes, and the
   * memory store has none until the socket drops); another node's is read again once that node
   * let it go.
   */
  async #takeOver(
    record: SessionRecord,
  ): Promise<{ record: SessionRecord; recorded?: Map<MessageId, RecordedRequest> }> {
    clearTimeout(this.#graces.get(record.id)?.timer);
    this.#graces.delete(record.id);
    const old = this.table.get(record.id);
    if (old !== undefined && old.session !== undefined) {
      this.table.handOver(old, "local");
      await old.roomWork;
      // Its replies too (a request still running there records its reply in this map).
      const recorded = allRecorded(old.session);
      return { record: this.#record(old, this.store.holder, record.left), recorded };
    }
    if (record.holder !== undefined && record.holder !== this.store.holder) {
      await this.onHandover?.(record.id);
      return { record: (await this.store.load(record.id).catch(() => undefined)) ?? record };
    }
    return { record };
  }

  /** Asks the node holding a session's old socket to let it go (set by the dispatcher). */
  onHandover: ((connectionId: string) => Promise<unknown>) | undefined;

  /** A dropped session's grace is over: its room hears it left, unless it came back. */
  async #graceOver(id: string, attachment: number, room: string | null): Promise<void> {
    const record = await this.store.load(id);
    const returned = record === undefined || record.attachment !== attachment;
    if (returned && this.table.get(id) !== undefined) return; // back on this node: still a member
    if (room !== null) await this.rooms.leaveDetached(room, id, !returned);
    if (!returned && record !== undefined) {
      const remaining = this.config.resume.windowMs - this.config.resume.graceMs;
      if (remaining > 0) await this.store.save({ ...record, left: true }, remaining);
    }
  }

  #record(connection: Connection, holder: string | undefined, left: boolean): SessionRecord {
    const session = connection.session!;
    const params = connection.paramsIfAny;
    const record: SessionRecord = {
      id: connection.id,
      tokenHash: session.tokenHash,
      identity: session.identity,
      room: connection.room,
      // Most sessions listen to nothing and set nothing: they share one empty value each.
      listening: connection.listeningRooms.size === 0 ? NONE : [...connection.listeningRooms],
      params: params === undefined || isEmpty(params) ? EMPTY : { ...params },
      data: isEmpty(connection.data) ? EMPTY : { ...connection.data },
      // Every record has every key, in one order: one shape for all of them.
      holder,
      attachment: session.attachment,
      left,
    };
    return record;
  }
}

/**
 * A session's recorded requests in one Map (made if it has none): the newest reply, kept aside
 * while its socket lives, moves in.
 */
function allRecorded(session: LiveSession): Map<MessageId, RecordedRequest> {
  const recorded = (session.recorded ??= new Map());
  if (session.latestReply !== undefined) {
    recorded.set(session.latest!, session.latestReply);
    session.latest = undefined;
    session.latestReply = undefined;
  }
  return recorded;
}

/** Forgets the oldest recorded requests (a Map iterates in insertion order) beyond `max`. */
function trim(recorded: Map<MessageId, RecordedRequest>, max: number): void {
  while (recorded.size > max) recorded.delete(recorded.keys().next().value!);
}

/** The replay of a session that was not resumed. */
function nothing(): PreparedMessage[] {
  return [];
}

/** The listened rooms of a record that listens to none (shared by all of them). */
const NONE: readonly string[] = Object.freeze([]);
/** The params or `data` of a record that has none (shared by all of them). */
const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function isEmpty(object: Readonly<Record<string, unknown>>): boolean {
  for (const _key in object) return false;
  return true;
}
