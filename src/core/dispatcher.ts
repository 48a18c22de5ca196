import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { TOKENS } from "./tokens.js";
import type { ActionMiddleware } from "./actions/action-middleware.js";
import type { ActionRegistry } from "./actions/action-registry.js";
import type { ClusterBus, ConnectionCommand } from "./cluster-bus.js";
import type { ActionContext, ActionDefinition } from "./actions/define-action.js";
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

/** Keys an action's result may not hold: they belong to the reply envelope. */
const RESERVED_RESULT_KEYS = ["context", "messageCount", "messageId", "error", "code", "status"];

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
 * The protocol-neutral heart: every verb of PROTOCOL.md, every error code, the replies exactly
 * as specified. Transports hand it connections and frames through the `TransportHost` methods.
 */
@injectable()
export class Dispatcher {
  readonly #buckets = new Map<string, TokenBucket>();
  /** Open connections per remote address (for `limits.maxConnectionsPerIP`). */
  readonly #perIP = new Map<string, number>();
  readonly #allowedVerbs = new Map<string, ReadonlySet<string>>();
  readonly #pending = new Set<Promise<unknown>>();
  /** The aborts of the actions running per connection, called when it closes. */
  readonly #running = new Map<string, Set<(reason: unknown) => void>>();
  /** Requests of each connection still being answered (a quit waits for them). */
  readonly #inflight = new Map<string, Set<Promise<unknown>>>();
  /** Connections still joining their default room: their requests wait for it. */
  readonly #joining = new Map<string, Promise<void>>();
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
  }

  createConnection(transport: string, info: ConnectionInfo): Connection {
    const connection = new Connection(transport, info);
    this.table.add(connection);
    this.#perIP.set(connection.remoteIP, (this.#perIP.get(connection.remoteIP) ?? 0) + 1);
    this.#buckets.set(connection.id, new TokenBucket(this.config.limits.rate));
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
    const admitted = this.enter(connection).finally(() => this.#joining.delete(connection.id));
    this.#joining.set(connection.id, admitted);
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
    const running = this.#running.get(connection.id);
    this.#running.delete(connection.id);
    for (const abort of running ?? []) {
      abort(new ActionwireError("ERR_ACTION_FAILED", "the connection closed"));
    }
    this.table.remove(connection.id);
    const fromIP = (this.#perIP.get(connection.remoteIP) ?? 1) - 1;
    if (fromIP === 0) this.#perIP.delete(connection.remoteIP);
    else this.#perIP.set(connection.remoteIP, fromIP);
    this.#buckets.delete(connection.id);
    this.#inflight.delete(connection.id);
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
    this.receive(connection, reply, size, () => {
      if (typeof data !== "string") {
        throw new ActionwireError("ERR_BAD_MESSAGE", "bad message: binary frames are not accepted");
      }
      return parseInboundText(data, this.config.limits.maxDepth);
    });
  }

  receiveRequest(connection: Connection, raw: unknown, reply?: ReplyFn): void {
    this.receive(connection, reply, 0, () => toInboundRequest(raw, this.config.limits.maxDepth));
  }

  /**
   * A frame over the limit that the transport cannot take in (a tcp line): it counts, gets
   * `ERR_MESSAGE_TOO_LARGE`, then the goodbye (`message too large`) and the close.
   */
  frameTooLarge(connection: Connection): void {
    const count = ++connection.messageCount;
    this.replier(connection, count, undefined, undefined)(this.tooLarge());
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

  /** Counts the frame, then checks size, rate and shape before any work is done. */
  private receive(
    connection: Connection,
    reply: ReplyFn | undefined,
    size: number,
    decode: () => InboundRequest,
  ): void {
    const count = ++connection.messageCount;
    let send = this.replier(connection, count, undefined, reply);
    if (size > this.config.limits.maxMessageBytes) {
      send(this.tooLarge());
      return;
    }
    const bucket = this.#buckets.get(connection.id);
    if (bucket !== undefined && !bucket.take()) {
      send(new ActionwireError("ERR_RATE_LIMITED", "too many messages"));
      if (bucket.limitedFor() >= this.config.limits.rateAbuseMs) {
        this.disconnect(connection.id, "rate limit");
      }
      return;
    }
    let request: InboundRequest;
    try {
      request = decode();
    } catch (error) {
      send(error);
      return;
    }
    if (request.messageId !== undefined) {
      send = this.replier(connection, count, request.messageId, reply);
    }
    if (this.#draining) {
      send(new ActionwireError("ERR_SHUTTING_DOWN", "the server is shutting down"));
      return;
    }
    const { event } = request;
    const allowed = this.#allowedVerbs.get(connection.transport);
    if (!isVerb(event) || (allowed !== undefined && !allowed.has(event))) {
      send(new ActionwireError("ERR_UNKNOWN_VERB", `${event} is not a known verb`));
      return;
    }
    let inflight = this.#inflight.get(connection.id);
    if (inflight === undefined) this.#inflight.set(connection.id, (inflight = new Set()));
    if (event === "quit" || event === "exit" || event === "close") {
      // The requests that came before get their replies first, then the goodbye.
      const earlier = [...inflight];
      this.#inflight.delete(connection.id);
      this.track(
        Promise.allSettled(earlier).then(() => this.disconnect(connection.id, "quit")),
        "quitting",
      );
      return;
    }
    const joining = this.#joining.get(connection.id);
    const work = (
      joining === undefined
        ? this.verb(connection, event, request.params)
        : joining.then(() => this.verb(connection, event, request.params))
    ).then(send, send);
    const requests = inflight;
    requests.add(work);
    work.then(
      () => requests.delete(work),
      () => requests.delete(work),
    );
    this.track(work, `handling ${event}`);
  }

  private async verb(
    connection: Connection,
    verb: Exclude<Verb, "quit" | "exit" | "close">,
    params: Record<string, unknown>,
  ): Promise<Reply> {
    switch (verb) {
      case "action":
        return this.runAction(connection, params);
      case "say": {
        const message = requireString(params, "message");
        if (message.length > this.config.limits.maxSayLength) {
          throw new ActionwireError(
            "ERR_INVALID_PARAM",
            `message is not valid: longer than ${this.config.limits.maxSayLength} characters`,
          );
        }
        await this.rooms.say(connection, message);
        return ok();
      }
      case "roomView":
        return ok(await this.rooms.view(connection));
      case "roomChange": {
        const room = requireRoom(params);
        await this.rooms.change(connection, room);
        return ok({ room });
      }
      case "listenToRoom": {
        const room = requireRoom(params);
        await this.rooms.listen(connection, room);
        return ok({ room });
      }
      case "silenceRoom": {
        const room = requireRoom(params);
        await this.rooms.silence(connection, room);
        return ok({ room });
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
  async callAction(
    connection: Connection,
    params: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (this.#draining) {
      throw new ActionwireError("ERR_SHUTTING_DOWN", "the server is shutting down");
    }
    const work = this.runAction(connection, params);
    this.track(work, "an HTTP action");
    return (await work) ?? {};
  }

  /** The `documentation` verb's data. */
  documentation(): ReturnType<ActionRegistry["documentation"]> {
    return this.actions.documentation();
  }

  private async runAction(
    connection: Connection,
    requestParams: Record<string, unknown>,
  ): Promise<Reply> {
    const name = requestParams.action;
    if (name === undefined || name === null || name === "") {
      throw new ActionwireError("ERR_MISSING_PARAM", "action is a required parameter");
    }
    const action = typeof name === "string" ? this.actions.get(name) : undefined;
    if (action === undefined) {
      throw new ActionwireError("ERR_UNKNOWN_ACTION", `${String(name)} is not a known action`);
    }
    if (connection.pendingActions >= this.config.limits.maxPendingActions) {
      throw new ActionwireError("ERR_TOO_MANY_PENDING", "you have too many pending requests");
    }
    const merged: Record<string, unknown> = Object.assign(
      Object.create(null),
      connection.params,
      requestParams,
    );
    delete merged.action;
    const params = this.actions.processParams(action, merged);

    connection.pendingActions++;
    connection.totalActions++;
    // The AbortController is made only if the action reads its signal (most never do): the
    // deadline and a closing connection abort it then, or record why for when it is read.
    let controller: AbortController | undefined;
    let abortedWith: unknown;
    const abort = (reason: unknown) => {
      abortedWith ??= reason;
      controller?.abort(reason);
    };
    const signal = () => {
      controller ??= new AbortController();
      if (abortedWith !== undefined) controller.abort(abortedWith);
      return controller.signal;
    };
    let running = this.#running.get(connection.id);
    if (running === undefined) this.#running.set(connection.id, (running = new Set()));
    running.add(abort);
    const timeoutMs = action.timeoutMs ?? this.config.limits.actionTimeoutMs;
    return new Promise<Reply>((resolve, reject) => {
      let finished = false;
      const finish = (): boolean => {
        if (finished) return false;
        finished = true;
        clearTimeout(timer);
        connection.pendingActions--;
        running.delete(abort);
        if (running.size === 0 && this.#running.get(connection.id) === running) {
          this.#running.delete(connection.id);
        }
        return true;
      };
      const timer = setTimeout(() => {
        const error = new ActionwireError("ERR_ACTION_TIMEOUT", "the action timed out");
        abort(error);
        if (finish()) reject(error);
      }, timeoutMs);
      // A result that comes after the deadline is dropped: the reply was the timeout.
      this.invoke(action, connection, params, signal).then(
        (reply) => finish() && resolve(reply),
        (error: unknown) => finish() && reject(error),
      );
    });
  }

  private async invoke(
    action: ActionDefinition,
    connection: Connection,
    params: Record<string, unknown>,
    signal: () => AbortSignal,
  ): Promise<Reply> {
    const call = { action, connection, params };
    const context: ActionContext = {
      connection,
      get signal() {
        return signal();
      },
      alert: (message, extra = {}, connectionId = connection.id) => {
        const command = { kind: "alert" as const, connectionId, message, extra };
        this.track(this.command(command), "sending an alert");
      },
    };
    try {
      for (const m of this.middleware) await m.before?.(call);
      let result = (await action.run(call.params as never, context)) ?? {};
      if (typeof result !== "object" || result === null || Array.isArray(result)) {
        throw new Error(`action ${action.name} returned ${typeof result}, not an object`);
      }
      for (let i = this.middleware.length - 1; i >= 0; i--) {
        result = (await this.middleware[i]!.after?.(call, result)) ?? result;
      }
      const reserved = RESERVED_RESULT_KEYS.find((key) => Object.hasOwn(result, key));
      if (reserved !== undefined) {
        throw new Error(`action ${action.name} returned the reserved key "${reserved}"`);
      }
      return { ...result };
    } catch (error) {
      if (error instanceof ActionwireError) throw error;
      this.logger.error(`action ${action.name} failed`, { error: String(error) });
      throw new ActionwireError("ERR_ACTION_FAILED", "the action failed", { cause: error });
    }
  }

  /** Builds the function that sends the reply (or error) to one request. */
  private replier(
    connection: Connection,
    count: number,
    messageId: string | number | undefined,
    reply: ReplyFn | undefined,
  ): (outcome: unknown) => void {
    return (outcome) => {
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
    };
  }

  private push(connectionId: string, message: ServerMessage): void {
    this.table.sendTo(connectionId, PreparedMessage.fromPayload(message));
  }

  /** Keeps a promise in the drain set and logs its failure (it never rejects unhandled). */
  private track(work: Promise<unknown>, what: string): void {
    const tracked = work
      .catch((error: unknown) => this.logger.error(`failed ${what}`, { error: String(error) }))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
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
