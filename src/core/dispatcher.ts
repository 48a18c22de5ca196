import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "./tokens.js";
import type { ActionMiddleware } from "./actions/action-middleware.js";
import type { ActionRegistry } from "./actions/action-registry.js";
import type { ClusterBus } from "./cluster-bus.js";
import { type ActionReply, ActionRunner } from "./actions/action-runner.js";
import { Admission } from "./admission.js";
import type { ResolvedConfig } from "./config.js";
import { Connection, type ConnectionInfo, requestTag } from "./connection.js";
import type { ConnectionTable, GoodbyeReason } from "./connection-table.js";
import { ActionwireError } from "./errors.js";
import {
  publishConnectionClose,
  publishConnectionOpen,
  publishError,
  publishMessageReceived,
} from "./instrumentation.js";
import {
  type InboundRequest,
  type MessageId,
  parseInboundText,
  toInboundRequest,
} from "./inbound-request.js";
import type { Logger } from "./logger.js";
import { PreparedMessage, type ServerMessage } from "./prepared-message.js";
import type { ReplyFn } from "./realtime-transport.js";
import type { RemoteControl } from "./remote-control.js";
import { waitAtMost } from "./wait-at-most.js";
import type { RoomManager } from "./rooms/room-manager.js";
import { HELLO_VERB } from "./sessions/hello.js";
import type { SessionStore } from "./sessions/session-store.js";
import { Sessions } from "./sessions/sessions.js";
import {
  checkDeclared,
  VERB_TABLE,
  type VerbContext,
  type VerbEntry,
  type VerbReply,
} from "./verb-handlers.js";

/**
 * The protocol-neutral pipeline: every frame a transport hands in is counted, checked (size,
 * rate, shape, verb), run by its verb's handler and answered exactly as PROTOCOL.md says.
 * A connection that is closing or closed acts no more: nothing it sent after its quit, or
 * after the server decided to close it, runs.
 */
@injectable()
export class Dispatcher {
  /** The verbs each transport may use, for transports `allowedVerbs` names. */
  readonly #allowedVerbs = new Map<string, ReadonlySet<string>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #runner: ActionRunner;
  readonly #admission: Admission;
  readonly #verbs: VerbContext;
  readonly #sessions: Sessions;
  /** Parked sessions being written, for a stop to wait for. */
  readonly #parking = new Set<Promise<unknown>>();
  #draining = false;

