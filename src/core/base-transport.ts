import type { Connection, ConnectionInfo } from "./connection.js";
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
    await this.listen(host);
  }

  send(connectionIds: Iterable<string>, message: PreparedMessage): void {
    for (const id of connectionIds) {
      const entry = this.#sockets.get(id);
      if (entry !== undefined) this.write(entry.socket, message);
    }
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
    const connection = this.host.createConnection(this.name, info);
    this.#sockets.set(connection.id, { socket, connection });
    this.host.admit(connection);
    return connection;
  }

  /** The native socket of a connection this transport holds. */
  protected socketOf(connectionId: string): Socket | undefined {
    return this.#sockets.get(connectionId)?.socket;
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
