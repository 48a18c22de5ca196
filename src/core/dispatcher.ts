import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "./tokens.js";
import type { ActionMiddleware } from "./actions/action-middleware.js";
import type { ActionRegistry } from "./actions/action-registry.js";
import type { ClusterBus, ConnectionCommand } from "./cluster-bus.js";
import { type Abortable, type ActionReply, ActionRunner } from "./actions/action-runner.js";
import type { ResolvedConfig } from "./config.js";
import { Connection, type ConnectionInfo } from "./connection.js";
import type { ConnectionTable } from "./connection-table.js";
import { ActionwireError, type ErrorCode } from "./errors.js";
import { type InboundRequest, parseInboundText, toInboundRequest } from "./inbound-request.js";
import type { Logger } from "./logger.js";
import { PreparedMessage, type ServerMessage } from "./prepared-message.js";
import type { ReplyFn } from "./realtime-transport.js";
import type { RoomManager } from "./rooms/room-manager.js";
import { TokenBucket } from "./token-bucket.js";
import { isVerb, type Verb } from "./verbs.js";

/** Why the server closed a connection (the goodbye push's `reason`). */
export type GoodbyeReason =
  | "quit"
  | "server shutdown"
  | "disconnected by server"
  | "timeout"
  | "rate limit"
  | "slow consumer"
  | "message too large"
  | "not authorized"
  | "too many connections";

type Reply = Omit<ServerMessage, "context"> | undefined;

/**
 * What the dispatcher keeps per open connection: its rate (it is the connection's token
 * bucket, one object instead of two), its verbs, its admission, its work in flight.
 */
class ConnectionState extends TokenBucket {
  /** Set while the connection is being admitted: its requests wait for it. */
  joining: Promise<void> | undefined = undefined;
  /** Its asynchronous actions still running, aborted when it closes (made on first use). */
  running: Set<Abortable> | undefined = undefined;
  /** Its requests still being answered asynchronously, for a quit to wait for (ditto). */
  inflight: Set<Promise<unknown>> | undefined = undefined;

  constructor(
    rate: number,
    /** The verbs its transport may use; `undefined`: all. */
    readonly allowed: ReadonlySet<string> | undefined,
  ) {
    super(rate);
  }
}

/**
 * The protocol-neutral heart: every verb of PROTOCOL.md, every error code, the replies exactly
 * as specified. Transports hand it connections and frames through the `TransportHost` methods.
 */
@injectable()
export class Dispatcher {
  readonly #states = new Map<string, ConnectionState>();
  /** Open connections per remote address (for `limits.maxConnectionsPerIP`). */
  readonly #perIP = new Map<string, number>();
  readonly #allowedVerbs = new Map<string, ReadonlySet<string>>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #runner: ActionRunner;
  #draining = false;