  constructor(
    @inject(TOKENS.Config) private readonly config: ResolvedConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.ConnectionTable) private readonly table: ConnectionTable,
    @inject(TOKENS.RoomManager) private readonly rooms: RoomManager,
    @inject(TOKENS.ActionRegistry) private readonly actions: ActionRegistry,
    @inject(TOKENS.ActionMiddleware) middleware: readonly ActionMiddleware[],
    @inject(TOKENS.ClusterBus) private readonly bus: ClusterBus,
    @inject(TOKENS.RemoteControl) remote: RemoteControl,
    @inject(TOKENS.SessionStore) sessions: SessionStore,
  ) {
    for (const [transport, verbs] of Object.entries(config.allowedVerbs)) {
      this.#allowedVerbs.set(transport, new Set(verbs));
    }
    this.#runner = new ActionRunner(config, logger, actions, middleware, (id, message, extra) =>
      this.track(
        remote.send({ kind: "alert", connectionId: id, message, extra }),
        "sending an alert",
      ),
    );
    this.#sessions = new Sessions(config, logger, table, rooms, sessions);
    this.#sessions.onHandover = (connectionId) => bus.command({ kind: "handover", connectionId });
    this.#admission = new Admission(config, logger, table, rooms, this.#sessions);
    this.#admission.onRegister = (connection) => bus.addConnection(connection.id);
    this.#verbs = { config, rooms, actions, runner: this.#runner };
  }

  /**
   * A transport accepted a connection: its record is made (`opening`) and admitted once the
   * current task is over (see {@link Admission.admit}).
   */
  accept(transport: string, info: ConnectionInfo): Connection {
    const connection = new Connection(transport, info, this.config.limits.rate);
    this.table.add(connection);
    publishConnectionOpen(this.config.nodeId, connection);
    this.track(this.#admission.admit(connection), "admitting a connection");
    return connection;
  }

  /** `config.authenticate` for a caller that is not a socket (HTTP actions). */
  judge(connection: Connection): Promise<{ accepted: boolean; message: string }> {
    return this.#admission.judge(connection);
  }

  /**
   * Its transport let the connection go: it is closed. Without a session (or when the session
   * ends: a quit, a close the server decided) it leaves its rooms and its actions abort. A
   * session whose socket merely dropped is parked instead: its rooms and running actions stay
   * for a resume. A session taken by a newer socket leaves nothing behind.
   */
  connectionClosed(connection: Connection): void {
    connection.hello?.receive(undefined);
    if (!this.table.remove(connection)) return;
    publishConnectionClose(this.config.nodeId, connection);
    this.#admission.release(connection);
    const handedOver = connection.handedOver;
    if (handedOver !== undefined) {
      this.track(this.rooms.detach(connection), "letting a session go");
      if (handedOver === "remote") {
        const room = connection.room;
        if (room !== null)
          this.track(this.rooms.leaveDetached(room, connection.id, false), "letting a session go");
        this.#unregister(connection);
      }
      return;
    }
    if (connection.session !== undefined && parks(connection.endReason)) {
      const parked = this.#sessions.park(connection);
      this.#parking.add(parked);
      const done = () => this.#parking.delete(parked);
      parked.then(done, done);
      this.track(parked, "keeping a dropped session");
      this.#unregister(connection);
      return;
    }
    for (const call of connection.running ?? []) {
      call.abort(new ActionwireError("ERR_ACTION_FAILED", "the connection closed"));
    }
    this.track(this.rooms.drop(connection), "leaving rooms");
    if (connection.session !== undefined)
      this.track(this.#sessions.end(connection), "ending a session");
    this.#unregister(connection);
  }

  #unregister(connection: Connection): void {
    if (!connection.registered) return;
    connection.registered = false;
    this.track(this.bus.removeConnection(connection.id), "unregistering a connection");
  }

  /** A frame arrived. A binary frame (a `Buffer`) is counted and refused: the protocol is text. */
  receiveText(connection: Connection, data: string | Buffer, reply?: ReplyFn): void {
    const limit = this.config.limits.maxMessageBytes;
    // A JS string takes at most 3 UTF-8 bytes per UTF-16 unit: short text skips the count.
    const size =
      typeof data !== "string"
        ? data.length
        : data.length * 3 <= limit
          ? 0
          : Buffer.byteLength(data);
    this.receive(connection, reply, size, data);
  }

  receiveRequest(connection: Connection, raw: unknown, reply?: ReplyFn): void {
    this.receive(connection, reply, 0, undefined, raw);
  }

  /**
   * A frame over the limit that the transport cannot take in (a tcp line): it counts, gets
   * `ERR_MESSAGE_TOO_LARGE`, then the goodbye (`message too large`) and the close.
   */
  frameTooLarge(connection: Connection): void {
    if (!connection.open) return;
    const count = ++connection.messageCount;
    this.answer(connection, count, undefined, undefined, this.tooLarge());
    this.table.close(connection, "message too large");
  }

  /**
   * Ends a connection of this node from the server side (the goodbye, then the close). At a
   * shutdown the goodbye says when to come back (`reconnectAfterMs`, spread at random).
   */
  close(connection: Connection, reason: GoodbyeReason): boolean {
    if (reason !== "server shutdown") return this.table.close(connection, reason);
    const reconnectAfterMs = Math.floor(Math.random() * (this.config.resume.shutdownSpreadMs + 1));
    return this.table.close(connection, reason, undefined, { reconnectAfterMs });
  }

  /** After the transports stopped: waits for dropped sessions to be written, ends the graces. */
  async stop(timeoutMs: number): Promise<void> {
    await waitAtMost(Promise.allSettled([...this.#parking]), timeoutMs);
    await this.#sessions.stop();
  }

  /**
   * Stops taking requests (`ERR_SHUTTING_DOWN`) and waits, at most `timeoutMs`, for the work in
   * flight (actions, room moves) to finish.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    const deadline = performance.now() + timeoutMs;
    // Work settling may start more (a quit's goodbye after its replies): wait for that too.
    while (this.#pending.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0 || !(await waitAtMost(Promise.allSettled([...this.#pending]), left))) break;
    }
  }

  /**
   * Runs an action for a caller that is not a socket (HTTP actions): the same checks, limits,
   * middleware and deadline, for a connection of the caller's making. Resolves with the flat
   * result; rejects with an {@link ActionwireError}.
   */
  async callAction(connection: Connection, params: Record<string, unknown>): Promise<ActionReply> {
    if (this.#draining) {
      throw new ActionwireError("ERR_SHUTTING_DOWN", "the server is shutting down");
    }
    const outcome = this.#runner.run(connection, params);
    if (outcome instanceof Promise) this.track(outcome, "an HTTP action");
    return outcome;
  }

  /** The `documentation` verb's data. */
  documentation(): ReturnType<ActionRegistry["documentation"]> {
    return this.actions.documentation();
  }

  /**
   * Counts the frame, then checks size, rate and shape before any work is done. A request
   * answered synchronously (most verbs, synchronous actions) costs no promise and no timer.
   * A closing or closed connection's frames are not even counted: they are dropped.
   */
  private receive(
    connection: Connection,
    reply: ReplyFn | undefined,
    size: number,
    text: string | Buffer | undefined,
    raw?: unknown,
  ): void {
    if (!connection.open) return;
    publishMessageReceived(this.config.nodeId, connection.transport);
    if (connection.hello !== undefined) {
      this.#hello(connection, size, text, raw);
      return;
    }
    const count = ++connection.messageCount;
    if (size > this.config.limits.maxMessageBytes) {
      this.answer(connection, count, undefined, reply, this.tooLarge());
      return;
    }
    if (!connection.rate.take()) {
      const error = new ActionwireError("ERR_RATE_LIMITED", "too many messages");
      this.answer(connection, count, undefined, reply, error);
      if (connection.rate.limitedFor() >= this.config.limits.rateAbuseMs) {
        this.table.close(connection, "rate limit");
      }
      return;
    }
    let request: InboundRequest;
    try {
      const maxDepth = this.config.limits.maxDepth;
      if (text === undefined) request = toInboundRequest(raw, maxDepth);
      else if (typeof text === "string") request = parseInboundText(text, maxDepth);
      else
        throw new ActionwireError("ERR_BAD_MESSAGE", "bad message: binary frames are not accepted");
    } catch (error) {
      this.answer(connection, count, undefined, reply, error);
      return;
    }
    const { event, params, messageId } = request;
    if (request.ack !== undefined) this.#sessions.acknowledge(connection, request.ack);
    if (this.#draining) {
      const error = new ActionwireError("ERR_SHUTTING_DOWN", "the server is shutting down");
      this.answer(connection, count, messageId, reply, error);
      return;
    }
    const allowed =
      this.#allowedVerbs.size === 0 ? undefined : this.#allowedVerbs.get(connection.transport);
    const verb = VERB_TABLE.get(event);
    if (verb === undefined || (allowed !== undefined && !allowed.has(event))) {
      const error = new ActionwireError("ERR_UNKNOWN_VERB", `${event} is not a known verb`);
      this.answer(connection, count, messageId, reply, error);
      return;
    }
    if (verb.handler === undefined) {
      this.quit(connection);
      return;
    }
    const pending: Pending = { connection, verb, params, count, messageId, reply };
    const admission = connection.admission;
    if (admission === undefined) {
      this.perform(pending);
      return;
    }
    // Turned away, or gone meanwhile: what it sent while it waited never runs.
    const work = admission.then(
      (admitted) => (admitted && connection.state !== "closed" ? this.perform(pending) : undefined),
      (error: unknown) => this.answer(connection, count, messageId, reply, error),
    );
    this.follow(pending, work);
  }

  /**
   * The first frame of a connection that announced a hello: its params go to admission, which
   * closes the connection if it is not a hello. Not counted, never answered.
   */
  #hello(
    connection: Connection,
    size: number,
    text: string | Buffer | undefined,
    raw: unknown,
  ): void {
    const waiting = connection.hello!;
    connection.hello = undefined;
    let params: Record<string, unknown> | undefined;
    try {
      if (size > this.config.limits.maxMessageBytes || Buffer.isBuffer(text))
        throw new Error("not a hello");
      const request =
        text === undefined
          ? toInboundRequest(raw, this.config.limits.maxDepth)
          : parseInboundText(text, this.config.limits.maxDepth);
      if (request.event === HELLO_VERB) params = request.params;
    } catch {
      params = undefined;
    }
    waiting.receive(params);
  }

  /**
   * The connection is closing from now on (what it sends next is dropped); the requests that
   * came before get their replies first, then the goodbye.
   */
  private quit(connection: Connection): void {
    connection.state = "closing";
    connection.endReason = "quit";
    const earlier = [...(connection.inflight ?? [])];
    const goodbye = () => this.table.sayGoodbye(connection, "quit");
    this.track(Promise.allSettled(earlier).then(goodbye), "quitting");
  }

  /**
   * Runs a request of a session once: a request already answered (re-sent after a resume) gets
   * its recorded reply; one still running gets its reply when it ends; one whose outcome died
   * with its node gets `ERR_OUTCOME_UNKNOWN` (unless it may run twice); the others run, and
   * their replies are recorded.
   */
  private performOnce(request: Pending, key: MessageId): Promise<unknown> | undefined {
    const { connection, count, messageId, reply } = request;
    if (!this.#sessions.known(connection, key)) {
      // The usual case, a request never seen: it runs now (after its mark, if it needs one).
      request.key = key;
      if (this.#sessions.marks && !this.#rerunnable(request)) {
        this.#running(request);
        const marked = this.#sessions.mark(connection, key);
        return this.follow(
          request,
          marked.then(() => this.perform(request)),
        );
      }
      const work = this.perform(request);
      // Not answered yet: a copy re-sent meanwhile waits for its reply.
      if (work !== undefined) this.#running(request);
      return work;
    }
    const work = this.#sessions.earlier(connection, key).then(async (earlier) => {
      if (earlier === undefined || (earlier === "unknown" && this.#rerunnable(request))) {
        request.key = key;
        this.#running(request);
        if (this.#sessions.marks && !this.#rerunnable(request)) {
          await this.#sessions.mark(connection, key);
        }
        return this.perform(request);
      }
      if (earlier === "unknown" && request.verb.verb === "say" && connection.room !== null) {
        // A say's only effect is its push, which is in the room's history if it happened.
        request.key = key;
        this.#running(request);
        const tag = requestTag(connection.id, key);
        const published = await this.bus.published?.(connection.room, tag).catch(() => false);
        if (published !== true) {
          await this.#sessions.mark(connection, key);
          return this.perform(request);
        }
        this.answer(connection, count, messageId, reply, { status: "OK" }, request);
        return undefined;
      }
      if (earlier === "unknown") {
        const error = new ActionwireError(
          "ERR_OUTCOME_UNKNOWN",
          "the request started on a node that stopped before it answered: it may or may not have taken effect",
        );
        this.answer(connection, count, messageId, reply, error);
        return undefined;
      }
      if (connection.state === "closed") return undefined;
      const message = PreparedMessage.fromJson(earlier);
      if (reply !== undefined) reply(message);
      else this.table.sendTo(connection.id, message);
      return undefined;
    });
    return this.follow(request, work);
  }

  /** A session's request that is not answered in the same call: a re-sent copy waits for it. */
  #running(request: Pending): void {
    request.running = true;
    this.#sessions.running(request.connection, request.key!);
  }

  /**
   * A session's request is answered: its reply is recorded, and, for a verb that changes what
   * the session keeps (its rooms, params, or `data` through an action), so is the session.
   */
  #settle(request: Pending, json: string): void {
    this.#sessions.settle(request.connection, request.key!, json, request.running === true);
    if (SESSION_VERBS.has(request.verb.verb)) this.#sessions.changed(request.connection);
  }

  /** Running it again is safe: every verb but `say` and actions not declared `idempotent`. */
  #rerunnable(request: Pending): boolean {
    if (request.verb.verb === "say") return false;
    if (request.verb.verb !== "action") return true;
    return this.actions.get(String(request.params.action))?.idempotent === true;
  }

  /** Runs a verb; answers at once if it is synchronous, else when it settles. */
  private perform(request: Pending): Promise<unknown> | undefined {
    const { connection, verb, params, count, messageId, reply } = request;
    if (connection.session !== undefined && messageId !== undefined && request.key === undefined) {
      return this.performOnce(request, messageId);
    }
    let outcome: VerbReply | Promise<VerbReply>;
    try {
      checkDeclared(verb.params, params);
      // Read by the verb before its first await: what it publishes is marked as this request's.
      connection.requestKey = request.key;
      outcome = verb.handler!(this.#verbs, connection, params as never, params);
      connection.requestKey = undefined;
    } catch (error) {
      connection.requestKey = undefined;
      this.answer(connection, count, messageId, reply, error, sessionOf(request));
      return undefined;
    }
    const session = sessionOf(request);
    if (!(outcome instanceof Promise)) {
      this.answer(connection, count, messageId, reply, outcome, session);
      return undefined;
    }
    const answer = (result: unknown) =>
      this.answer(connection, count, messageId, reply, result, session);
    return this.follow(request, outcome.then(answer, answer));
  }

  /** Keeps an asynchronous request in the connection's in-flight set until it is answered. */
  private follow(request: Pending, work: Promise<unknown>): Promise<unknown> {
    const inflight = (request.connection.inflight ??= new Set());
    inflight.add(work);
    const done = () => inflight.delete(work);
    work.then(done, done);
    this.track(work, `handling ${request.verb.verb}`);
    return work;
  }

  private tooLarge(): ActionwireError {
    const limit = this.config.limits.maxMessageBytes;
    return new ActionwireError(
      "ERR_MESSAGE_TOO_LARGE",
      `the message is larger than the limit of ${limit} bytes`,
    );
  }

  /**
   * Sends the reply (or error) to one request. A request under way when its connection began
   * closing is still answered (a quit waits for it); one of a closed connection is not, but a
   * session's request (`session`) still has its reply recorded.
   */
  private answer(
    connection: Connection,
    count: number,
    messageId: string | number | undefined,
    reply: ReplyFn | undefined,
    outcome: unknown,
    session?: Pending,
  ): void {
    if (connection.state === "closed" && session === undefined) return;
    const message: ServerMessage = { context: "response", messageCount: count };
    if (messageId !== undefined) message.messageId = messageId;
    if (outcome instanceof Error) {
      const error =
        outcome instanceof ActionwireError
          ? outcome
          : new ActionwireError("ERR_ACTION_FAILED", "the request failed", { cause: outcome });
      if (error !== outcome) this.logger.error("request failed", { error: String(outcome) });
      publishError(this.config.nodeId, connection, error);
      message.status = error.message;
      message.error = error.message;
      message.code = error.code;
    } else if (outcome !== undefined) {
      Object.assign(message, outcome);
    }
    const prepared = PreparedMessage.fromPayload(message);
    if (session !== undefined) {
      // A session's reply is kept (for a request re-sent after a resume), even when its socket
      // is already gone.
      this.#settle(session, prepared.json);
      if (connection.state === "closed") return;
    }
    if (reply !== undefined) reply(prepared);
    else this.table.sendTo(connection.id, prepared);
  }

  /** Keeps a promise in the drain set and logs its failure (it never rejects unhandled). */
  private track(work: Promise<unknown>, what: string): void {
    const tracked: Promise<void> = work.then(
      () => void this.#pending.delete(tracked),
      (error: unknown) => {
        this.#pending.delete(tracked);
        this.logger.error(`failed ${what}`, { error: String(error) });
      },
    );
    this.#pending.add(tracked);
  }
}

