/**
 * Types for the parts of faye 1.4 that actionwire uses (the faye adapter, the faye connector and
 * the tests). faye publishes no types of its own. The package is CommonJS with one
 * `module.exports` object, so an ES module sees it as the default export only.
 */
declare module "faye" {
  import type { IncomingMessage, ServerResponse } from "node:http";
  import type { Duplex } from "node:stream";

  /** One Bayeux message, as extensions see it. */
  export interface Message {
    channel: string;
    clientId?: string;
    id?: string;
    data?: unknown;
    /** `/meta/subscribe` and `/meta/unsubscribe`: the channel (or channels) asked for. */
    subscription?: string | string[];
    successful?: boolean;
    /** A Bayeux error, `code:args:message` (`403:/chat:Forbidden channel`). */
    error?: string;
    advice?: { reconnect?: "retry" | "handshake" | "none"; interval?: number; timeout?: number };
    [key: string]: unknown;
  }

  /**
   * A server extension. faye passes `request` only to functions declared with three
   * parameters; it is `null` for the server's own in-process client.
   */
  export interface ServerExtension {
    incoming?(
      message: Message,
      request: IncomingMessage | null,
      callback: (message: Message) => void,
    ): void;
    outgoing?(
      message: Message,
      request: IncomingMessage | null,
      callback: (message: Message) => void,
    ): void;
  }

  /** A client extension. */
  export interface ClientExtension {
    incoming?(message: Message, callback: (message: Message) => void): void;
    outgoing?(message: Message, callback: (message: Message) => void): void;
  }

  /** A Bayeux error as the client reports it (`Faye.Error`). */
  export interface FayeError {
    code: number | null;
    params: string[];
    message: string;
  }

  /** Settles when the server has answered the publish; rejects with a {@link FayeError}. */
  export type Publication = PromiseLike<void>;

  /** Settles when the server has confirmed the subscription; rejects with a {@link FayeError}. */
  export interface Subscription extends PromiseLike<void> {
    cancel(): void;
  }

  /** Decides whether and when a message is (re)sent; see faye's "retry" documentation. */
  export interface Scheduler {
    readonly message: Message;
    /** Attempts made so far (0 before the first send). */
    readonly attempts: number;
    isDeliverable(): boolean;
    /** Seconds before a failed message is sent again. */
    getInterval(): number;
  }

  export interface SchedulerConstructor {
    new (message: Message, options: Record<string, unknown>): Scheduler;
    prototype: Scheduler;
  }

  export interface ClientOptions {
    /** Seconds to wait before a failed request is retried. */
    retry?: number;
    /** Seconds the server may hold a long-poll. */
    timeout?: number;
    scheduler?: SchedulerConstructor;
  }

  export type ClientEvent = "transport:down" | "transport:up";

  export interface Client {
    /** Turns off a transport (`websocket`, `eventsource`, …) or a feature (`autodisconnect`). */
    disable(feature: string): void;
    addExtension(extension: ClientExtension): void;
    /** Handshakes (if needed), then calls `callback` once the client is connected. */
    connect(callback?: () => void): void;
    subscribe(channel: string, callback: (data: unknown) => void): Subscription;
    publish(channel: string, data: unknown): Publication;
    /** Ends the session; `undefined` when the client is not connected. */
    disconnect(): Publication | undefined;
    on(event: ClientEvent, listener: () => void): void;
    /** Sets a header on every HTTP request (and the WebSocket upgrade) the client makes. */
    setHeader(name: string, value: string): void;
  }

  export interface NodeAdapterOptions {
    mount?: string;
    /** Seconds a long-poll is held; a client silent for twice this long loses its session. */
    timeout?: number;
    /** Seconds between WebSocket pings. */
    ping?: number;
  }

  export type NodeAdapterEvent = "handshake" | "disconnect" | "subscribe" | "unsubscribe";

  export interface NodeAdapter {
    handle(request: IncomingMessage, response: ServerResponse): void;
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
    addExtension(extension: ServerExtension): void;
    /** The server's own in-process client. */
    getClient(): Client;
    close(): void;
    on(event: "handshake" | "disconnect", listener: (clientId: string) => void): void;
    on(
      event: "subscribe" | "unsubscribe",
      listener: (clientId: string, channel: string) => void,
    ): void;
  }

  interface Faye {
    readonly VERSION: string;
    Client: new (endpoint: string, options?: ClientOptions) => Client;
    Scheduler: SchedulerConstructor;
    /** Node only (the browser bundle has no server). */
    NodeAdapter: new (options?: NodeAdapterOptions) => NodeAdapter;
    /** faye's log, off unless set: a function per level (`debug`, `info`, `warn`, `error`). */
    logger?: Partial<Record<"debug" | "info" | "warn" | "error" | "fatal", (line: string) => void>>;
  }

  const faye: Faye;
  export default faye;
}
