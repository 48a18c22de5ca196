import type { ResumeInfo, ServerPayload } from "./actionwire-client.js";
import { BrowserActionwireClient, type BrowserClientOptions } from "./browser-actionwire-client.js";
import { Emitter } from "./emitter.js";

/** Seed 001's reply callback: the error text (or `null`), the reply, and the round trip in ms. */
export type AHsocketCallback = (
  error: string | null,
  response: ServerPayload,
  delta: number,
) => void;

/** Events of {@link AHsocket}, as seed 001 emits them. */
export interface AHsocketEvents extends Record<string, unknown[]> {
  welcome: [ServerPayload];
  say: [ServerPayload];
  alert: [ServerPayload];
  connected: [Record<string, unknown>];
  disconnected: [string];
  /** A reconnect is scheduled: its attempt number (from 1) and its delay in ms. */
  reconnecting: [number, number];
  reconnected: [Record<string, unknown>];
  /** How a reconnect resumed the session (before `reconnected`). */
  resumed: [ResumeInfo];
  /** A request got no reply in time: the verb and its params. */
  timeout: [string, Record<string, unknown>];
  /** `("web socket error", error)`, as the seed emits it. */
  error: [string, unknown];
}

/**
 * Seed 001's `AHsocket`, served in `/public/javascript/actionHeroWebSocket.js` as the global
 * `AHsocket`: `var s = new AHsocket(function(details){ … }); s.action("cacheTest", {key: "k",
 * value: "v"}, function(err, response, delta){ … }); s.on("say", …)`. It connects at once, over
 * the best transport the server offers, and reconnects (rejoining its rooms) by itself.
 */
export class AHsocket extends Emitter<AHsocketEvents> {
  /** The connection's details (`detailsView` data), refreshed at every (re)connect. */
  details: Record<string, unknown> = {};
  /** The client underneath. */
  readonly client: BrowserActionwireClient;

  constructor(
    connectCallback?: ((details: Record<string, unknown>) => void) | null,
    options?: BrowserClientOptions,
  ) {
    super();
    const client = new BrowserActionwireClient(options);
    this.client = client;
    client.on("welcome", (message) => this.emit("welcome", message));
    client.on("say", (message) => this.emit("say", message));
    client.on("alert", (message) => this.emit("alert", message));
    client.on("disconnected", (reason) => this.emit("disconnected", reason));
    client.on("timeout", (event, params) => this.emit("timeout", event, params));
    client.on("error", (error) => this.emit("error", "web socket error", error));
    client.on("connected", (details) => {
      this.details = details;
      this.emit("connected", details);
    });
    client.on("reconnecting", (attempt, delay) => this.emit("reconnecting", attempt, delay));
    client.on("resumed", (info) => this.emit("resumed", info));
    client.on("reconnected", (details) => this.emit("reconnected", details));
    client.connect().then(
      (details) => {
        if (typeof connectCallback === "function") connectCallback(details);
      },
      (error: unknown) => this.emit("error", "web socket error", error),
    );
  }

  /** Sends any verb; `next` gets `(error, response, delta)`. */
  registerCallback(
    event: string,
    params?: Record<string, unknown> | null,
    next?: AHsocketCallback,
  ): Promise<ServerPayload> {
    return this.#settle(this.client.request(event, params ?? {}), next);
  }

  action(
    action: string,
    params?: Record<string, unknown> | null,
    next?: AHsocketCallback,
  ): Promise<ServerPayload> {
    return this.registerCallback("action", { ...params, action }, next);
  }

  say(message: string, next?: AHsocketCallback): Promise<ServerPayload> {
    return this.registerCallback("say", { message }, next);
  }

  detailsView(next?: AHsocketCallback): Promise<ServerPayload> {
    return this.registerCallback("detailsView", {}, next);
  }

  roomView(next?: AHsocketCallback): Promise<ServerPayload> {
    return this.registerCallback("roomView", {}, next);
  }

  // Room verbs go through the client's own methods: it remembers the room and the listened
  // rooms, for a reconnect to rejoin.
  roomChange(room: string, next?: AHsocketCallback): Promise<ServerPayload> {
    return this.#settle(this.client.roomChange(room), next);
  }

  listenToRoom(room: string, next?: AHsocketCallback): Promise<ServerPayload> {
    return this.#settle(this.client.listenToRoom(room), next);
  }

  silenceRoom(room: string, next?: AHsocketCallback): Promise<ServerPayload> {
    return this.#settle(this.client.silenceRoom(room), next);
  }

  /** Says goodbye (`quit`) and closes; no reconnect follows. */
  quit(): void {
    this.client.disconnect();
  }

  /**
   * Calls `next` with the round trip. The seed's API returned nothing, so its pages never catch:
   * the returned promise's rejection counts as handled.
   */
  #settle(reply: Promise<ServerPayload>, next?: AHsocketCallback): Promise<ServerPayload> {
    const started = Date.now();
    reply.then(
      (response) => next?.(null, response, Date.now() - started),
      (error: Error & { response?: ServerPayload }) =>
        next?.(error.message, error.response ?? { context: "response" }, Date.now() - started),
    );
    return reply;
  }
}
