/**
 * Types for the parts of Primus 8 the benchmarks use (its server and its Node client over the
 * ws transformer). Primus publishes no types of its own; the package is CommonJS with one
 * `module.exports` class, so an ES module sees it as the default export only.
 */
declare module "primus" {
  import type { Server } from "node:http";

  export interface PrimusOptions {
    /** The real-time framework underneath (`websockets` is the ws package). */
    transformer?: string;
    /** Where Primus listens on the HTTP server. */
    pathname?: string;
    [option: string]: unknown;
  }

  /** One connection, server side; data arrives and leaves through the JSON parser. */
  export interface Spark {
    write(data: unknown): boolean;
    on(event: "data", listener: (data: unknown) => void): this;
    end(): void;
  }

  /** One connection, client side (the generated client library, run in Node). */
  export interface ClientSocket {
    write(data: unknown): boolean;
    on(event: "open" | "end", listener: () => void): this;
    on(event: "data", listener: (data: unknown) => void): this;
    on(event: "error", listener: (error: Error) => void): this;
    once(event: "data", listener: (data: unknown) => void): this;
    once(event: "error", listener: (error: Error) => void): this;
    end(): void;
  }

  /** The client class `createSocket` builds; `strategy: false` turns reconnection off. */
  export type ClientSocketClass = new (
    url: string,
    options?: { strategy?: false | string; [option: string]: unknown },
  ) => ClientSocket;

  export default class Primus {
    constructor(server: Server, options?: PrimusOptions);
    on(event: "connection", listener: (spark: Spark) => void): this;
    /** Closes every spark (and the HTTP server unless `close: false`). */
    destroy(options?: { close?: boolean; timeout?: number }, done?: () => void): void;
    /** A client class for Node, compiled from the server's options. */
    static createSocket(options?: PrimusOptions): ClientSocketClass;
  }
}
