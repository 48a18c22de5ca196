import type { Limits } from "./config.js";
import type { Connection, ConnectionInfo } from "./connection.js";
import { GOODBYE_STATUS } from "./connection-table.js";
import { publishSlowConsumer } from "./instrumentation.js";
import type { PreparedMessage } from "./prepared-message.js";
import type {
  Connections,
  RealtimeTransport,
  TransportCapabilities,
  TransportHost,
} from "./realtime-transport.js";

/**
 * The shared bookkeeping of an adapter: the accept/close handshake with the core, the send and
 * disconnect loops, the slow-consumer check. The native socket rides on the connection's record
 * (`connection.handle`), which the core keeps: an adapter keeps no map of its own. An adapter
 * fills four hooks: {@link listen}, {@link write}, {@link terminate} and {@link shutdown}.
 */
export abstract class BaseTransport<Socket> implements RealtimeTransport {
  abstract readonly name: string;
  abstract readonly capabilities: TransportCapabilities;

  #host: TransportHost | undefined;
  /** `host.config.limits`, read once: {@link admits} runs per member of every room message. */
  #limits: Limits | undefined;
  /** `host.connections`, read once: {@link send} looks up every member of every room message. */
  #connections: Connections | undefined;
  #size = 0;

  /** The core, once `start` has run. */
  protected get host(): TransportHost {
    if (this.#host === undefined) throw new Error(`${this.name} transport is not started`);
    return this.#host;
  }

  /** Connections this transport holds now. */
  get size(): number {
    return this.#size;
  }

  async start(host: TransportHost): Promise<void> {
    this.#host = host;
    this.#limits = host.config.limits;
    this.#connections = host.connections;
    await this.listen(host);
  }

  send(connectionIds: Iterable<string>, message: PreparedMessage): void {
    for (const id of connectionIds) {
      const connection = this.connectionOf(id);
      if (connection === undefined) continue;
      const socket = connection.handle as Socket;
      if (this.admits(connection, socket, message)) this.write(socket, message);
    }
  }

  /** Several messages for one connection, in order: each written as {@link send} would. */
  sendSeries(connectionId: string, messages: readonly PreparedMessage[]): void {
    const connection = this.connectionOf(connectionId);
    if (connection === undefined) return;
    const socket = connection.handle as Socket;
    for (const message of messages) {
      if (this.admits(connection, socket, message)) this.write(socket, message);
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
    const policy = limits.slowConsumer;
    if (policy === "drop" || this.host.close(connection, "slow consumer")) {
      publishSlowConsumer(this.host.config.nodeId, connection, policy);
    }
    return false;
  }

  /** What is written to a socket but not yet sent; transports that can tell override it. */
  protected backlog(_socket: Socket): { bytes: number; messages: number } {
    return { bytes: 0, messages: 0 };
  }

  /**
   * This transport's connection under an id, if it holds it (for adapters that write in bulk);
   * its socket is {@link socketOf}.
   */
  protected connectionOf(connectionId: string): Connection | undefined {
    const connection = this.#connections!.get(connectionId);
    return connection !== undefined && connection.transport === this.name ? connection : undefined;
  }

  /** The native socket a connection of this transport came on. */
  protected socketOf(connection: Connection): Socket {
    return connection.handle as Socket;
  }

  disconnect(connectionId: string): void {
    const connection = this.connectionOf(connectionId);
    if (connection === undefined) return;
    this.release(connection);
    this.terminate(connection.handle as Socket);
  }

  async stop(): Promise<void> {
    for (const connection of [...this.#connections!.values()]) {
      if (connection.transport === this.name) this.disconnect(connection.id);
    }
    await this.shutdown();
  }

  /**
   * Registers a native socket as a new connection (kept on its record); admission (the welcome,
   * the default room) follows once the current task is over.
   */
  protected accept(socket: Socket, info: ConnectionInfo): Connection {
    const connection = this.host.accept(this.name, info);
    connection.handle = socket;
    this.#size++;
    return connection;
  }

  /**
   * The native socket closed (or is being closed): the core forgets the connection. Idempotent.
   * Pass the connection itself: a resumed session's new socket may already hold its id, and
   * only the connection object tells the two apart.
   */
  protected release(connection: Connection | string): void {
    if (typeof connection === "string") {
      const found = this.connectionOf(connection);
      if (found === undefined) return;
      connection = found;
    } else if (this.connectionOf(connection.id) !== connection) {
      return;
    }
    this.#size--;
    this.host.connectionClosed(connection);
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
