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
  /**
   * Resume the session after a reconnect (default `true`): the client says hello, and a
   * reconnect comes back as the same connection (id, room, listened rooms, sticky params,
   * `data`), gets the room pushes it missed, and re-sends the requests it had in flight (see
   * the `resumed` event). `false` speaks protocol version 1: no hello (unless `auth` is set),
   * and a reconnect is a new connection.
   */
  resume?: boolean;
  /**
   * Sent in the hello to the server's `authenticate` hook (as `connection.auth`), on every
   * transport: an object, or a function (sync or async) called at every connect and reconnect,
   * so a token can be refreshed.
   */
  auth?: ClientAuth;
  /**
   * With resume on, how many requests may wait for a reconnect (default 100): those in flight
   * when the connection dropped and those made since. One more is rejected at once with
   * `ERR_QUEUE_FULL`.
   */
  maxQueuedRequests?: number;
  /**
   * The W3C trace context to send with each action and `say` (its `traceparent` param), so
   * the server's span is a child of the caller's: called per request; `undefined` sends none.
   * With OpenTelemetry: `() => { const c = {}; propagation.inject(context.active(), c); return c.traceparent; }`.
   */
  traceparent?: () => string | undefined;
}

/** The `auth` option: an object, or a function that gives one at every (re)connect. */
export type ClientAuth =
  Record<string, unknown> | (() => Record<string, unknown> | Promise<Record<string, unknown>>);

/** How one room came through a resume (the welcome's `session.rooms`). */
export interface ResumedRoom {
  /** Every push the client missed in the room follows the welcome. */
  recovered: boolean;
  /** How many missed pushes follow. */
  missed?: number;
  /** The session may no longer be in (or hear) the room: it was left. */
  refused?: boolean;
}

/** What the `resumed` event says after a reconnect: how the session came back. */
export interface ResumeInfo {
  /** The session was resumed: same id, room, listened rooms, sticky params and `data`. */
  resumed: boolean;
  /** Resumed, and nothing was missed: every room's missed pushes follow. */
  recovered: boolean;
  /**
   * Why it was not resumed: `"expired"`, `"invalid"`, `"identity"` or `"disabled"` (the server
   * keeps no sessions, or speaks only protocol version 1).
   */
  reason?: string;
  /** Per room the client heard: whether what it missed follows. */
  rooms: Record<string, ResumedRoom>;
  /** Whether the alerts the session got while the client was away follow (a resumed session). */
  alerts?: { recovered: boolean; missed?: number };
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
  /** A reconnect resumed the session, or could not (resume on): emitted before `reconnected`. */
  resumed: [ResumeInfo];
  /** A reconnect is scheduled: its attempt number (from 1) and its delay in ms. */
  reconnecting: [number, number];
  /** A request got no reply in time: the verb and its params. */
  timeout: [string, Record<string, unknown>];
  error: [Error];
}

/** The most reply ids one request acknowledges (docs/protocol.md, "Acknowledging replies"). */
const MAX_ACKS = 64;

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
  /** Its `messageCount` on the connection it was last sent on. */
  count: number;
  resolve: (response: ServerPayload) => void;
  reject: (error: RequestError) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The connection (its serial) it was last sent on; `undefined` while it was never sent. */
  sentOn: number | undefined;
  /** The client's own request during a (re)connect: it ends with its connection, never waits. */
  internal: boolean;
}

/** Where the client stands in a room: the `epoch` and `offset` of the last push it got. */
interface RoomPosition {
  epoch: string;
  offset: number;
}

