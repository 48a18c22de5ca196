import type { ConnectionDetails } from "../core/connection.js";
import type { AlertPush, ChatPush, GoodbyePush, WelcomePush } from "../core/server-pushes.js";
import type { Verb, VerbParams } from "../core/verbs.js";
import type { Connector } from "./connector.js";
import { Emitter } from "./emitter.js";
import {
  type ClientTransport,
  type ConnectorOptions,
  createConnector,
} from "./create-connector.js";
import { discoverTransports, pickTransport, withOfferedPath } from "./discover-transports.js";
import { replyCode, RequestError, type RequestErrorCode } from "./request-error.js";
import type { VerbReplies } from "./server-replies.js";
import type { ActionArgs, ActionName, ActionReplyOf } from "./typed-actions.js";

export { RequestError } from "./request-error.js";
export type { ClientErrorCode, RequestErrorCode } from "./request-error.js";

/** A server message as the client receives it. */
export type ServerPayload = Record<string, unknown> & { context: string };

/** The seeds' callback style: `error` is the error text or `null`. */
export type Callback<T = ServerPayload> = (error: string | null, response: T) => void;

/** Options of {@link ActionwireClient}. */
export interface ClientOptions extends ConnectorOptions {
  /**
   * Which transport to use (default `ws`); ignored when `connector` is given. `"auto"` asks the
   * server which it runs (`GET /actionwire/transports`) at every connect and picks faye, then
   * socket.io, then ws.
   */
  transport?: ClientTransport | "auto";
  /**
   * Where `"auto"` asks for the transports (default `/actionwire/transports`): the server's
   * `browserClient.path` + `/transports`, if it moved it.
   */
  transportsPath?: string;
  /** A connector of your own (a custom transport). */
  connector?: Connector;
  /** Per-request response timeout in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * How long a connect (or a reconnect attempt) may take from opening the transport to the
   * welcome, in ms (default 20 000); past it, `connect()` rejects with `ERR_TIMEOUT`.
   */
  connectTimeoutMs?: number;
  /** Reconnect after an unexpected close (default true), with jittered exponential backoff. */
  reconnect?: boolean;
  /** First reconnect delay in ms (default 500); doubles up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/**
 * Events the client emits. A push's payload is typed from its declaration in the core
 * (`ServerPushes`), the one the server builds it against.
 */
export interface ClientEvents {
  welcome: [WelcomePush];
  /** A chat push: a room member's `say`, or an entered/left notice. */
  say: [ChatPush];
  alert: [AlertPush];
  /** The goodbye push, before the server closes the connection (also emitted as `api`). */
  goodbye: [GoodbyePush];
  /** A push with `context: "api"` other than the welcome (the goodbye, for one). */
  api: [ServerPayload];
  connected: [ConnectionDetails];
  disconnected: [string];
  reconnected: [ConnectionDetails];
  /** A reconnect is scheduled: its attempt number (from 1) and its delay in ms. */
  reconnecting: [number, number];
  /** A request got no reply in time: the verb and its params. */
  timeout: [string, Record<string, unknown>];
  error: [Error];
}

/** Goodbye reasons after which the client does not reconnect by itself. */
const FINAL_GOODBYES = new Set([
  "quit",
  "disconnected by server",
  "rate limit",
  "message too large",
  "not authorized",
]);

interface Pending {
  event: string;
  params: Record<string, unknown>;
  count: number;
  resolve: (response: ServerPayload) => void;
  reject: (error: RequestError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The actionwire client: the API of the seeds' `actionHeroWebSocket`, for Node and browsers.
 * Every method returns a promise and also accepts the seeds' `(error, response)` callback.
 * `Api` types the actions (names, params, replies) from the server's own definitions:
 * `createClient<typeof server>(…)` (see `ActionsOf` for what else it takes); without it, any
 * action name and params are accepted and replies are loosely typed.
 */
export class ActionwireClient<Api = unknown> extends Emitter<ClientEvents> {
  /** The connection's details, from `detailsView` after the welcome (`{}` before). */
  details: Partial<ConnectionDetails> = {};
  /** The current room (kept across reconnects). */
  room: string | null = null;
  /** Rooms listened to (re-listened after a reconnect). */
  readonly listeningRooms = new Set<string>();
  #connector: Connector | undefined;
  #transport: string | null = null;
  #state: "idle" | "connecting" | "open" | "closed" = "idle";
  #sent = 0;
  #nextId = 0;
  readonly #pending = new Map<string, Pending>();
  readonly #byCount = new Map<number, Pending>();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #userClosed = false;
  #welcome: ((payload: ServerPayload) => void) | undefined;
  /** Ends a connect in progress (open or welcome not yet done) with an error. */
  #abortOpen: ((error: Error) => void) | undefined;
  /** The reason of the goodbye push, if the server sent one on this connection. */
  #goodbye: string | undefined;
  /** A coded goodbye (an authentication refusal): what `connect()` rejects with. */
  #refusal: { code: RequestErrorCode; message: string } | undefined;

  constructor(private readonly options: ClientOptions) {
    super();
  }

  get connected(): boolean {
    return this.#state === "open";
  }

  /**
   * The transport of the current (or last) connection: `ws`, `socketio`, `faye`, or `custom`
   * for a connector of your own; `null` before the first connect.
   */
  get transport(): string | null {
    return this.#transport;
  }

  /** Connects, waits for the welcome, and resolves with the connection's details. */
  connect(callback?: Callback<ConnectionDetails>): Promise<ConnectionDetails> {
    this.#userClosed = false;
    return withCallback(this.#open(), callback, {} as ConnectionDetails);
  }

  /**
   * Runs an action; resolves with its flat reply, rejects with a {@link RequestError}. With
   * `Api`, the name, the params and the reply are the action's own (see `ActionArgs`).
   */
  action<N extends ActionName<Api>>(
    name: N,
    ...args: ActionArgs<Api, N>
  ): Promise<ActionReplyOf<Api, N>>;
  action(name: string, ...args: unknown[]): Promise<never> {
    let [params, callback] = args as [
      Record<string, unknown> | Callback | null | undefined,
      Callback?,
    ];
    if (typeof params === "function") [callback, params] = [params, undefined];
    // The reply is typed by the signature above, from the action's definition.
    return this.#verb<"action", never>("action", { ...(params ?? {}), action: name }, callback);
  }

  /** Says `message` to the current room: every member hears it, whatever their transport. */
  say(message: string, callback?: Callback<VerbReplies["say"]>): Promise<VerbReplies["say"]> {
    return this.#verb("say", { message }, callback);
  }

  /** This connection's fields as the server sees them (`data`, PROTOCOL.md "Connection"). */
  detailsView(
    callback?: Callback<VerbReplies["detailsView"]>,
  ): Promise<VerbReplies["detailsView"]> {
    return this.#verb("detailsView", {}, callback);
  }

  /** The current room and its members, on every node. */
  roomView(callback?: Callback<VerbReplies["roomView"]>): Promise<VerbReplies["roomView"]> {
    return this.#verb("roomView", {}, callback);
  }

  /** Leaves the current room and joins `room`; the client rejoins it after a reconnect. */
  roomChange(
    room: string,
    callback?: Callback<VerbReplies["roomChange"]>,
  ): Promise<VerbReplies["roomChange"]> {
    return this.#verb("roomChange", { room }, callback, () => {
      this.room = room;
      this.listeningRooms.delete(room);
    });
  }

  /** Hears `room` without joining it; kept across reconnects. */
  listenToRoom(
    room: string,
    callback?: Callback<VerbReplies["listenToRoom"]>,
  ): Promise<VerbReplies["listenToRoom"]> {
    return this.#verb("listenToRoom", { room }, callback, () => this.listeningRooms.add(room));
  }

  /** Stops hearing a room heard with {@link ActionwireClient.listenToRoom}. */
  silenceRoom(
    room: string,
    callback?: Callback<VerbReplies["silenceRoom"]>,
  ): Promise<VerbReplies["silenceRoom"]> {
    return this.#verb("silenceRoom", { room }, callback, () => this.listeningRooms.delete(room));
  }

  /** Tells the server an address; it is stored as `claimedIP` and never trusted. */
  setIP(ip: string, callback?: Callback<VerbReplies["setIP"]>): Promise<VerbReplies["setIP"]> {
    return this.#verb("setIP", { ip }, callback);
  }

  /** The server's actions with their inputs, for a console or a generated client. */
  documentation(
    callback?: Callback<VerbReplies["documentation"]>,
  ): Promise<VerbReplies["documentation"]> {
    return this.#verb("documentation", {}, callback);
  }

  /** Says goodbye (`quit`) and closes; no reconnect follows. */
  disconnect(): void {
    this.#userClosed = true;
    clearTimeout(this.#reconnectTimer);
    // Detached first: a connector that reports its close at once (faye, socket.io) is ignored,
    // so every transport reports this end as "client disconnect".
    const connector = this.#connector;
    this.#connector = undefined;
    if (this.#state === "open") connector?.send({ event: "quit" });
    connector?.close();
    // A connect in progress would wait for a welcome that cannot come now: it fails instead.
    this.#abortOpen?.(new RequestError("disconnected while connecting", "ERR_DISCONNECTED"));
    this.#ended("client disconnect");
  }

  /**
   * Sends a verb with the params the protocol declares for it (`VERB_PARAMS`, checked when this
   * compiles, so a method cannot drift from the server's verb table).
   */
  #verb<V extends Verb, R = ServerPayload>(
    verb: V,
    params: VerbParams<V> & Record<string, unknown>,
    callback?: Callback<R>,
    onSuccess?: () => void,
  ): Promise<R> {
    // The reply's shape is the server's verb table's (server-replies.ts), not checked here.
    return this.request(verb, params, callback as Callback | undefined, onSuccess) as Promise<R>;
  }

  /** Sends any verb; resolves with the reply, rejects with a {@link RequestError}. */
  request(
    event: string,
    params: Record<string, unknown> = {},
    callback?: Callback,
    onSuccess?: () => void,
  ): Promise<ServerPayload> {
    const promise = new Promise<ServerPayload>((resolve, reject) => {
      if (this.#state !== "open" || this.#connector === undefined) {
        reject(new RequestError("not connected", "ERR_DISCONNECTED"));
        return;
      }
      const messageId = `c${++this.#nextId}`;
      const count = ++this.#sent;
      const timer = setTimeout(() => {
        this.#settle(messageId);
        this.emit("timeout", event, params);
        reject(new RequestError(`${event} got no reply in time`, "ERR_TIMEOUT"));
      }, this.options.timeoutMs ?? 30_000);
      const pending = { event, params, count, resolve, reject, timer };
      this.#pending.set(messageId, pending);
      this.#byCount.set(count, pending);
      this.#connector.send({ event, params, messageId });
    });
    const tracked =
      onSuccess === undefined
        ? promise
        : promise.then((response) => {
            onSuccess();
            return response;
          });
    return withCallback(tracked, callback, { context: "response" });
  }

  async #open(): Promise<ConnectionDetails> {
    if (this.#state === "open" || this.#state === "connecting") {
      throw new RequestError("already connected", "ERR_ALREADY_CONNECTED");
    }
    this.#state = "connecting";
    let connector: Connector;
    try {
      connector = this.options.connector ?? (await this.#defaultConnector());
    } catch (error) {
      if (this.#state === "connecting") this.#state = "closed";
      throw error;
    }
    if (this.#state !== "connecting") {
      throw new RequestError("disconnected while connecting", "ERR_DISCONNECTED");
    }
    if (this.options.connector !== undefined) this.#transport = "custom";
    this.#connector = connector;
    this.#goodbye = undefined;
    this.#refusal = undefined;
    let closedEarly: (error: Error) => void = () => undefined;
    /** Why the connect was ended from outside the connector (timeout, disconnect, refusal). */
    let ended: Error | undefined;
    const welcome = new Promise<ServerPayload>((resolve, reject) => {
      this.#welcome = resolve;
      closedEarly = (error) => {
        ended ??= error;
        reject(error);
      };
    });
    let opened = false;
    this.#abortOpen = closedEarly;
    const connectTimeoutMs = this.options.connectTimeoutMs ?? 20_000;
    // A server that never answers (a half-open socket, refused faye handshakes retried for
    // ever, a welcome held back) fails the connect instead of leaving it pending.
    const deadline = setTimeout(() => {
      if (this.#connector !== connector || this.#state !== "connecting") return;
      this.#state = "closed";
      this.#connector = undefined;
      connector.close();
      closedEarly(new RequestError(`no welcome within ${connectTimeoutMs} ms`, "ERR_TIMEOUT"));
    }, connectTimeoutMs);
    // Awaited below only if open() succeeds; a failed open must not leave it unhandled.
    welcome.catch(() => undefined);
    try {
      // Raced with the welcome's failure: a disconnect() before the connector is open ends the
      // wait, whether or not the connector's open settles once it is closed.
      await race(
        welcome,
        connector
          .open({
            message: (message) => this.#onMessage(message as ServerPayload),
            closed: (reason) => {
              if (this.#connector !== connector) return;
              if (this.#state === "connecting") {
                this.#state = "closed";
                this.#connector = undefined;
                // A refusal (authentication) says so with a code; a close before the transport
                // was open is a failed connect; anything else is a lost connection.
                const refusal = this.#refusal;
                if (refusal !== undefined) {
                  closedEarly(new RequestError(refusal.message, refusal.code));
                } else if (!opened) {
                  // The connector's own error (its open rejecting in the same turn) is the better
                  // cause: it gets that turn before this one ends the connect.
                  const failed = this.#connectFailed(new Error(reason));
                  setTimeout(() => closedEarly(failed), 0);
                } else {
                  closedEarly(
                    new RequestError(`closed before the welcome: ${reason}`, "ERR_DISCONNECTED"),
                  );
                }
              } else {
                this.#lost(reason);
              }
            },
          })
          .then(() => {
            opened = true;
          }),
      );
    } catch (error) {
      clearTimeout(deadline);
      this.#abortOpen = undefined;
      this.#state = "closed";
      if (this.#connector === connector) this.#connector = undefined;
      // A timeout, a disconnect() or a refusal says so; what the connector throws (a server
      // that is not there, on any transport) is one coded error with the transport's as cause.
      throw ended ?? (error instanceof RequestError ? error : this.#connectFailed(error));
    }
    this.#sent = 0;
    let hello: ServerPayload;
    try {
      hello = await welcome;
    } finally {
      clearTimeout(deadline);
      this.#abortOpen = undefined;
    }
    this.#state = "open";
    this.room = (hello.room as string | null | undefined) ?? null;
    const { data } = await this.detailsView();
    this.details = data;
    this.emit("connected", data);
    return data;
  }

  async #defaultConnector(): Promise<Connector> {
    const choice = this.options.transport ?? "ws";
    if (choice !== "auto") {
      this.#transport = choice;
      return createConnector(choice, this.options);
    }
    // fetch rejects with a TypeError when it reaches no server; an answer it dislikes is not that.
    const offered = pickTransport(
      await discoverTransports(this.options.url, this.options.transportsPath).catch(
        (error: unknown) => {
          throw error instanceof TypeError ? this.#connectFailed(error) : error;
        },
      ),
    );
    if (offered === undefined) {
      throw new Error(
        `the server at ${this.options.url} runs no transport this client speaks (faye, socketio, ws)`,
      );
    }
    this.#transport = offered.name;
    return createConnector(offered.name, withOfferedPath(this.options, offered));
  }

  /** `ERR_CONNECT_FAILED`: the server at the URL could not be reached; `cause` says how. */
  #connectFailed(cause: unknown): RequestError {
    return new RequestError(
      `could not connect to ${this.options.url}`,
      "ERR_CONNECT_FAILED",
      undefined,
      { cause },
    );
  }

  #onMessage(message: ServerPayload): void {
    switch (message.context) {
      case "response": {
        const id = message.messageId;
        const pending =
          typeof id === "string"
            ? this.#pending.get(id)
            : this.#byCount.get(Number(message.messageCount));
        if (pending === undefined) return;
        this.#settle(typeof id === "string" ? id : this.#idOf(pending));
        if (typeof message.error === "string") {
          pending.reject(new RequestError(message.error, replyCode(message.code), message));
        } else {
          pending.resolve(message);
        }
        return;
      }
      case "user":
        this.emit("say", message as unknown as ChatPush);
        return;
      case "alert":
        this.emit("alert", message as AlertPush);
        return;
      default:
        if ("welcome" in message) {
          this.#welcome?.(message);
          this.#welcome = undefined;
          this.emit("welcome", message as unknown as WelcomePush);
        } else {
          if (message.status === "Bye!" && typeof message.reason === "string") {
            this.#goodbye = message.reason;
            if (typeof message.code === "string") {
              this.#refusal = {
                code: replyCode(message.code),
                message: String(message.error ?? message.reason),
              };
            }
            this.emit("goodbye", message as unknown as GoodbyePush);
          }
          this.emit("api", message);
        }
    }
  }

  #idOf(pending: Pending): string {
    for (const [id, entry] of this.#pending) if (entry === pending) return id;
    return "";
  }

  #settle(messageId: string): void {
    const pending = this.#pending.get(messageId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#pending.delete(messageId);
    this.#byCount.delete(pending.count);
  }

  /**
   * The connection ended without the user asking. It reconnects unless the server said goodbye
   * for a reason that a reconnect would only repeat (quit, a server-side disconnect, abuse).
   */
  #lost(reason: string): void {
    const wasOpen = this.#state === "open";
    const why = this.#goodbye ?? reason;
    this.#connector = undefined;
    this.#ended(why);
    if (
      wasOpen &&
      !this.#userClosed &&
      !FINAL_GOODBYES.has(why) &&
      this.options.reconnect !== false
    ) {
      this.#scheduleReconnect();
    }
  }

  #ended(reason: string): void {
    const wasClosed = this.#state === "closed" || this.#state === "idle";
    this.#state = "closed";
    for (const [id, pending] of this.#pending) {
      this.#settle(id);
      pending.reject(new RequestError(`disconnected: ${reason}`, "ERR_DISCONNECTED"));
    }
    if (!wasClosed) this.emit("disconnected", reason);
  }

