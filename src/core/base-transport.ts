import type { Limits } from "./config.js";
import type { Connection, ConnectionInfo } from "./connection.js";
import { GOODBYE_STATUS } from "./connection-table.js";
import type { PreparedMessage } from "./prepared-message.js";
import type {
  RealtimeTransport,
  TransportCapabilities,
  TransportHost,
} from "./realtime-transport.js";

/**
 * The shared bookkeeping of an adapter: the map from connection ids to native sockets, the
 * accept/close handshake with the core, and the send and disconnect loops. An adapter fills
 * four hooks: {@link listen}, {@link write}, {@link terminate} and {@link shutdown}.
 */
export abstract class BaseTransport<Socket> implements RealtimeTransport {
  abstract readonly name: string;
  abstract readonly capabilities: TransportCapabilities;

  #host: TransportHost | undefined;
  /** `host.config.limits`, read once: {@link admits} runs per member of every room message. */
  #limits: Limits | undefined;
  readonly #sockets = new Map<string, { socket: Socket; connection: Connection }>();

  /** The core, once `start` has run. */
  protected get host(): TransportHost {
    if (this.#host === undefined) throw new Error(`${this.name} transport is not started`);
    return this.#host;
  }

  /** Connections this transport holds now. */
  get size(): number {
    return this.#sockets.size;
  }

  async start(host: TransportHost): Promise<void> {
    this.#host = host;
    this.#limits = host.config.limits;
    await this.listen(host);
  }

  send(connectionIds: Iterable<string>, message: PreparedMessage): void {
    for (const id of connectionIds) {
      const entry = this.#sockets.get(id);
      if (entry !== undefined && this.admits(entry.connection, entry.socket, message)) {
        this.write(entry.socket, message);
      }
    }
  }

  /**
   * The slow-consumer check, before a write: a push to a connection whose outbound backlog is
   * over `limits.maxBufferedBytes` or `limits.maxBufferedMessages` is dropped, and with the
   * `disconnect` policy the connection is closed (reason `slow consumer`). Replies always pass:
   * they are bounded by the request rate. Adapters that write in bulk call it per connection.
   */
  protected admits(connection: Connection, socket: Socket, message: PreparedMessage): boolean {
    const { bytes, messages } = this.backlog(socket);
    const limits = this.#limits!;
    if (bytes <= limits.maxBufferedBytes && messages <= limits.maxBufferedMessages) return true;
    const { context, status } = message.payload;
    if (context === "response" || status === GOODBYE_STATUS) return true;
    if (limits.slowConsumer === "disconnect") this.host.close(connection, "slow consumer");
    return false;
  }

  /** What is written to a socket but not yet sent; transports that can tell override it. */
  protected backlog(_socket: Socket): { bytes: number; messages: number } {
    return { bytes: 0, messages: 0 };
  }

  /** The connection held under an id, with its socket (for adapters that write in bulk). */
  protected entryOf(connectionId: string): { socket: Socket; connection: Connection } | undefined {
    return this.#sockets.get(connectionId);
  }

  disconnect(connectionId: string): void {
    const entry = this.#sockets.get(connectionId);
    if (entry === undefined) return;
    this.release(connectionId);
    this.terminate(entry.socket);
  }

  async stop(): Promise<void> {
    for (const id of [...this.#sockets.keys()]) this.disconnect(id);
    await this.shutdown();
  }

  /** Registers a native socket as a new connection: the welcome goes out, the room is joined. */
  protected accept(socket: Socket, info: ConnectionInfo): Connection {
    const connection = this.host.accept(this.name, info);
    this.#sockets.set(connection.id, { socket, connection });
    return connection;
  }

  /** The native socket closed (or is being closed): the core forgets the connection. Idempotent. */
  protected release(connectionId: string): void {
    const entry = this.#sockets.get(connectionId);
    if (entry === undefined) return;
    this.#sockets.delete(connectionId);
    this.host.connectionClosed(entry.connection);
  }

  /** Starts accepting connections (attach to `host.httpServer` or open a listener). */
  protected abstract listen(host: TransportHost): Promise<void>;
  /** Writes one message to one socket. */
  protected abstract write(socket: Socket, message: PreparedMessage): void;
  /** Closes one socket after what was already written to it. */
  protected abstract terminate(socket: Socket): void;
  /** Releases listeners and timers; every connection is already closed. */
  protected abstract shutdown(): Promise<void>;
}