/** The hello's `params`. */
interface HelloParams {
  auth?: Record<string, unknown>;
  resume?: {
    session: string;
    token: string;
    rooms: Record<string, RoomPosition>;
    alerts?: number;
  };
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
  /** Rooms listened to (kept across reconnects). */
  readonly listeningRooms = new Set<string>();
  #connector: Connector | undefined;
  #transport: string | null = null;
  #state: "idle" | "connecting" | "open" | "closed" = "idle";
  /** Counts the connections opened: a request knows which one it was sent on. */
  #serial = 0;
  #sent = 0;
  #nextId = 0;
  /** Requests not answered yet (sent, or waiting for a reconnect), in the order they were made. */
  readonly #pending = new Map<string, Pending>();
  readonly #byCount = new Map<number, Pending>();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  /** From an unexpected close until the reconnect that follows it is done (or given up). */
  #reconnecting = false;
  /** The reason of the close a reconnect is under way for. */
  #dropped = "";
  /** The server's `reconnectAfterMs` from a `server shutdown` goodbye: the next delay. */
  #reconnectAfterMs: number | undefined;
  #userClosed = false;
  #welcome: ((payload: ServerPayload) => void) | undefined;
  /** Ends a connect in progress (open or welcome not yet done) with an error. */
  #abortOpen: ((error: Error) => void) | undefined;
  /** The reason of the goodbye push, if the server sent one on this connection. */
  #goodbye: string | undefined;
  /** A coded goodbye (an authentication refusal): what `connect()` rejects with. */
  #refusal: { code: RequestErrorCode; message: string } | undefined;
  /** The session to resume: its id and the token of the last welcome. */
  #session: { id: string; token: string } | undefined;
  /** Per room heard, the position of the last push received (resume on). */
  readonly #positions = new Map<string, RoomPosition>();
  /** The `seq` of the last alert of the session received (resume on); 0: none. */
  #alertSeq = 0;
  /**
   * The ids of replies received that the server has not been told of yet (a session's, the
   * last {@link MAX_ACKS}): the next request acknowledges them, and the server forgets their
   * recorded replies.
   */
  #acks: string[] = [];

