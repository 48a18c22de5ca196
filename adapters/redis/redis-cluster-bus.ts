import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type {
  ClusterBus,
  ClusterBusListener,
  ClusterStatus,
  ConnectionCommand,
  HistoryLimits,
  NodeAnswer,
  NodeQuestion,
  RoomPublication,
} from "../../src/core/cluster-bus.js";
import { newEpoch } from "../../src/core/rooms/room-history.js";
import {
  type HistoryRead,
  type PositionedPush,
  positionOf,
  type RoomPosition,
} from "../../src/core/rooms/room-position.js";
import type { SessionStore } from "../../src/core/sessions/session-store.js";
import { APPEND_AND_PUBLISH, DELETE_IF_EQUAL } from "./redis-script.js";
import { RedisSessionStore } from "./redis-session-store.js";
import { publishClusterMessage, type TraceCarrier } from "../../src/core/instrumentation.js";
import { loadPackage } from "../../src/core/load-package.js";
import type { ClusterStore } from "../../src/core/cluster-store.js";
import type { Logger } from "../../src/core/logger.js";
import { waitAtMost } from "../../src/core/wait-at-most.js";
import { RedisClusterStore } from "./redis-cluster-store.js";
import type { RedisOptions } from "./redis-options.js";

/** Counters, for tests and monitoring. */
export interface RedisBusStats {
  /** Room messages this node published (one per room message, whatever the room's size). */
  published: number;
  /** Room messages from other nodes this node received (only for rooms it holds). */
  received: number;
  /** Room messages not sent to other nodes because Redis was unreachable. */
  dropped: number;
  /** Dead incarnations this node reaped. */
  reaped: number;
  /** Room messages this node delivered from a room's history: they never came on the bus. */
  filled: number;
}

/** The order a room's messages are delivered in on this node (see RedisClusterBus). */
interface RoomOrder {
  readonly epoch: string;
  /** The last offset delivered. */
  offset: number;
  /** Set while a gap is being filled from the history: messages that arrived meanwhile. */
  held: PositionedPush[] | undefined;
}

/**
 * The Redis cluster bus (ioredis): any number of nodes act as one.
 *
 * - Room messages: one PUBLISH per message on `<prefix>room:<room>`; a node subscribes only to
 *   rooms it has local members or listeners in. Local members hear a message at once, without
 *   a round trip, so a node keeps serving its rooms while Redis is away.
 * - Membership is recorded per node incarnation (`<nodeId>#<uuid>`, new at every start), with a
 *   heartbeat in a sorted set. A node silent for `nodeTimeoutMs` is dead: one live node (a lock
 *   decides which) removes its members and announces that they left, once.
 * - Commands (alert, disconnect) for a connection on another node go to that node's channel.
 * - A question for every node ({@link ask}) goes to each live incarnation's channel, and each
 *   answer back to the asker's.
 * - Its {@link ClusterStore} keeps adapters' records as `<prefix><key>` strings.
 */
export class RedisClusterBus implements ClusterBus {
  readonly stats: RedisBusStats = { published: 0, received: 0, dropped: 0, reaped: 0, filled: 0 };
  /** This node's incarnation: its id plus a fresh uuid, so a restart never inherits members. */
  readonly incarnation: string;
  /** Records adapters share across nodes, on the command connection. */
  readonly store: ClusterStore;
  /** Sessions, shared by every node (so any node resumes any session). */
  readonly sessions: SessionStore;
  #listener: ClusterBusListener | undefined;
  #pub: Redis | undefined;
  #sub: Redis | undefined;
  #owned = false;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  /** This node's state, the truth that Redis mirrors (and is rebuilt from after an outage). */
  readonly #members = new Map<string, Set<string>>();
  readonly #connections = new Set<string>();
  readonly #interest = new Set<string>();
  #subscribed = new Set<string>();
  #flushScheduled = false;
  /** Per room this node hears: the last offset delivered, so messages go out in order. */
  readonly #order = new Map<string, RoomOrder>();
  /** History reads under way, by room and position: resumes from one position share one. */
  readonly #reads = new Map<string, Promise<HistoryRead>>();
  /** Questions this node asked every node ({@link ask}), by id: the answers come in here. */
  readonly #asking = new Map<string, Asking>();