  #scheduleReconnect(): void {
    const base = this.options.reconnectDelayMs ?? 500;
    const max = this.options.maxReconnectDelayMs ?? 10_000;
    const delay = Math.min(max, base * 2 ** this.#attempt++) * (0.5 + Math.random() / 2);
    this.emit("reconnecting", this.#attempt, Math.round(delay));
    this.#reconnectTimer = setTimeout(() => {
      const room = this.room;
      const listening = [...this.listeningRooms];
      this.#open()
        .then(async (details) => {
          this.#attempt = 0;
          if (room !== null && room !== this.room) await this.roomChange(room);
          for (const r of listening) await this.listenToRoom(r).catch(() => undefined);
          this.emit("reconnected", details);
        })
        .catch((error: Error) => {
          this.emit("error", error);
          if (!this.#userClosed) this.#scheduleReconnect();
        });
    }, delay);
  }
}

/**
 * Creates a client: `createClient({ url, transport: "socketio" })`. Typed from the server's own
 * actions with `createClient<typeof server>({ … })` (`import type` of the server's module: no
 * server code reaches the client).
 */
export function createClient<Api = unknown>(options: ClientOptions): ActionwireClient<Api> {
  return new ActionwireClient<Api>(options);
}

/** Settles with `work`, or rejects as soon as `failure` rejects (its fulfilment is ignored). */
function race(failure: Promise<unknown>, work: Promise<void>): Promise<void> {
  return Promise.race([work, failure.then(() => work)]);
}

/**
 * Calls the seeds' `(error, response)` callback when one is given. The returned promise still
 * settles as usual, but its rejection counts as handled: a callback user need not catch it.
 */
function withCallback<T>(
  promise: Promise<T>,
  callback: ((error: string | null, value: T) => void) | undefined,
  empty: T,
): Promise<T> {
  if (callback === undefined) return promise;
  promise.then(
    (value) => callback(null, value),
    (error: Error) =>
      callback(
        error.message,
        error instanceof RequestError && error.response ? (error.response as T) : empty,
      ),
  );
  return promise;
}
