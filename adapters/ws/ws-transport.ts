import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { RawData, WebSocket, WebSocketServer } from "ws";
import { BaseTransport } from "../../src/core/base-transport.js";
import { loadPackage } from "../../src/core/load-package.js";
import { packageVersion } from "../../src/core/package-version.js";
import type { Connection } from "../../src/core/connection.js";
import type { PreparedMessage } from "../../src/core/prepared-message.js";
import type { TransportCapabilities, TransportHost } from "../../src/core/realtime-transport.js";
import { wsInternals, type WsInternals, type WsPackageInternals } from "./ws-internals.js";
import { parseWsOptions, type WsOptions } from "./ws-options.js";
import type { WsSocket } from "./ws-socket.js";

/** The listeners every socket shares (`this` is the socket). */
interface WsListeners {
  message(this: WebSocket, data: RawData, isBinary: boolean): void;
  pong(this: WebSocket): void;
  error(this: WebSocket, error: Error): void;
  close(this: WebSocket): void;
}

/**
 * Raw WebSocket transport (the `ws` package): one JSON text frame per message, both ways, on
 * one path of the shared HTTP server. Dead sockets are reaped by ping/pong: one that did not
 * answer gets the goodbye `timeout`, and is terminated if it has not closed a period later.
 */
export class WsTransport extends BaseTransport<WsSocket> {
  readonly name: string = "ws";
  #maxPayload: number | null = null;

  #server: WebSocketServer | undefined;
  #options: WsOptions | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Sockets that have not answered the last ping. */
  readonly #silent = new Set<WebSocket>();
  /** ws's internals for framing a broadcast once; unset with permessage-deflate. */
  #internals: WsInternals | undefined;
  #listeners: WsListeners | undefined;
  /** Raw sockets corked by a broadcast in this tick, uncorked together at its end. */
  readonly #corked: Socket[] = [];
  readonly #uncork = () => {
    for (const raw of this.#corked) raw.uncork();
    this.#corked.length = 0;
  };
  /** Every socket until its close event, with its connection (which may already be closed). */
  readonly #live = new Map<WebSocket, Connection>();

  get capabilities(): TransportCapabilities {
    return {
      nativeAcks: false,
      nativeBroadcast: false,
      binary: true,
      needsStickySessions: false,
      maxPayload: this.#maxPayload,
    };
  }

  /** Validates `config.ws`. */
  static validateOptions(raw: unknown): WsOptions {
    return parseWsOptions(raw);
  }

