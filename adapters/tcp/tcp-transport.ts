import type { Server, Socket } from "node:net";
import { BaseTransport } from "../../src/core/base-transport.js";
import type { Connection } from "../../src/core/connection.js";
import { urlHost } from "../../src/core/url-host.js";
import type { PreparedMessage } from "../../src/core/prepared-message.js";
import type { TransportCapabilities, TransportHost } from "../../src/core/realtime-transport.js";
import { readTcpLine } from "./tcp-line.js";
import { parseTcpOptions, type TcpOptions } from "./tcp-options.js";

/**
 * How long a socket the server ended may take to close (the peer reading what is left and
 * closing its side) before it is destroyed: a peer that is gone, or never closes, would hold
 * it forever. The close timeout of ws and faye-websocket.
 */
const CLOSE_GRACE_MS = 30_000;

/**
 * actionHero's TCP server, done right: its own listener (TLS optional), one request per line,
 * one JSON reply per line ending `\r\n`. A line longer than the frame limit gets
 * `ERR_MESSAGE_TOO_LARGE`, then the connection is closed. Dead peers are found by TCP
 * keep-alive and, when set, by an idle timeout (goodbye `timeout`).
 */
export class TcpTransport extends BaseTransport<Socket> {
  readonly name: string = "tcp";
  #server: Server | undefined;
  #options: TcpOptions = parseTcpOptions({});
  readonly #live = new Set<Socket>();

  get capabilities(): TransportCapabilities {
    return {
      nativeAcks: false,
      nativeBroadcast: false,
      binary: false,
      needsStickySessions: false,
      maxPayload: this.#server === undefined ? null : this.host.config.limits.maxMessageBytes,
    };
  }

  /** Validates `config.tcp`. */
  static validateOptions(raw: unknown): TcpOptions {
    return parseTcpOptions(raw);
  }

  /** The address the listener is bound to (after start). */
  get address(): { host: string; port: number } {
    const address = this.#server?.address();
    if (address === null || address === undefined || typeof address === "string") {
      throw new Error("the tcp transport is not listening");
    }
    return { host: address.address, port: address.port };
  }

  endpoint(): string {
    const { host, port } = this.address;
    return `${this.#options.tls ? "tls" : "tcp"}://${urlHost(host)}:${port}`;
  }

  protected async listen(host: TransportHost): Promise<void> {
    this.#options =
      (host.config.transportOptions[this.name] as TcpOptions | undefined) ?? this.#options;
    const options = this.#options;
    const onSocket = (socket: Socket) => this.#open(socket);
    const server = options.tls
      ? (await import("node:tls")).createServer(options.tls, onSocket)
      : (await import("node:net")).createServer(onSocket);
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? host.config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  protected override backlog(socket: Socket): { bytes: number; messages: number } {
    return { bytes: socket.writableLength, messages: 0 };
  }

  protected write(socket: Socket, message: PreparedMessage): void {
    if (socket.writable) socket.write(`${message.json}\r\n`);
  }

  protected terminate(socket: Socket): void {
    socket.end();
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    socket.once("close", () => clearTimeout(timer));
  }

  protected async shutdown(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    for (const socket of this.#live) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  #open(socket: Socket): void {
    this.#live.add(socket);
    socket.setNoDelay(true);
    const { idleTimeoutMs, keepAliveMs, hello } = this.#options;
    if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
    const connection = this.accept(socket, {
      remoteIP: socket.remoteAddress ?? "",
      remotePort: socket.remotePort ?? 0,
      hello,
    });
    // Only what the client sends counts: writes to a peer that is gone still succeed for a
    // while (into the kernel's buffer), so they must not keep it alive.
    const idle =
      idleTimeoutMs > 0
        ? setTimeout(() => {
            if (connection.open) this.host.close(connection, "timeout");
          }, idleTimeoutMs).unref()
        : undefined;
    const limit = this.host.config.limits.maxMessageBytes;
    let pending = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      idle?.refresh();
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!this.#line(connection, line.endsWith("\r") ? line.slice(0, -1) : line, limit)) return;
      }
      if (Buffer.byteLength(pending) > limit) {
        pending = "";
        this.host.frameTooLarge(connection);
      }
    });
    socket.on("error", (error) => {
      this.host.logger.debug("tcp socket error", { id: connection.id, error: error.message });
    });
    socket.on("close", () => {
      clearTimeout(idle);
      this.#live.delete(socket);
      this.release(connection);
    });
  }

  /** One complete line; `false` when the connection is being closed. */
  #line(connection: Connection, line: string, limit: number): boolean {
    if (line.trim() === "") return true;
    if (line.length * 3 > limit && Buffer.byteLength(line) > limit) {
      this.host.frameTooLarge(connection);
      return false;
    }
    const read = readTcpLine(line);
    if ("json" in read) this.host.receiveText(connection, read.json);
    else this.host.receiveRequest(connection, read.request);
    return connection.open;
  }
}
