import type { Callback, ClientEvents, ServerPayload } from "./actionwire-client.js";
import { BrowserActionwireClient, type BrowserClientOptions } from "./browser-actionwire-client.js";

/** Handlers a seed page sets with `A.events = { say, alert }`, by client event name. */
export type ActionHeroEventHandlers = {
  [E in keyof ClientEvents]?: (...args: ClientEvents[E]) => void;
};

/** The client events passed on to {@link ActionHeroWebSocket.events}. */
const EVENTS = [
  "welcome",
  "say",
  "alert",
  "api",
  "connected",
  "disconnected",
  "reconnecting",
  "resumed",
  "reconnected",
  "timeout",
  "error",
] as const satisfies ReadonlyArray<keyof ClientEvents>;

/**
 * The seeds' `actionHeroWebSocket` (seed 000), served in `/public/javascript/actionHeroWebSocket.js`
 * as the global `actionHeroWebSocket`: `var A = new actionHeroWebSocket; A.events = {say, alert};
 * A.connect(function(err, details){ … })`. It runs on {@link BrowserActionwireClient} with the
 * best transport the server offers, and reconnects (rejoining its rooms) like it.
 */
export class ActionHeroWebSocket {
  /** Event handlers, looked up when an event happens (so they may be set after `new`). */
  events: ActionHeroEventHandlers = {};
  /** The client underneath (its promises, `on`, `transport`, …). */
  readonly client: BrowserActionwireClient;

  constructor(options?: BrowserClientOptions) {
    this.client = new BrowserActionwireClient(options);
    for (const name of EVENTS) {
      this.client.on(name, (...args: unknown[]) => {
        const handler = this.events[name] as ((...a: unknown[]) => void) | undefined;
        if (typeof handler === "function") handler.apply(this, args);
      });
    }
  }

  /** The connection's details (`detailsView` data), refreshed at every (re)connect. */
  get details(): Record<string, unknown> {
    return this.client.details;
  }

  /** The seeds' formatted console logger. */
  log(message: unknown): void {
    this.client.log(message);
  }

  /** Connects; the callback gets `(error, details)`, details being the `detailsView` data. */
  connect(callback?: Callback<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return quiet(this.client.connect(callback));
  }

  /**
   * Sends a raw request: `{ event: "roomView", params: {} }`, or an action in actionHero's
   * form `{ action: "cacheTest", params: { key } }` (or with the params beside `action`).
   */
  send(message: Record<string, unknown>, callback?: Callback): Promise<ServerPayload> {
    const { event, action, params, ...rest } = message;
    const given = isObject(params) ? params : rest;
    if (typeof event === "string") return quiet(this.client.request(event, given, callback));
    if (typeof action === "string") return quiet(this.client.action(action, given, callback));
    const error = "send() needs an event (a verb) or an action name";
    callback?.(error, { context: "response", error });
    return quiet(Promise.reject(new Error(error)));
  }

  /**
   * Tells the server an address, stored as `claimedIP` and never trusted. Without one, it claims
   * the address the server sees (`details.remoteIP`): no third-party service is called.
   */
  setIP(ip?: string | Callback, callback?: Callback): Promise<ServerPayload> {
    if (typeof ip === "function") [callback, ip] = [ip, undefined];
    return quiet(this.client.setIP(ip ?? String(this.client.details.remoteIP ?? ""), callback));
  }

  action(
    name: string,
    params?: Record<string, unknown> | null | Callback,
    callback?: Callback,
  ): Promise<ServerPayload> {
    if (typeof params === "function") [callback, params] = [params, undefined];
    return quiet(this.client.action(name, params ?? {}, callback));
  }

  say(message: string, callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.say(message, callback));
  }

  detailsView(callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.detailsView(callback));
  }

  roomView(callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.roomView(callback));
  }

  roomChange(room: string, callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.roomChange(room, callback));
  }

  listenToRoom(room: string, callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.listenToRoom(room, callback));
  }

  silenceRoom(room: string, callback?: Callback): Promise<ServerPayload> {
    return quiet(this.client.silenceRoom(room, callback));
  }

  /** Says goodbye and closes; no reconnect follows. */
  disconnect(): void {
    this.client.disconnect();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The seed's API returned nothing, so its pages never catch: a rejection goes to the callback
 * when there is one, and never surfaces as an unhandled rejection.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
