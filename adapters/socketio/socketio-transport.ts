import { once } from "node:events";
import type { Server, Socket } from "socket.io";
import { BaseTransport } from "../../src/core/base-transport.js";
import type { Connection } from "../../src/core/connection.js";
import { isPlainObject } from "../../src/core/inbound-request.js";
import { loadPackage } from "../../src/core/load-package.js";
import type { PreparedMessage } from "../../src/core/prepared-message.js";
import type { TransportCapabilities, TransportHost } from "../../src/core/realtime-transport.js";
import {
  engineInternals,
  loadEnginePackages,
  type EngineInternals,
  type EngineSocket,
} from "./engine-internals.js";
import { parseSocketIoOptions, type SocketIoOptions } from "./socketio-options.js";
import type { SocketIoSocket } from "./socketio-socket.js";

/**
 * socket.io 4 on the shared HTTP server. The client emits the verb as the event name with the
 * params as payload; an ack callback gets the reply, otherwise it comes as a `response` event.
 * Pushes are `say`, `welcome`, `alert` and `api` events. Room broadcasts use socket.io's own
 * multi-socket emit, which encodes the packet once.
 */
export class SocketIoTransport extends BaseTransport<SocketIoSocket> {
  readonly name: string = "socketio";
  #io: Server | undefined;
  #options: SocketIoOptions = parseSocketIoOptions({});
  #maxPayload: number | null = null;
  /** engine.io's internals, checked at start. */
  #engine: EngineInternals | undefined;
  /** Engine connections told to close that may still be flushing, with their close. */
  readonly #closing = new Map<EngineSocket, Promise<unknown>>();

  get capabilities(): TransportCapabilities {
    return {
      nativeAcks: true,
      nativeBroadcast: true,
      binary: true,
      needsStickySessions: this.#options.transports.includes("polling"),
      maxPayload: this.#maxPayload,
    };
  }

  /** Validates `config.socketio`. */
  static validateOptions(raw: unknown): SocketIoOptions {
    return parseSocketIoOptions(raw);
  }

  endpoint(baseUrl: string): string {
    return `${baseUrl}${this.#options.path}`;
  }