  protected async listen(host: TransportHost): Promise<void> {
    const wsPackage = await loadPackage<typeof import("ws")>("ws", "ws");
    const options =
      (host.config.transportOptions[this.name] as WsOptions | undefined) ?? parseWsOptions({});
    this.#options = options;
    // With permessage-deflate ws may queue frames while it compresses: broadcasts go through
    // its own send then, so nothing overtakes a queued frame, and no internal is needed.
    if (!options.perMessageDeflate) {
      const version = packageVersion("ws", import.meta.url);
      this.#internals = wsInternals(wsPackage as unknown as WsPackageInternals, version);
    }
    const maxPayload = host.config.limits.maxMessageBytes;
    this.#maxPayload = maxPayload;
    this.#server = new wsPackage.WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: options.perMessageDeflate,
      clientTracking: false,
    });
    const server = this.#server;
    host.upgrades.add(options.path, (request, socket, head) => {
      server.handleUpgrade(request, socket, head, (ws) => this.#open(ws, request));
    });
    if (options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#ping(), options.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  endpoint(baseUrl: string): string {
    return baseUrl.replace(/^http/, "ws") + (this.#options?.path ?? "/ws");
  }

  protected override backlog(socket: WsSocket): { bytes: number; messages: number } {
    return { bytes: socket.bufferedAmount, messages: 0 };
  }

  /**
   * A message for several connections (a room) is framed once, and the same bytes go to each
   * socket, corked until the end of the tick: a burst of messages leaves in one write per
   * socket instead of one per message. One connection (a reply) is a plain `send`.
   */
  override send(connectionIds: Iterable<string>, message: PreparedMessage): void {
    const internals = this.#internals;
    if (internals === undefined || !Array.isArray(connectionIds) || connectionIds.length < 2) {
      super.send(connectionIds, message);
      return;
    }
    let bytes: Buffer | undefined;
    for (const id of connectionIds as string[]) {
      const connection = this.connectionOf(id);
      if (connection === undefined) continue;
      const socket = this.socketOf(connection);
      if (socket.readyState !== 1 || !this.admits(connection, socket, message)) continue;
      const raw = internals.rawSocket(socket);
      if (raw.writableCorked === 0) {
        if (this.#corked.length === 0) process.nextTick(this.#uncork);
        raw.cork();
        this.#corked.push(raw);
      }
      raw.write((bytes ??= internals.frameText(Buffer.from(message.json))));
    }
  }

  /**
   * Several messages for one connection (a resume's welcome and replay): its raw socket is
   * corked around them, so they leave in one write instead of one per message.
   */
  override sendSeries(connectionId: string, messages: readonly PreparedMessage[]): void {
    const connection = this.connectionOf(connectionId);
    const internals = this.#internals;
    if (connection === undefined || internals === undefined || messages.length < 2) {
      super.sendSeries(connectionId, messages);
      return;
    }
    const socket = this.socketOf(connection);
    if (socket.readyState !== 1) return;
    const raw = internals.rawSocket(socket);
    raw.cork();
    try {
      super.sendSeries(connectionId, messages);
    } finally {
      raw.uncork();
    }
  }

  protected write(socket: WsSocket, message: PreparedMessage): void {
    if (socket.readyState === 1) socket.send(message.json);
  }

  protected terminate(socket: WsSocket): void {
    socket.close(1000);
  }

  protected async shutdown(): Promise<void> {
    clearInterval(this.#heartbeat);
    if (this.#options !== undefined) this.host.upgrades.remove(this.#options.path);
    for (const socket of this.#live.keys()) socket.terminate();
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }

  #open(ws: WebSocket, request: IncomingMessage): void {
    const { ip, port } = this.host.remoteAddress(request);
    const connection = this.accept(ws, { remoteIP: ip, remotePort: port, request });
    this.#live.set(ws, connection);
    // The same four listeners for every socket (`this` is the socket): no closures per socket.
    const listeners = (this.#listeners ??= this.#makeListeners());
    ws.on("message", listeners.message);
    ws.on("pong", listeners.pong);
    ws.on("error", listeners.error);
    ws.on("close", listeners.close);
  }

  #makeListeners(): WsListeners {
    const host = this.host;
    const release = (connection: Connection) => this.release(connection);
    const live = this.#live;
    const silent = this.#silent;
    return {
      message(this: WebSocket, data: RawData, isBinary: boolean): void {
        const connection = live.get(this);
        if (connection === undefined) return;
        silent.delete(this);
        if (!isBinary) host.receiveText(connection, data.toString());
        else host.receiveText(connection, Buffer.isBuffer(data) ? data : Buffer.alloc(0));
      },
      pong(this: WebSocket): void {
        silent.delete(this);
      },
      error(this: WebSocket, error: Error): void {
        const id = live.get(this)?.id;
        host.logger.debug("ws socket error", { id, error: error.message });
      },
      close(this: WebSocket): void {
        const connection = live.get(this);
        live.delete(this);
        silent.delete(this);
        if (connection !== undefined) release(connection);
      },
    };
  }

  /**
   * One heartbeat period: a socket that answered (or sent anything) since the last one is
   * pinged again. One that did not is timed out: the goodbye and a close frame go out. One
   * still not closed a period after that (its connection already closed) is terminated: a
   * half-open peer never answers the close frame.
   */
  #ping(): void {
    for (const [ws, connection] of this.#live) {
      if (!this.#silent.has(ws)) {
        this.#silent.add(ws);
        ws.ping();
      } else if (connection.open) {
        this.host.close(connection, "timeout");
      } else {
        ws.terminate();
      }
    }
  }
}