/** The verbs that change what a session keeps (its record is written after them). */
const SESSION_VERBS: ReadonlySet<string> = new Set([
  "action",
  "roomChange",
  "listenToRoom",
  "silenceRoom",
  "paramAdd",
  "paramDelete",
  "paramsDelete",
]);

/**
 * Whether a session whose connection ended this way stays for a resume: a socket that dropped,
 * a shutdown, a liveness timeout or a slow consumer (the client comes back); not a quit or a
 * close the server decided for good.
 */
function parks(reason: string | undefined): boolean {
  return (
    reason === undefined ||
    reason === "server shutdown" ||
    reason === "timeout" ||
    reason === "slow consumer"
  );
}

/** A request waiting for its verb to run. */
interface Pending {
  readonly connection: Connection;
  readonly verb: VerbEntry;
  readonly params: Record<string, unknown>;
  readonly count: number;
  readonly messageId: string | number | undefined;
  readonly reply: ReplyFn | undefined;
  /** A session's request: its `messageId`, under which its reply is recorded. */
  key?: MessageId;
  /** A session's request that was not answered in the call that ran it (see Sessions.running). */
  running?: boolean;
}

/** The request itself if it is a session's (its reply is recorded), else `undefined`. */
function sessionOf(request: Pending): Pending | undefined {
  return request.key === undefined ? undefined : request;
}