  protected async listen(host: TransportHost): Promise<void> {
    const http = host.httpServer;
    if (http === null) {
      throw new Error(
        "the socketio transport needs an HTTP server: set config.port or config.server",
      );
    }
    const { Server } = await loadPackage<typeof import("socket.io")>("socket.io", "socketio");
    this.#engine = engineInternals(loadEnginePackages());
    this.#options =
      (host.config.transportOptions[this.name] as SocketIoOptions | undefined) ?? this.#options;
    const options = this.#options;
    this.#maxPayload = host.config.limits.maxMessageBytes;
    const before = new Set(http.listeners("upgrade"));
    const io = new Server(http, {
      path: options.path,
      transports: options.transports,
      pingInterval: options.pingInterval,
      pingTimeout: options.pingTimeout,
      serveClient: options.serveClient,
      maxHttpBufferSize: this.#maxPayload,
      destroyUpgrade: false,
      ...(options.cors ? { cors: options.cors } : {}),
    });
    this.#io = io;
    // engine.io added its own upgrade listener; upgrades reach it through the one router instead.
    for (const listener of http.listeners("upgrade")) {
      if (!before.has(listener)) http.off("upgrade", listener as (...args: unknown[]) => void);
    }
    if (options.transports.includes("websocket")) {
      host.upgrades.add(`${options.path}/`, (request, socket, head) =>
        io.engine.handleUpgrade(request, socket, head),
      );
    }
    io.on("connection", (socket) => this.#open(socket));
  }

  /** One socket: one write. Many: one socket.io broadcast, encoded once. */
  override send(connectionIds: Iterable<string>, message: PreparedMessage): void {
    const ids = Array.isArray(connectionIds) ? (connectionIds as string[]) : [...connectionIds];
    if (ids.length < 2 || this.#io === undefined) {
      super.send(ids, message);
      return;
    }
    const socketIds: string[] = [];
    for (const id of ids) {
      const connection = this.connectionOf(id);
      if (connection === undefined) continue;
      const socket = this.socketOf(connection);
      if (this.admits(connection, socket, message)) socketIds.push(socket.id);
    }
    if (socketIds.length > 0) this.#io.to(socketIds).emit(message.event, message.payload);
  }

  /** engine.io's packets waiting for the transport (a poll, or the WebSocket's drain). */
  protected override backlog(socket: SocketIoSocket): { bytes: number; messages: number } {
    const { conn } = socket as Socket;
    return { bytes: 0, messages: this.#engine!.backlog(conn as unknown as EngineSocket) };
  }

  protected write(socket: SocketIoSocket, message: PreparedMessage): void {
    socket.emit(message.event, message.payload);
  }

  protected terminate(ioSocket: SocketIoSocket): void {
    // Every socket this transport holds is socket.io's (see #open).
    const socket = ioSocket as Socket;
    // The engine flushes what was already written (the goodbye) before it closes.
    const conn = socket.conn as unknown as EngineSocket;
    if (socket.conn.readyState !== "closed") {
      const closed = once(socket.conn, "close").then(() => {
        this.#closing.delete(conn);
        this.#engine!.releasePendingClose(conn);
      });
      this.#closing.set(conn, closed);
    }
    socket.disconnect(true);
  }

  protected async shutdown(): Promise<void> {
    const io = this.#io;
    if (io === undefined) return;
    this.host.upgrades.remove(`${this.#options.path}/`);
    io.disconnectSockets(true);
    // Closing sockets flush what they still buffer (a goodbye, perhaps waiting for the next
    // poll) first; engine.close() would discard it, so give them shutdownTimeoutMs to finish.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(resolve, this.host.config.shutdownTimeoutMs);
    });
    await Promise.race([Promise.all(this.#closing.values()), deadline]);
    clearTimeout(timer);
    for (const conn of this.#closing.keys()) this.#engine!.releasePendingClose(conn);
    // Not io.close(): that would close the HTTP server, which may be the application's.
    io.engine.close();
    this.#io = undefined;
  }

  #open(socket: Socket): void {
    const { ip, port } = this.host.remoteAddress(socket.request);
    const connection = this.accept(socket, {
      remoteIP: ip,
      remotePort: port,
      request: socket.request,
    });
    // A middleware that never calls next: every event is taken here, before socket.io would
    // emit it on the socket (a tick later, to no listener: onAny would leave that to run too).
    socket.use((packet) => this.#receive(connection, packet));
    socket.on("disconnect", () => this.release(connection));
    const engine = this.#engine!;
    engine.coalesceWrites((socket.conn as unknown as EngineSocket).transport);
    socket.conn.on("upgrade", engine.coalesceWrites);
  }

  /**
   * One event from the client: its name, its arguments (the payload, then, from a session's
   * client, `{ ack }`), and the ack callback if it asked.
   */
  #receive(connection: Connection, packet: unknown[]): void {
    const event = packet[0];
    const last = packet.length > 1 ? packet[packet.length - 1] : undefined;
    const ack = typeof last === "function" ? (last as (reply: unknown) => void) : undefined;
    const args = ack === undefined ? packet.length : packet.length - 1;
    const payload = args > 1 ? packet[1] : undefined;
    let params: unknown = payload;
    let messageId: unknown;
    if (isPlainObject(payload) && Object.hasOwn(payload, "messageId")) {
      ({ messageId, ...params } = payload as Record<string, unknown>);
    }
    const request: Record<string, unknown> = { event, params, messageId };
    const extra = args > 2 ? packet[2] : undefined;
    if (isPlainObject(extra) && extra.ack !== undefined) request.ack = extra.ack;
    this.host.receiveRequest(
      connection,
      request,
      ack && ((message: PreparedMessage) => ack(message.payload)),
    );
  }
}