  constructor(
    @inject(TOKENS.Config) private readonly config: ResolvedConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.ConnectionTable) private readonly table: ConnectionTable,
    @inject(TOKENS.RoomManager) private readonly rooms: RoomManager,
    @inject(TOKENS.ActionRegistry) private readonly actions: ActionRegistry,
    @inject(TOKENS.ActionMiddleware) private readonly middleware: readonly ActionMiddleware[],
    @inject(TOKENS.ClusterBus) private readonly bus: ClusterBus,
  ) {
    for (const [transport, verbs] of Object.entries(config.allowedVerbs)) {
      this.#allowedVerbs.set(transport, new Set(verbs));
    }
    this.#runner = new ActionRunner(config, logger, actions, middleware, (id, message, extra) =>
      this.track(
        this.command({ kind: "alert", connectionId: id, message, extra }),
        "sending an alert",
      ),
    );
  }

  createConnection(transport: string, info: ConnectionInfo): Connection {
    const connection = new Connection(transport, info);
    this.table.add(connection);
    this.#perIP.set(connection.remoteIP, (this.#perIP.get(connection.remoteIP) ?? 0) + 1);
    const allowed = this.#allowedVerbs.get(transport);
    this.#states.set(connection.id, new ConnectionState(this.config.limits.rate, allowed));
    this.track(this.bus.addConnection(connection.id), "registering a connection");
    return connection;
  }

  /**
   * Lets a new connection in: the connection limits, then `authenticate` (either may turn it
   * away with a coded goodbye), then the welcome, then the default room. The default room is
   * authorized like any other join; refused, the connection starts in no room (the welcome
   * says `room: null`). The connection's requests wait until this is done.
   */
  admit(connection: Connection): void {
    const state = this.#states.get(connection.id);
    const admitted = this.enter(connection).finally(() => {
      if (state !== undefined) state.joining = undefined;
    });
    if (state !== undefined) state.joining = admitted;
    this.track(admitted, "admitting a connection");
  }

  private async enter(connection: Connection): Promise<void> {
    const { maxConnections, maxConnectionsPerIP } = this.config.limits;
    const fromIP = this.#perIP.get(connection.remoteIP) ?? 0;
    if (
      this.table.size > maxConnections ||
      (maxConnectionsPerIP > 0 && fromIP > maxConnectionsPerIP)
    ) {
      this.refuse(
        connection,
        "too many connections",
        "ERR_TOO_MANY_CONNECTIONS",
        "too many connections",
      );
      return;
    }
    if (!(await this.authenticate(connection))) return;
    let room = this.config.defaultRoom;
    if (room !== null) {
      try {
        await this.rooms.authorize("join", connection, room);
      } catch (error) {
        // Refused, or the hook failed: either way the connection starts in no room.
        if (!(error instanceof ActionwireError)) {
          this.logger.error("authorizing the default room failed", { error: String(error) });
        }
        room = null;
      }
    }
    this.push(connection.id, { context: "api", welcome: this.config.welcomeMessage, room });
    if (room !== null) await this.rooms.join(connection, room);
  }

  /**
   * Runs `config.authenticate`. Refused, the connection gets a goodbye with reason
   * `not authorized` and code `ERR_NOT_AUTHORIZED` (its only message: no welcome), then the close,
   * so a client can tell a refusal from a network failure and not reconnect in a loop.
   */
  private async authenticate(connection: Connection): Promise<boolean> {
    const { accepted, message } = await this.judge(connection);
    if (!accepted) this.refuse(connection, "not authorized", "ERR_NOT_AUTHORIZED", message);
    return accepted;
  }

  /**
   * Turns a new connection away: its only message is a goodbye with a code, then the close, so
   * the client can tell a refusal from a network failure.
   */
  private refuse(
    connection: Connection,
    reason: GoodbyeReason,
    code: ErrorCode,
    error: string,
  ): void {
    if (!connection.open) return;
    this.push(connection.id, { context: "api", status: "Bye!", reason, code, error });
    this.table.disconnect(connection.id);
  }

  /**
   * `config.authenticate` for any caller: `true` or an identity (merged into
   * `connection.data`) accepts; anything else, or a throw, refuses.
   */
  async judge(connection: Connection): Promise<{ accepted: boolean; message: string }> {
    const authenticate = this.config.authenticate;
    if (authenticate === undefined) return { accepted: true, message: "" };
    let verdict: unknown;
    let message = "not authorized to connect";
    try {
      verdict = await authenticate(connection);
    } catch (error) {
      if (error instanceof ActionwireError) message = error.message;
      else this.logger.error("authenticate threw", { error: String(error) });
      verdict = false;
    }
    if (typeof verdict === "object" && verdict !== null && !Array.isArray(verdict)) {
      Object.assign(connection.data, verdict);
      return { accepted: true, message };
    }
    return { accepted: verdict === true, message };
  }

  connectionClosed(connection: Connection): void {
    if (!connection.open) return;
    connection.open = false;
    const state = this.#states.get(connection.id);
    this.#states.delete(connection.id);
    for (const call of state?.running ?? []) {
      call.abort(new ActionwireError("ERR_ACTION_FAILED", "the connection closed"));
    }
    this.table.remove(connection.id);
    const fromIP = (this.#perIP.get(connection.remoteIP) ?? 1) - 1;
    if (fromIP === 0) this.#perIP.delete(connection.remoteIP);
    else this.#perIP.set(connection.remoteIP, fromIP);
    this.track(this.rooms.drop(connection), "leaving rooms");
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
    const count = ++connection.messageCount;
    this.answer(connection, count, undefined, undefined, this.tooLarge());
    this.disconnect(connection.id, "message too large");
  }

  private tooLarge(): ActionwireError {
    const limit = this.config.limits.maxMessageBytes;
    return new ActionwireError(
      "ERR_MESSAGE_TOO_LARGE",
      `the message is larger than the limit of ${limit} bytes`,
    );
  }

  /** Pushes an alert (`context: "alert"`) to a connection of this node. */
  alert(connectionId: string, message: string, extra: Record<string, unknown> = {}): boolean {
    if (this.table.get(connectionId) === undefined) return false;
    this.push(connectionId, { ...extra, context: "alert", message });
    return true;
  }

  /** Sends the goodbye push with `reason`, then closes a connection of this node. */
  disconnect(connectionId: string, reason: GoodbyeReason = "disconnected by server"): boolean {
    if (this.table.get(connectionId) === undefined) return false;
    this.push(connectionId, { context: "api", status: "Bye!", reason });
    this.table.disconnect(connectionId);
    return true;
  }

  /**
   * Runs a command on the connection's node, this one or another in the cluster; `false` if no
   * live node holds the connection.
   */
  async command(command: ConnectionCommand): Promise<boolean> {
    return this.runCommand(command) || this.bus.command(command);
  }

  /** Runs a command for a connection of this node (sent here by another node, or local). */
  runCommand(command: ConnectionCommand): boolean {
    return command.kind === "alert"
      ? this.alert(command.connectionId, command.message, command.extra)
      : this.disconnect(command.connectionId, command.reason as GoodbyeReason);
  }

  /**
   * Stops taking requests (`ERR_SHUTTING_DOWN`) and waits, at most `timeoutMs`, for the work in
   * flight (actions, room moves) to finish.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    while (this.#pending.size > 0) {
      const settled = Promise.allSettled([...this.#pending]).then(() => true);
      if (!(await Promise.race([settled, deadline.then(() => false)]))) break;
    }
    clearTimeout(timer);
  }

  /**
   * Counts the frame, then checks size, rate and shape before any work is done. A request
   * answered synchronously (most verbs, synchronous actions) costs no promise and no timer.
   */
  private receive(
    connection: Connection,
    reply: ReplyFn | undefined,
    size: number,
    text: string | Buffer | undefined,
    raw?: unknown,
  ): void {
    const count = ++connection.messageCount;
    if (size > this.config.limits.maxMessageBytes) {
      this.answer(connection, count, undefined, reply, this.tooLarge());
      return;
    }
    const state = this.#states.get(connection.id);
    if (state !== undefined && !state.take()) {
      this.answer(
        connection,
        count,
        undefined,
        reply,
        new ActionwireError("ERR_RATE_LIMITED", "too many messages"),
      );
      if (state.limitedFor() >= this.config.limits.rateAbuseMs) {
        this.disconnect(connection.id, "rate limit");
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
    if (this.#draining) {
      const error = new ActionwireError("ERR_SHUTTING_DOWN", "the server is shutting down");
      this.answer(connection, count, messageId, reply, error);
      return;
    }
    const allowed =
      state === undefined ? this.#allowedVerbs.get(connection.transport) : state.allowed;
    if (!isVerb(event) || (allowed !== undefined && !allowed.has(event))) {
      const error = new ActionwireError("ERR_UNKNOWN_VERB", `${event} is not a known verb`);
      this.answer(connection, count, messageId, reply, error);
      return;
    }
    if (event === "quit" || event === "exit" || event === "close") {
      // The requests that came before get their replies first, then the goodbye.
      const earlier = [...(state?.inflight ?? [])];
      this.track(
        Promise.allSettled(earlier).then(() => this.disconnect(connection.id, "quit")),
        "quitting",
      );
      return;
    }
    const pending: Pending = { connection, state, event, params, count, messageId, reply };
    const joining = state?.joining;
    if (joining === undefined) {
      this.perform(pending);
      return;
    }
    const work = joining.then(
      () => this.perform(pending),
      (error: unknown) => this.answer(connection, count, messageId, reply, error),
    );
    this.follow(pending, work);
  }

  /** Runs a verb; answers at once if it is synchronous, else when it settles. */
  private perform(request: Pending): Promise<unknown> | undefined {
    const { connection, state, event, params, count, messageId, reply } = request;
    let outcome: Reply | Promise<Reply>;
    try {
      outcome = this.verb(connection, state, event, params);
    } catch (error) {
      this.answer(connection, count, messageId, reply, error);
      return undefined;
    }
    if (!(outcome instanceof Promise)) {
      this.answer(connection, count, messageId, reply, outcome);
      return undefined;
    }
    const answer = (result: unknown) => this.answer(connection, count, messageId, reply, result);
    return this.follow(request, outcome.then(answer, answer));
  }

  /** Keeps an asynchronous request in the connection's in-flight set until it is answered. */
  private follow(request: Pending, work: Promise<unknown>): Promise<unknown> {
    const state = request.state;
    if (state !== undefined) {
      const inflight = (state.inflight ??= new Set());
      inflight.add(work);
      const done = () => inflight.delete(work);
      work.then(done, done);
    }
    this.track(work, `handling ${request.event}`);
    return work;
  }

  private verb(
    connection: Connection,
    state: ConnectionState | undefined,
    verb: Exclude<Verb, "quit" | "exit" | "close">,
    params: Record<string, unknown>,
  ): Reply | Promise<Reply> {
    switch (verb) {
      case "action":
        return this.#runner.run(connection, params, state);
      case "say": {
        const message = requireString(params, "message");
        if (message.length > this.config.limits.maxSayLength) {
          throw new ActionwireError(
            "ERR_INVALID_PARAM",
            `message is not valid: longer than ${this.config.limits.maxSayLength} characters`,
          );
        }
        return this.rooms.say(connection, message).then(() => ok());
      }
      case "roomView":
        return this.rooms.view(connection).then(ok);
      case "roomChange": {
        const room = requireRoom(params);
        return this.rooms.change(connection, room).then(() => ok({ room }));
      }
      case "listenToRoom": {
        const room = requireRoom(params);
        return this.rooms.listen(connection, room).then(() => ok({ room }));
      }
      case "silenceRoom": {
        const room = requireRoom(params);
        return this.rooms.silence(connection, room).then(() => ok({ room }));
      }
      case "detailsView":
        return ok(connection.details());
      case "setIP":
        connection.claimedIP = requireString(params, "ip");
        return ok();
      case "paramAdd": {
        const key = requireString(params, "key");
        connection.params[key] = params.value ?? null;
        return ok();
      }
      case "paramView": {
        const key = requireString(params, "key");
        return ok(Object.hasOwn(connection.params, key) ? connection.params[key] : null);
      }
      case "paramsView":
        return ok({ ...connection.params });
      case "paramDelete":
        delete connection.params[requireString(params, "key")];
        return ok();
      case "paramsDelete":
        for (const key of Object.keys(connection.params)) delete connection.params[key];
        return ok();
      case "documentation":
        return ok(this.actions.documentation());
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

  /** Sends the reply (or error) to one request. */
  private answer(
    connection: Connection,
    count: number,
    messageId: string | number | undefined,
    reply: ReplyFn | undefined,
    outcome: unknown,
  ): void {
    if (!connection.open) return;
    const message: ServerMessage = { context: "response", messageCount: count };
    if (messageId !== undefined) message.messageId = messageId;
    if (outcome instanceof Error) {
      const error =
        outcome instanceof ActionwireError
          ? outcome
          : new ActionwireError("ERR_ACTION_FAILED", "the request failed", { cause: outcome });
      if (error !== outcome) this.logger.error("request failed", { error: String(outcome) });
      message.status = error.message;
      message.error = error.message;
      message.code = error.code;
    } else if (outcome !== undefined) {
      Object.assign(message, outcome);
    }
    const prepared = PreparedMessage.fromPayload(message);
    if (reply !== undefined) reply(prepared);
    else this.table.sendTo(connection.id, prepared);
  }

  private push(connectionId: string, message: ServerMessage): void {
    this.table.sendTo(connectionId, PreparedMessage.fromPayload(message));
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

/** A request waiting for its verb to run. */
interface Pending {
  connection: Connection;
  state: ConnectionState | undefined;
  event: Exclude<Verb, "quit" | "exit" | "close">;
  params: Record<string, unknown>;
  count: number;
  messageId: string | number | undefined;
  reply: ReplyFn | undefined;
}

function ok(data?: unknown): Reply {
  return data === undefined ? { status: "OK" } : { status: "OK", data };
}

function requireString(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (value === undefined || value === null || value === "") {
    throw new ActionwireError("ERR_MISSING_PARAM", `${key} is a required parameter`);
  }
  if (typeof value !== "string") {
    throw new ActionwireError("ERR_INVALID_PARAM", `${key} is not valid: must be a string`);
  }
  return value;
}

function requireRoom(params: Record<string, unknown>): string {
  const room = requireString(params, "room");
  if (room.length > 256) {
    throw new ActionwireError("ERR_INVALID_PARAM", "room is not valid: longer than 256 characters");
  }
  return room;
}