  constructor(
    private readonly options: RedisOptions,
    private readonly nodeId: string,
    private readonly logger: Logger,
    private readonly limits: HistoryLimits = { historySize: 1_000, windowMs: 120_000 },
  ) {
    this.incarnation = `${nodeId}#${randomUUID()}`;
    this.store = new RedisClusterStore(() => this.#pub, options.keyPrefix);
    this.sessions = new RedisSessionStore(
      () => this.#pub,
      options.keyPrefix,
      this.incarnation,
      (holder) => this.#alive(holder),
    );
  }

  async start(listener: ClusterBusListener): Promise<void> {
    this.#listener = listener;
    const { Redis } = await loadPackage<typeof import("ioredis")>("ioredis", "redis");
    const connection = {
      // Fail fast while Redis is away instead of queueing stale chat for later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    };
    if (this.options.publisher !== undefined && this.options.subscriber !== undefined) {
      // The caller's own ioredis clients (the options type names only what it checks).
      this.#pub = this.options.publisher as Redis;
      this.#sub = this.options.subscriber as Redis;
    } else {
      this.#owned = true;
      this.#pub = new Redis(this.options.url!, connection);
      this.#sub = new Redis(this.options.url!, connection);
    }
    const pub = this.#pub;
    const sub = this.#sub;
    for (const client of [pub, sub]) {
      client.on("error", (error: Error) =>
        this.logger.debug("redis error", { error: error.message }),
      );
    }
    await Promise.all([ready(pub), ready(sub)]);
    sub.on("messageBuffer", (channel: Buffer, payload: Buffer) =>
      this.#message(channel.toString(), payload.toString()),
    );
    await this.#resubscribe();
    // After a reconnect Redis has forgotten this node's subscriptions (and may have lost or
    // reaped its state): subscribe again, and put the state back.
    sub.on("ready", () => {
      this.#subscribed = new Set();
      // What the rooms said while this node was away is in their histories.
      void this.#resubscribe().then(() => {
        for (const room of this.#order.keys()) this.#fill(room);
      });
    });
    pub.on("ready", () => void this.#reassert());
    await this.#reapPredecessors();
    await this.#heartbeat(true);
    this.#timer = setInterval(() => void this.#tick(), this.options.heartbeatMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    const pub = this.#pub;
    if (pub !== undefined && pub.status === "ready") {
      await this.#forget(this.incarnation).catch(() => undefined);
    }
    if (this.#owned) {
      await Promise.all([this.#pub, this.#sub].map((c) => c?.quit().catch(() => c.disconnect())));
    } else {
      const channels = [...this.#subscribed];
      if (channels.length > 0) await this.#sub?.unsubscribe(...channels).catch(() => undefined);
    }
    this.#listener = undefined;
  }

  async addConnection(connectionId: string): Promise<void> {
    this.#connections.add(connectionId);
    await this.#write((pub) =>
      pub
        .multi()
        .set(this.#key("conn", connectionId), this.incarnation)
        .sadd(this.#key("inc", this.incarnation, "conns"), connectionId)
        .exec(),
    );
  }

  async removeConnection(connectionId: string): Promise<void> {
    this.#connections.delete(connectionId);
    await this.#write(async (pub) => {
      // Only if it still names this node: a resumed session's id may already live elsewhere.
      await DELETE_IF_EQUAL.run(pub, [this.#key("conn", connectionId)], [this.incarnation]);
      await pub.srem(this.#key("inc", this.incarnation, "conns"), connectionId);
    });
  }

  async addMember(room: string, connectionId: string): Promise<void> {
    let local = this.#members.get(room);
    if (local === undefined) this.#members.set(room, (local = new Set()));
    local.add(connectionId);
    await this.#write((pub) =>
      pub
        .multi()
        .sadd(this.#roomKey(room, this.incarnation), connectionId)
        .sadd(this.#key("room", room, "incs"), this.incarnation)
        .sadd(this.#key("inc", this.incarnation, "rooms"), room)
        .exec(),
    );
  }

  async removeMember(room: string, connectionId: string): Promise<void> {
    const local = this.#members.get(room);
    local?.delete(connectionId);
    const last = local !== undefined && local.size === 0;
    if (last) this.#members.delete(room);
    await this.#write((pub) => {
      const multi = pub.multi().srem(this.#roomKey(room, this.incarnation), connectionId);
      if (last) {
        multi
          .srem(this.#key("room", room, "incs"), this.incarnation)
          .srem(this.#key("inc", this.incarnation, "rooms"), room);
      }
      return multi.exec();
    });
  }

  /**
   * Whether Redis answers a PING within `heartbeatMs`, and the nodes whose heartbeat is
   * younger than `nodeTimeoutMs`.
   */
  async status(): Promise<ClusterStatus> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready" || this.#stopping) {
      return { reachable: false, nodes: 0 };
    }
    const deadline = Date.now() - this.options.nodeTimeoutMs;
    const asked = Promise.all([pub.ping(), pub.zcount(this.#key("nodes"), deadline, "+inf")]);
    asked.catch(() => undefined); // read below, or given up on
    if (!(await waitAtMost(asked, this.options.heartbeatMs))) return { reachable: false, nodes: 0 };
    try {
      const [, nodes] = await asked;
      return { reachable: true, nodes };
    } catch {
      return { reachable: false, nodes: 0 };
    }
  }

  /** Members on every live node; this node's own only, while Redis is away. */
  async members(room: string): Promise<string[]> {
    const local = [...(this.#members.get(room) ?? [])];
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return local;
    try {
      const incs = (await pub.smembers(this.#key("room", room, "incs"))).filter(
        (inc) => inc !== this.incarnation,
      );
      if (incs.length === 0) return local;
      const scores = await pub.zmscore(this.#key("nodes"), ...incs);
      const deadline = Date.now() - this.options.nodeTimeoutMs;
      const live = incs.filter((_, i) => scores[i] !== null && Number(scores[i]) >= deadline);
      if (live.length === 0) return local;
      const remote = await pub.sunion(...live.map((inc) => this.#roomKey(room, inc)));
      // A session that moved to another node is briefly a member on both.
      return [...new Set([...local, ...remote])];
    } catch (error) {
      this.logger.debug("redis members failed; local members only", { error: String(error) });
      return local;
    }
  }

  async setInterest(room: string, interested: boolean): Promise<void> {
    if (interested) this.#interest.add(room);
    else {
      this.#interest.delete(room);
      this.#order.delete(room);
    }
    // Joins and leaves come in bursts: subscribe and unsubscribe once per tick, net.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        void this.#resubscribe();
      });
    }
  }

  /**
   * One Redis call per room message: appended to the room's history and published (one Lua
   * script, see docs/clustering.md). Every node, this one included, delivers it when it comes back
   * from the room's channel, in offset order. While Redis is away, this node's members get it at
   * once, without a position (it is in no history), and other nodes never do.
   */
  async publish({ room, message, except, tag, trace }: RoomPublication): Promise<void> {
    const json = JSON.stringify(message);
    const plain = except === undefined ? { room, json } : { room, json, except };
    const envelope = trace === undefined ? plain : { ...plain, trace };
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") {
      this.stats.dropped++;
      this.#listener?.roomMessage(envelope);
      return;
    }
    const channel = this.#key("room", room);
    this.stats.published++;
    publishClusterMessage(this.nodeId, "out", "room");
    let offset: number;
    try {
      offset = Number(
        await APPEND_AND_PUBLISH.run(
          pub,
          [this.#historyKey(room, "meta"), this.#historyKey(room, "stream")],
          [
            json,
            except ?? "",
            this.limits.historySize,
            this.limits.windowMs,
            newEpoch(),
            channel,
            this.incarnation,
            tag ?? "",
            trace === undefined ? "" : JSON.stringify(trace),
          ],
        ),
      );
    } catch (error) {
      this.logger.debug("redis publish failed; delivered on this node only", {
        error: String(error),
      });
      this.stats.dropped++;
      this.#listener?.roomMessage(envelope);
      return;
    }
    // Not subscribed to the room yet (a member who just joined spoke): its echo will not come.
    if (this.#interest.has(room) && !this.#subscribed.has(channel)) this.#fill(room, offset);
    // (Subscribed: every node, this one included, delivers it as it comes back.)
  }

  async position(room: string): Promise<RoomPosition> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return { epoch: "", offset: 0 };
    const [epoch, offset] = await pub.hmget(this.#historyKey(room, "meta"), "e", "o");
    return { epoch: epoch ?? "", offset: Number(offset ?? 0) };
  }

  /** Whether the room's stream holds a push published with `tag`. */
  async published(room: string, tag: string): Promise<boolean> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return false;
    const entries = await pub.xrevrange(
      this.#historyKey(room, "stream"),
      "+",
      "-",
      "COUNT",
      this.limits.historySize,
    );
    return entries.some(
      ([, fields]) => fields.includes("m") && fields[fields.indexOf("m") + 1] === tag,
    );
  }

  /** The room's pushes after `position`, if its stream still holds every one of them. */
  /**
   * What the room's history holds after `position`. Resumes from the same position at the same
   * time (a mass reconnect) share one read, when it holds every push this node delivered
   * before the caller asked (the caller, hearing the room, gets the later ones live).
   */
  async history(room: string, position: RoomPosition): Promise<HistoryRead> {
    const key = `${position.offset} ${position.epoch} ${room}`;
    const shared = this.#reads.get(key);
    const order = this.#order.get(room);
    if (shared !== undefined && order !== undefined && order.held === undefined) {
      const delivered = { epoch: order.epoch, offset: order.offset };
      const read = await shared.catch((): HistoryRead => ({ recovered: false }));
      const last = read.recovered ? (read.pushes.at(-1)?.offset ?? position.offset) : -1;
      if (read.recovered && delivered.epoch === position.epoch && delivered.offset <= last) {
        return read;
      }
    }
    const read = this.#history(room, position);
    this.#reads.set(key, read);
    const done = () => {
      if (this.#reads.get(key) === read) this.#reads.delete(key);
    };
    read.then(done, done);
    return read;
  }

  async #history(room: string, position: RoomPosition): Promise<HistoryRead> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return { recovered: false };
    const meta = await pub.hmget(this.#historyKey(room, "meta"), "e", "o");
    const [epoch, last] = [meta[0], Number(meta[1] ?? 0)];
    // `""`: the room had no history when the client began to hear it; it has every push since.
    const first = position.epoch === "" && position.offset === 0;
    if ((!first && epoch !== position.epoch) || position.offset > last) return { recovered: false };
    if (position.offset === last) return { recovered: true, pushes: [] };
    const pushes = await this.#read(pub, room, position.offset);
    if (pushes[0]?.offset !== position.offset + 1) return { recovered: false };
    return { recovered: true, pushes };
  }

  async command(command: ConnectionCommand): Promise<boolean> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return false;
    try {
      const inc = await pub.get(this.#key("conn", command.connectionId));
      if (inc === null || inc === this.incarnation) return false;
      const receivers = await pub.publish(this.#key("node", inc), JSON.stringify(command));
      publishClusterMessage(this.nodeId, "out", "command");
      return receivers > 0;
    } catch {
      return false;
    }
  }

  localMembers(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#members;
  }

  /**
   * Asks every incarnation whose heartbeat is live (this one answers in-process), each on its
   * own channel, and waits up to `timeoutMs` for the answers.
   */
  async ask(question: NodeQuestion, timeoutMs: number): Promise<NodeAnswer[]> {
    const own = this.#answer(question);
    const ownInTime = waitAtMost(own, timeoutMs);
    const pub = this.#pub;
    let others: string[] = [];
    if (pub !== undefined && pub.status === "ready") {
      const deadline = Date.now() - this.options.nodeTimeoutMs;
      const live = pub.zrangebyscore(this.#key("nodes"), deadline, "+inf");
      live.catch(() => undefined);
      if (await waitAtMost(live, timeoutMs)) {
        others = (await live.catch(() => [] as string[])).filter((inc) => inc !== this.incarnation);
      }
    }
    const id = randomUUID();
    let wake!: () => void;
    const settled = new Promise<void>((resolve) => (wake = resolve));
    const asking: Asking = { answers: new Map(), waiting: new Set(others), wake };
    this.#asking.set(id, asking);
    const timer = setTimeout(wake, timeoutMs);
    try {
      if (others.length > 0) {
        const payload = JSON.stringify({ kind: "ask", id, from: this.incarnation, question });
        for (const inc of others) {
          // Nobody subscribed to its channel (a node stopping): it will not answer.
          const silent = () => {
            if (asking.waiting.delete(inc) && asking.waiting.size === 0) wake();
          };
          void pub!.publish(this.#key("node", inc), payload).then((receivers) => {
            publishClusterMessage(this.nodeId, "out", "command");
            if (receivers === 0) silent();
          }, silent);
        }
        await settled;
      }
    } finally {
      clearTimeout(timer);
      this.#asking.delete(id);
    }
    const silent = (nodeId: string): NodeAnswer => ({ nodeId, status: "no answer" });
    const here = (await ownInTime) ? await own : silent(this.nodeId);
    return [here, ...others.map((inc) => asking.answers.get(inc) ?? silent(nodeIdOf(inc)))];
  }

  /** This node's answer to a question, from its listener. */
  async #answer(question: NodeQuestion): Promise<NodeAnswer> {
    const nodeId = this.nodeId;
    const answer = this.#listener?.answer;
    if (answer === undefined)
      return { nodeId, status: "error", error: "this node answers no questions" };
    try {
      return { nodeId, status: "ok", answer: await answer(question) };
    } catch (error) {
      return { nodeId, status: "error", error: String(error) };
    }
  }

  /** A node asked a question: the answer goes back on the asker's channel. */
  async #reply(id: string, from: string, question: NodeQuestion): Promise<void> {
    const answer = await this.#answer(question);
    await this.#pub
      ?.publish(
        this.#key("node", from),
        JSON.stringify({ kind: "answer", id, from: this.incarnation, answer }),
      )
      .then(() => publishClusterMessage(this.nodeId, "out", "command"))
      .catch(() => undefined);
  }

  #message(channel: string, payload: string): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    try {
      if (channel === this.#key("node", this.incarnation)) {
        publishClusterMessage(this.nodeId, "in", "command");
        const message = JSON.parse(payload) as
          | ConnectionCommand
          | { kind: "ask"; id: string; from: string; question: NodeQuestion }
          | { kind: "answer"; id: string; from: string; answer: NodeAnswer };
        if (message.kind === "ask") {
          void this.#reply(message.id, message.from, message.question);
        } else if (message.kind === "answer") {
          const asking = this.#asking.get(message.id);
          if (asking === undefined || !asking.waiting.delete(message.from)) return;
          asking.answers.set(message.from, message.answer);
          if (asking.waiting.size === 0) asking.wake();
        } else {
          listener.command(message);
        }
        return;
      }
      const { o, j, x, n, t } = JSON.parse(payload) as {
        o: string;
        j: string;
        x?: string;
        n?: number;
        t?: string;
      };
      if (o !== this.incarnation) {
        this.stats.received++;
        publishClusterMessage(this.nodeId, "in", "room");
      }
      const room = decodeURIComponent(channel.slice(this.#key("room", "").length));
      const except = x === undefined || x === "" ? undefined : x;
      // Keys only when set: a push keeps one shape (the history's) however it came.
      const base = except === undefined ? { json: j } : { json: j, except };
      const push = t === undefined ? base : { ...base, trace: JSON.parse(t) as TraceCarrier };
      if (n === undefined) listener.roomMessage({ room, ...push });
      else this.#deliver(room, { offset: n, ...push });
    } catch (error) {
      this.logger.warn("a malformed cluster message was ignored", { error: String(error) });
    }
  }

  /**
   * Delivers a room's messages in offset order: a duplicate is dropped, a gap is filled from the
   * room's history first (messages arriving meanwhile wait behind it).
   */
  #deliver(room: string, push: PositionedPush): void {
    let order = this.#order.get(room);
    const epoch = positionOf(push.json)?.epoch ?? "";
    if (order !== undefined && order.epoch === "" && order.held === undefined) {
      // The room had no history when this node began to hear it: this is its epoch.
      this.#order.set(room, (order = { epoch, offset: order.offset, held: undefined }));
    }
    if (order === undefined || order.epoch !== epoch) {
      // The first message this node hears in the room (or in its new history) starts the count.
      this.#order.set(room, { epoch, offset: push.offset, held: undefined });
      this.#emit(room, push);
      return;
    }
    if (order.held !== undefined) {
      order.held.push(push);
    } else if (push.offset === order.offset + 1) {
      order.offset = push.offset;
      this.#emit(room, push);
    } else if (push.offset > order.offset + 1) {
      order.held = [push];
      this.#fill(room);
    }
  }

  /**
   * Reads what the room's history holds past the last offset delivered (up to `until`, the
   * offset this node knows exists), then delivers it and what was held, in order.
   */
  #fill(room: string, until?: number): void {
    const order = this.#order.get(room);
    const pub = this.#pub;
    if (order === undefined) {
      if (until === undefined || pub === undefined) return;
      // Nothing heard yet in this room: start from the message just published.
      void this.#read(pub, room, until - 1)
        .then((pushes) => {
          for (const push of pushes) if (push.offset === until) this.#deliver(room, push);
        })
        .catch(() => undefined);
      return;
    }
    order.held ??= [];
    const from = order.offset;
    const read = pub === undefined ? Promise.resolve([]) : this.#read(pub, room, from);
    void read
      .catch((error: unknown) => {
        this.logger.debug("redis history read failed", { room, error: String(error) });
        return [] as PositionedPush[];
      })
      .then((pushes) => {
        if (this.#order.get(room) !== order) return;
        const held = order.held ?? [];
        order.held = undefined;
        const arrived = new Set(held.map((push) => push.offset));
        for (const push of [...pushes, ...held].sort((a, b) => a.offset - b.offset)) {
          if (push.offset <= order.offset) continue;
          if (!arrived.has(push.offset)) this.stats.filled++;
          if (push.offset > order.offset + 1) {
            this.logger.warn("room messages lost: past the room's history", {
              room,
              from: order.offset + 1,
              to: push.offset - 1,
            });
          }
          order.offset = push.offset;
          this.#emit(room, push);
        }
      });
  }

  /** A room's pushes after `offset`, from its stream. */
  async #read(pub: Redis, room: string, offset: number): Promise<PositionedPush[]> {
    const entries = await pub.xrange(this.#historyKey(room, "stream"), `${offset + 1}-0`, "+");
    return entries.map(([id, fields]) => {
      const json = fields[fields.indexOf("j") + 1]!;
      const except = fields[fields.indexOf("x") + 1];
      const push = { offset: Number(id.slice(0, id.indexOf("-"))), json };
      return except === undefined || except === "" ? push : { ...push, except };
    });
  }

  #emit(room: string, push: PositionedPush): void {
    this.#listener?.roomMessage({ room, ...push });
  }

  /** Sets each room's delivery order at its history's current position (a new room: 0). */
  async #baselines(rooms: readonly string[]): Promise<void> {
    const pub = this.#pub;
    if (rooms.length === 0 || pub === undefined || pub.status !== "ready") return;
    const multi = pub.multi();
    for (const room of rooms) multi.hmget(this.#historyKey(room, "meta"), "e", "o");
    const replies = (await multi.exec()) ?? [];
    rooms.forEach((room, i) => {
      const [error, meta] = replies[i] ?? [];
      if (error || this.#order.has(room) || !this.#interest.has(room)) return;
      const [epoch, offset] = meta as [string | null, string | null];
      this.#order.set(room, { epoch: epoch ?? "", offset: Number(offset ?? 0), held: undefined });
    });
  }

  /** Whether a node incarnation still beats. */
  async #alive(holder: string): Promise<boolean> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return false;
    const score = await pub.zscore(this.#key("nodes"), holder);
    return score !== null && Number(score) >= Date.now() - this.options.nodeTimeoutMs;
  }

  /** Brings the subscriptions in line with the rooms this node holds (net of a tick's churn). */
  async #resubscribe(): Promise<void> {
    const sub = this.#sub;
    if (sub === undefined || this.#stopping) return;
    const wanted = new Set([...this.#interest].map((room) => this.#key("room", room)));
    wanted.add(this.#key("node", this.incarnation));
    if (sub.status !== "ready") return; // "ready" runs this again
    const current = this.#subscribed;
    const add = [...wanted].filter((c) => !current.has(c));
    const remove = [...current].filter((c) => !wanted.has(c));
    try {
      // Where each newly heard room's history stands before the subscription starts: what is
      // published until the subscription is active is then read from the history, not lost.
      const rooms = [...this.#interest].filter(
        (room) => !this.#order.has(room) && add.includes(this.#key("room", room)),
      );
      await this.#baselines(rooms);
      if (add.length > 0) await sub.subscribe(...add);
      if (remove.length > 0) await sub.unsubscribe(...remove);
      this.#subscribed = wanted;
      for (const room of rooms) if (this.#order.has(room)) this.#fill(room);
    } catch (error) {
      this.logger.debug("redis subscribe failed; retried on reconnect", { error: String(error) });
    }
  }

  async #tick(): Promise<void> {
    await this.#heartbeat(false);
    await this.#keepHistories();
    await this.#reapDead();
  }

  /**
   * A room's epoch and offset expire `windowMs` after its last message; while this node hears
   * the room they are kept, so a quiet room's members can still resume it.
   */
  async #keepHistories(): Promise<void> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready" || this.#interest.size === 0) return;
    const multi = pub.multi();
    for (const room of this.#interest) {
      multi.pexpire(this.#historyKey(room, "meta"), this.limits.windowMs);
      multi.pexpire(this.#historyKey(room, "stream"), this.limits.windowMs);
    }
    await multi.exec().catch(() => undefined);
  }

  /** Says this incarnation is alive; if it had been reaped (a long outage), puts it all back. */
  async #heartbeat(first: boolean): Promise<void> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready" || this.#stopping) return;
    try {
      const added = await pub.zadd(this.#key("nodes"), Date.now(), this.incarnation);
      if (!first && Number(added) === 1) await this.#reassert();
    } catch (error) {
      this.logger.debug("redis heartbeat failed", { error: String(error) });
    }
  }

  /** Writes this node's whole state again (after a reconnect, or after being reaped). */
  async #reassert(): Promise<void> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready" || this.#stopping) return;
    const multi = pub.multi().zadd(this.#key("nodes"), Date.now(), this.incarnation);
    for (const [room, ids] of this.#members) {
      if (ids.size === 0) continue;
      multi
        .sadd(this.#roomKey(room, this.incarnation), ...ids)
        .sadd(this.#key("room", room, "incs"), this.incarnation)
        .sadd(this.#key("inc", this.incarnation, "rooms"), room);
    }
    for (const id of this.#connections) {
      multi
        .set(this.#key("conn", id), this.incarnation)
        .sadd(this.#key("inc", this.incarnation, "conns"), id);
    }
    await multi
      .exec()
      .catch((error: unknown) =>
        this.logger.debug("redis reassert failed", { error: String(error) }),
      );
  }

  /** A node restarted with the same id does not keep its predecessor's members alive. */
  async #reapPredecessors(): Promise<void> {
    const incs = await this.#pub!.zrange(this.#key("nodes"), "0", "-1");
    for (const inc of incs) {
      if (inc !== this.incarnation && inc.startsWith(`${this.nodeId}#`)) await this.#reap(inc);
    }
  }

  async #reapDead(): Promise<void> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready" || this.#stopping) return;
    try {
      const deadline = Date.now() - this.options.nodeTimeoutMs;
      const dead = await pub.zrangebyscore(this.#key("nodes"), "-inf", deadline, "LIMIT", 0, 20);
      for (const inc of dead) if (inc !== this.incarnation) await this.#reap(inc);
    } catch (error) {
      this.logger.debug("redis reap failed", { error: String(error) });
    }
  }

  /** Removes a dead incarnation's members (one node wins the lock) and announces them leaving. */
  async #reap(inc: string): Promise<void> {
    const pub = this.#pub!;
    const lock = await pub.set(this.#key("reap", inc), this.incarnation, "PX", 60_000, "NX");
    if (lock !== "OK") return;
    const rooms = await pub.smembers(this.#key("inc", inc, "rooms"));
    const left: Array<[string, string[]]> = [];
    for (const room of rooms) left.push([room, await pub.smembers(this.#roomKey(room, inc))]);
    await this.#forget(inc);
    this.stats.reaped++;
    this.logger.info("reaped a dead node", { incarnation: inc, rooms: rooms.length });
    for (const [room, ids] of left) {
      // A session already resumed on a live node did not leave.
      const holders =
        ids.length === 0 ? [] : await pub.mget(...ids.map((id) => this.#key("conn", id)));
      const gone = ids.filter((_, i) => holders[i] === null || holders[i] === inc);
      if (gone.length > 0) this.#listener?.membersReaped(room, gone);
    }
  }

  /** Deletes everything an incarnation wrote. */
  async #forget(inc: string): Promise<void> {
    const pub = this.#pub!;
    const rooms = await pub.smembers(this.#key("inc", inc, "rooms"));
    const conns = await pub.smembers(this.#key("inc", inc, "conns"));
    const multi = pub.multi();
    for (const room of rooms) {
      multi.del(this.#roomKey(room, inc)).srem(this.#key("room", room, "incs"), inc);
    }
    for (const id of conns) multi.del(this.#key("conn", id));
    multi
      .del(this.#key("inc", inc, "rooms"), this.#key("inc", inc, "conns"))
      .zrem(this.#key("nodes"), inc);
    await multi.exec();
  }

  /** Runs a write if Redis is there; otherwise the local state is re-asserted on reconnect. */
  async #write(write: (pub: Redis) => Promise<unknown>): Promise<void> {
    const pub = this.#pub;
    if (pub === undefined || pub.status !== "ready") return;
    await write(pub).catch((error: unknown) =>
      this.logger.debug("redis write failed; re-asserted on reconnect", { error: String(error) }),
    );
  }

  #key(...parts: string[]): string {
    // Names (rooms, ids) are encoded, so a ":" in one cannot collide with the key's structure.
    return (
      this.options.keyPrefix + parts.map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join(":")
    );
  }

  /** A room's history keys: the room in a hash tag, so both share one Redis Cluster slot. */
  #historyKey(room: string, part: "meta" | "stream"): string {
    return `${this.options.keyPrefix}hist:{${encodeURIComponent(room)}}:${part}`;
  }

  #roomKey(room: string, inc: string): string {
    return this.#key("room", room, "inc", inc);
  }
}

/** A question this node asked (see {@link RedisClusterBus.ask}). */
interface Asking {
  /** By incarnation. */
  readonly answers: Map<string, NodeAnswer>;
  /** The incarnations that have not answered yet. */
  readonly waiting: Set<string>;
  /** Called when the last one answered. */
  readonly wake: () => void;
}

/** The node id of an incarnation (`<nodeId>#<uuid>`). */
function nodeIdOf(incarnation: string): string {
  const hash = incarnation.lastIndexOf("#");
  return hash < 0 ? incarnation : incarnation.slice(0, hash);
}

function ready(client: Redis): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("end", () => reject(new Error("redis connection ended before it was ready")));
  });
}