  constructor(private readonly options: ClientOptions) {
    super();
    if (options.auth !== undefined && options.connector !== undefined && !options.connector.hello) {
      throw new Error(
        "auth is sent in the hello: the connector must announce one (its hello property true)",
      );
    }
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

  /**
   * Connects, waits for the welcome, and resolves with the connection's details. While a
   * reconnect is scheduled, it makes that reconnect now.
   */
  connect(callback?: Callback<ConnectionDetails>): Promise<ConnectionDetails> {
    this.#userClosed = false;
    let opening: Promise<ConnectionDetails>;
    if (this.#reconnectTimer === undefined) {
      opening = this.#open().then((opened) => opened.details);
    } else {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
      opening = this.#reconnect();
    }
    return withCallback(opening, callback, {} as ConnectionDetails);
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
    return this.#verb<"action", never>(
      "action",
      { ...this.#trace(), ...(params ?? {}), action: name },
      callback,
    );
  }

  /** Says `message` to the current room: every member hears it, whatever their transport. */
  say(message: string, callback?: Callback<VerbReplies["say"]>): Promise<VerbReplies["say"]> {
    return this.#verb("say", { ...this.#trace(), message }, callback);
  }

  /** `{ traceparent }` from `options.traceparent`, if it gives one. */
  #trace(): { traceparent: string } | undefined {
    const traceparent = this.options.traceparent?.();
    return traceparent === undefined ? undefined : { traceparent };
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

  /** Leaves the current room and joins `room`; kept across reconnects. */
  roomChange(
    room: string,
    callback?: Callback<VerbReplies["roomChange"]>,
  ): Promise<VerbReplies["roomChange"]> {
    return this.#verb("roomChange", { room }, callback, (reply) => {
      this.#moved(room);
      this.#entered(room, reply.data);
    });
  }

  /** Hears `room` without joining it; kept across reconnects. */
  listenToRoom(
    room: string,
    callback?: Callback<VerbReplies["listenToRoom"]>,
  ): Promise<VerbReplies["listenToRoom"]> {
    return this.#verb("listenToRoom", { room }, callback, (reply) => {
      this.#entered(room, reply.data);
      this.listeningRooms.add(room);
      this.#syncDetails();
    });
  }

  /** Stops hearing a room heard with {@link ActionwireClient.listenToRoom}. */
  silenceRoom(
    room: string,
    callback?: Callback<VerbReplies["silenceRoom"]>,
  ): Promise<VerbReplies["silenceRoom"]> {
    return this.#verb("silenceRoom", { room }, callback, () => {
      this.listeningRooms.delete(room);
      this.#positions.delete(room);
      this.#syncDetails();
    });
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
    this.#reconnectTimer = undefined;
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
    onSuccess?: (response: ServerPayload) => void,
  ): Promise<R> {
    // The reply's shape is the server's verb table's (server-replies.ts), not checked here.
    return this.request(verb, params, callback as Callback | undefined, onSuccess) as Promise<R>;
  }

  /**
   * Sends any verb; resolves with the reply, rejects with a {@link RequestError}. With resume
   * on, a request made while the client reconnects waits for the resumed session.
   */
  request(
    event: string,
    params: Record<string, unknown> = {},
    callback?: Callback,
    onSuccess?: (response: ServerPayload) => void,
  ): Promise<ServerPayload> {
    const promise = this.#request(event, params, false);
    const tracked =
      onSuccess === undefined
        ? promise
        : promise.then((response) => {
            onSuccess(response);
            return response;
          });
    return withCallback(tracked, callback, { context: "response" });
  }

  /** Resume is on, and the connector can say hello. */
  get #resumeOn(): boolean {
    const { resume, connector } = this.options;
    return resume !== false && (connector === undefined || connector.hello === true);
  }

  /** Requests wait instead of going out: a reconnect is under way, and will resume. */
  get #holding(): boolean {
    return this.#reconnecting && this.#resumeOn;
  }

  #request(event: string, params: Record<string, unknown>, internal: boolean) {
    return new Promise<ServerPayload>((resolve, reject) => {
      const live =
        this.#state === "open" && this.#connector !== undefined && (internal || !this.#holding);
      if (!live) {
        if (internal || !this.#holding) {
          reject(new RequestError("not connected", "ERR_DISCONNECTED"));
          return;
        }
        const max = this.options.maxQueuedRequests ?? 100;
        if (this.#waiting() >= max) {
          reject(
            new RequestError(
              `too many requests waiting for the reconnect: maxQueuedRequests is ${max}`,
              "ERR_QUEUE_FULL",
            ),
          );
          return;
        }
      }
      const messageId = `c${++this.#nextId}`;
      const timer = setTimeout(() => {
        this.#settle(messageId);
        this.emit("timeout", event, params);
        reject(new RequestError(`${event} got no reply in time`, "ERR_TIMEOUT"));
      }, this.options.timeoutMs ?? 30_000);
      const pending: Pending = {
        event,
        params,
        count: 0,
        resolve,
        reject,
        timer,
        sentOn: undefined,
        internal,
      };
      this.#pending.set(messageId, pending);
      if (live) this.#transmit(messageId, pending);
    });
  }

  /** Requests waiting for a reconnect: not sent on the current connection. */
  #waiting(): number {
    let waiting = 0;
    for (const pending of this.#pending.values()) if (pending.sentOn !== this.#serial) waiting++;
    return waiting;
  }

  #transmit(messageId: string, pending: Pending): void {
    pending.count = ++this.#sent;
    pending.sentOn = this.#serial;
    this.#byCount.set(pending.count, pending);
    const request: Record<string, unknown> = {
      event: pending.event,
      params: pending.params,
      messageId,
    };
    if (this.#acks.length > 0) {
      request.ack = this.#acks;
      this.#acks = [];
    }
    this.#connector?.send(request);
  }

  /** Sends, in the order they were made, the requests not sent on this connection. */
  #flush(): void {
    for (const [messageId, pending] of this.#pending) {
      if (pending.sentOn !== this.#serial) this.#transmit(messageId, pending);
    }
  }

  async #open(): Promise<{ details: ConnectionDetails; resume: ResumeInfo }> {
    if (this.#state === "open" || this.#state === "connecting") {
      throw new RequestError("already connected", "ERR_ALREADY_CONNECTED");
    }
    this.#state = "connecting";
    const resuming = this.#reconnecting && this.#resumeOn;
    let connector: Connector;
    let auth: Record<string, unknown> | undefined;
    try {
      auth = await this.#auth();
      connector = this.options.connector ?? (await this.#defaultConnector());
    } catch (error) {
      if (this.#state === "connecting") this.#state = "closed";
      throw error;
    }
    if (this.#state !== "connecting") {
      throw new RequestError("disconnected while connecting", "ERR_DISCONNECTED");
    }
    if (this.options.connector !== undefined) this.#transport = "custom";
    const hello = connector.hello === true ? this.#hello(auth, resuming) : undefined;
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
            // The hello is the first frame: the server sends nothing before it.
            if (hello !== undefined && this.#connector === connector) {
              connector.send({ event: "hello", params: hello });
            }
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
    this.#serial++;
    this.#sent = 0;
    this.#byCount.clear();
    let greeting: ServerPayload;
    try {
      greeting = await welcome;
    } finally {
      clearTimeout(deadline);
      this.#abortOpen = undefined;
    }
    // A server of protocol version 1 knows no hello: it counted it as a request.
    if (hello !== undefined && !isObject(greeting.session)) this.#sent = 1;
    this.#state = "open";
    this.room = (greeting.room as string | null | undefined) ?? null;
    const resume = this.#adopt(greeting);
    if (resuming) {
      // A room heard before any push came from it has no position to resume from: whether it
      // missed something cannot be known, so it does not count as recovered.
      const asked = hello?.resume?.rooms ?? {};
      for (const room of resume.resumed ? this.#heard() : []) {
        if (room in asked || room in resume.rooms) continue;
        resume.rooms[room] = { recovered: false };
        resume.recovered = false;
      }
      if (resume.resumed) {
        // The server restored the rooms: what was in flight, or made since, goes out now, with
        // the same messageIds (the server answers each once).
        this.#flush();
      } else {
        // A new session: a request the old one got may have run; one never sent still waits.
        for (const [id, pending] of this.#pending) {
          if (pending.sentOn === undefined || pending.internal) continue;
          this.#settle(id);
          pending.reject(new RequestError(`disconnected: ${this.#dropped}`, "ERR_DISCONNECTED"));
        }
      }
    }
    const { data } = (await this.#request("detailsView", {}, true)) as VerbReplies["detailsView"];
    this.details = data;
    this.emit("connected", data);
    return { details: data, resume };
  }

  /** The `auth` option's value for this connect (its function is called each time). */
  async #auth(): Promise<Record<string, unknown> | undefined> {
    const { auth } = this.options;
    const value = typeof auth === "function" ? await auth() : auth;
    if (value !== undefined && !isObject(value)) {
      throw new TypeError("auth must be an object, or a function that returns one");
    }
    return value;
  }

  /** The hello's params: `auth`, and on a reconnect the session to resume with its rooms. */
  #hello(auth: Record<string, unknown> | undefined, resuming: boolean): HelloParams {
    const params: HelloParams = {};
    if (auth !== undefined) params.auth = auth;
    const session = this.#session;
    if (resuming && session !== undefined) {
      const rooms: Record<string, RoomPosition> = {};
      for (const room of this.#heard()) {
        const position = this.#positions.get(room);
        if (position !== undefined) rooms[room] = position;
      }
      // Only the rooms heard are resumed: the others' positions are of no further use.
      for (const room of this.#positions.keys()) if (!(room in rooms)) this.#positions.delete(room);
      params.resume = { session: session.id, token: session.token, rooms };
      if (this.#alertSeq > 0) params.resume.alerts = this.#alertSeq;
    }
    return params;
  }

  /** The current room and the rooms listened to. */
  #heard(): string[] {
    return this.room === null ? [...this.listeningRooms] : [this.room, ...this.listeningRooms];
  }

  /** Keeps the session of a welcome (its id and next token), and says how it came back. */
  #adopt(welcome: ServerPayload): ResumeInfo {
    const session = isObject(welcome.session) ? welcome.session : undefined;
    this.#session =
      typeof welcome.id === "string" && typeof session?.token === "string"
        ? { id: welcome.id, token: session.token }
        : undefined;
    // Acknowledgements name replies of the session they came from.
    if (session?.resumed !== true) this.#acks = [];
    if (session === undefined)
      return { resumed: false, recovered: false, reason: "disabled", rooms: {} };
    const info: ResumeInfo = {
      resumed: session.resumed === true,
      recovered: session.recovered === true,
      rooms: isObject(session.rooms) ? (session.rooms as Record<string, ResumedRoom>) : {},
    };
    if (typeof session.reason === "string") info.reason = session.reason;
    if (isObject(session.alerts)) info.alerts = session.alerts as ResumeInfo["alerts"];
    return info;
  }

  async #defaultConnector(): Promise<Connector> {
    const choice = this.options.transport ?? "ws";
    const hello = this.options.resume !== false || this.options.auth !== undefined;
    if (choice !== "auto") {
      this.#transport = choice;
      return createConnector(choice, this.options, hello);
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
    return createConnector(offered.name, withOfferedPath(this.options, offered), hello);
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
        if (message.code === "ERR_SHUTTING_DOWN" && this.#retriesAfterResume(pending)) return;
        // The session recorded this reply, in case it was lost: it was not.
        if (typeof id === "string" && this.#session !== undefined && this.#resumeOn) {
          // The newest count: the server forgets its oldest replies first anyway.
          if (this.#acks.length === MAX_ACKS) this.#acks.shift();
          this.#acks.push(id);
        }
        this.#settle(typeof id === "string" ? id : this.#idOf(pending));
        if (typeof message.error === "string") {
          pending.reject(new RequestError(message.error, replyCode(message.code), message));
        } else {
          pending.resolve(message);
        }
        return;
      }
      case "user":
        if (this.#fresh(message)) this.emit("say", message as unknown as ChatPush);
        return;
      case "alert":
        if (this.#freshAlert(message)) this.emit("alert", message as AlertPush);
        return;
      default:
        if ("welcome" in message) {
          // A new session numbers its alerts from 1 and has no positions yet: forgotten here,
          // before any push that follows the welcome in the same read.
          if (!isObject(message.session) || message.session.resumed !== true) {
            this.#positions.clear();
            this.#alertSeq = 0;
            if (typeof message.room === "string") this.#entered(message.room, message);
          }
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
            if (typeof message.reconnectAfterMs === "number") {
              this.#reconnectAfterMs = Math.max(0, message.reconnectAfterMs);
            }
            this.emit("goodbye", message as unknown as GoodbyePush);
          }
          this.emit("api", message);
        }
    }
  }

  /**
   * A room push not received before (resume on): one whose room position the client already
   * has (same epoch, offset not above the last) is a duplicate from a replay, and dropped.
   */
  #fresh(message: ServerPayload): boolean {
    const { room, epoch, offset } = message;
    if (!this.#resumeOn || typeof room !== "string") return true;
    if (typeof epoch !== "string" || typeof offset !== "number") return true;
    const last = this.#positions.get(room);
    if (last !== undefined && last.epoch === epoch && offset <= last.offset) return false;
    this.#positions.set(room, { epoch, offset });
    return true;
  }

  /**
   * The client began to hear a room: where the room's history stood then (the server says, to a
   * session) is the position it resumes from until a push from the room comes.
   */
  #entered(room: string, data: unknown): void {
    if (!isObject(data) || !isObject(data.position) || this.#positions.has(room)) return;
    const { epoch, offset } = data.position;
    if (typeof epoch === "string" && typeof offset === "number") {
      this.#positions.set(room, { epoch, offset });
    }
  }

  /** An alert not received before (resume on): one whose `seq` is not above the last is dropped. */
  #freshAlert(message: ServerPayload): boolean {
    const { seq } = message;
    if (!this.#resumeOn || typeof seq !== "number") return true;
    if (seq <= this.#alertSeq) return false;
    this.#alertSeq = seq;
    return true;
  }

  /**
   * A node that is stopping refuses a request without running it (`ERR_SHUTTING_DOWN`), and says
   * goodbye next. A client that will resume keeps the request and sends it again after the resume,
   * on the node it resumes on, as if it had not been sent (its deadline still runs).
   */
  #retriesAfterResume(pending: Pending): boolean {
    if (!this.#resumeOn || this.#session === undefined || pending.internal) return false;
    pending.sentOn = undefined;
    if (this.#byCount.get(pending.count) === pending) this.#byCount.delete(pending.count);
    return true;
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
    if (this.#byCount.get(pending.count) === pending) this.#byCount.delete(pending.count);
  }

  /** The client is now in `room` (a `roomChange` succeeded): `room` and `details` say so. */
  #moved(room: string): void {
    if (this.room !== null && this.room !== room) this.#positions.delete(this.room);
    this.room = room;
    this.listeningRooms.delete(room);
    this.#syncDetails();
  }

  /** `details.room` and `details.listeningRooms` follow the client's own room verbs. */
  #syncDetails(): void {
    if ("room" in this.details) this.details.room = this.room;
    if (Array.isArray(this.details.listeningRooms)) {
      this.details.listeningRooms = [...this.listeningRooms];
    }
  }

  /**
   * The connection ended without the user asking. It reconnects unless the server said goodbye
   * for a reason that a reconnect would only repeat (quit, a server-side disconnect, abuse).
   * With resume on, the requests not answered yet wait for the reconnect.
   */
  #lost(reason: string): void {
    const wasOpen = this.#state === "open";
    const why = this.#goodbye ?? reason;
    this.#connector = undefined;
    const again =
      wasOpen && !this.#userClosed && !FINAL_GOODBYES.has(why) && this.options.reconnect !== false;
    if (again) {
      this.#reconnecting = true;
      this.#dropped = why;
    }
    this.#ended(why, again);
    if (again) this.#scheduleReconnect();
  }

  /**
   * The connection is closed. Its requests reject with `ERR_DISCONNECTED`, unless a reconnect
   * follows (`again`) that will resume: then only the client's own (re)connect requests do.
   */
  #ended(reason: string, again = false): void {
    const wasClosed = this.#state === "closed" || this.#state === "idle";
    this.#state = "closed";
    const keep = again && this.#resumeOn;
    for (const [id, pending] of this.#pending) {
      if (keep && !pending.internal) continue;
      this.#settle(id);
      pending.reject(new RequestError(`disconnected: ${reason}`, "ERR_DISCONNECTED"));
    }
    if (!again) {
      // Given up: nothing will be resumed.
      this.#reconnecting = false;
      this.#session = undefined;
      this.#positions.clear();
      this.#alertSeq = 0;
    }
    if (!wasClosed) this.emit("disconnected", reason);
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer !== undefined || this.#userClosed) return;
    const base = this.options.reconnectDelayMs ?? 500;
    const max = this.options.maxReconnectDelayMs ?? 10_000;
    const backoff = Math.min(max, base * 2 ** this.#attempt++) * (0.5 + Math.random() / 2);
    // A server shutting down says when to come back (spread over its clients): that instead.
    const delay = this.#reconnectAfterMs ?? backoff;
    this.#reconnectAfterMs = undefined;
    this.emit("reconnecting", this.#attempt, Math.round(delay));
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#reconnect().catch(() => undefined);
    }, delay);
  }

  /**
   * One reconnect attempt. A resumed session is back in its rooms (the server restored them);
   * otherwise the client rejoins its room and listened rooms itself. A room it cannot have back
   * is an `error`, not a failed attempt: `reconnected` follows with the room it got.
   */
  async #reconnect(): Promise<ConnectionDetails> {
    const room = this.room;
    const listening = [...this.listeningRooms];
    let serial = -1;
    let resume: ResumeInfo;
    try {
      ({ resume } = await this.#open());
      serial = this.#serial;
      this.#attempt = 0;
      if (resume.resumed) this.#restored(room, listening, resume);
      else await this.#rejoin(room, listening, serial);
    } catch (error) {
      // The connection dropped again during the rejoin: the reconnect that follows takes over.
      if (serial !== -1 && serial !== this.#serial) throw error;
      this.emit("error", error as Error);
      if (!this.#userClosed) this.#scheduleReconnect();
      throw error;
    }
    if (serial !== this.#serial || this.#state !== "open") {
      throw new RequestError(`disconnected: ${this.#dropped}`, "ERR_DISCONNECTED");
    }
    this.#reconnecting = false;
    this.#flush();
    if (this.#resumeOn) this.emit("resumed", resume);
    const details = this.details as ConnectionDetails;
    this.emit("reconnected", details);
    return details;
  }

  /**
   * After a resume the rooms are the server's (it rejoined them, authorized again): the client
   * takes them from the details, and a room the session could not keep is an `error`.
   */
  #restored(room: string | null, listening: string[], resume: ResumeInfo): void {
    const now = this.details;
    if ("room" in now) this.room = (now.room as string | null) ?? null;
    const heard = Array.isArray(now.listeningRooms) ? (now.listeningRooms as string[]) : listening;
    this.listeningRooms.clear();
    for (const r of heard) this.listeningRooms.add(r);
    const lost = listening.filter((r) => !this.listeningRooms.has(r) && r !== this.room);
    if (room !== null && room !== this.room) lost.unshift(room);
    for (const r of lost) {
      this.#positions.delete(r);
      resume.rooms[r] = { recovered: false, refused: true };
      resume.recovered = false;
      this.emit(
        "error",
        new RequestError(`room "${r}" was refused when the session resumed`, "ERR_NOT_AUTHORIZED"),
      );
    }
  }

  /**
   * After a reconnect that did not resume, the client moves back to its room and listens to
   * its rooms again. A room it may no longer have is an `error` and is dropped: `room`,
   * `listeningRooms` and `details` say where it is.
   */
  async #rejoin(room: string | null, listening: string[], serial: number): Promise<void> {
    if (room !== null && room !== this.room) {
      try {
        await this.#request("roomChange", { room }, true);
        this.#moved(room);
      } catch (error) {
        this.#refused(error, serial, `could not rejoin room "${room}" after the reconnect`);
      }
    }
    for (const r of listening) {
      if (r === this.room) {
        this.listeningRooms.delete(r);
        continue;
      }
      try {
        await this.#request("listenToRoom", { room: r }, true);
      } catch (error) {
        if ((error as RequestError).code === "ERR_ALREADY_LISTENING") continue;
        this.#refused(error, serial, `could not listen to room "${r}" after the reconnect`);
        this.listeningRooms.delete(r);
        this.#positions.delete(r);
      }
    }
    this.#syncDetails();
  }

  /** A rejoin was refused: an `error`; unless the connection itself is gone (then it throws). */
  #refused(error: unknown, serial: number, message: string): void {
    if (serial !== this.#serial || this.#state !== "open") throw error;
    const cause = error as RequestError;
    this.emit(
      "error",
      new RequestError(
        `${message}: ${cause.message}`,
        cause.code ?? "ERR_UNKNOWN",
        cause.response,
        {
          cause,
        },
      ),
    );
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
