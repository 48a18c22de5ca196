import type { Connection } from "./connection.js";
import type { PreparedMessage } from "./prepared-message.js";
import type { RealtimeTransport } from "./realtime-transport.js";

/** The connections of this node, each with the transport that holds it. */
export class ConnectionTable {
  readonly #entries = new Map<string, { connection: Connection; transport: RealtimeTransport }>();
  readonly #transports = new Map<string, RealtimeTransport>();

  /** Makes a transport known so its connections can be registered by transport name. */
  addTransport(transport: RealtimeTransport): void {
    this.#transports.set(transport.name, transport);
  }

  add(connection: Connection): void {
    const transport = this.#transports.get(connection.transport);
    if (transport === undefined) throw new Error(`no transport named ${connection.transport}`);
    this.#entries.set(connection.id, { connection, transport });
  }

  remove(connectionId: string): void {
    this.#entries.delete(connectionId);
  }

  get(connectionId: string): Connection | undefined {
    return this.#entries.get(connectionId)?.connection;
  }

  get size(): number {
    return this.#entries.size;
  }

  *connections(): IterableIterator<Connection> {
    for (const entry of this.#entries.values()) yield entry.connection;
  }

  /** Counts per transport name. */
  countsByTransport(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const name of this.#transports.keys()) counts[name] = 0;
    for (const { connection } of this.#entries.values()) {
      counts[connection.transport] = (counts[connection.transport] ?? 0) + 1;
    }
    return counts;
  }

  /** Sends one prepared message to one connection. */
  sendTo(connectionId: string, message: PreparedMessage): void {
    this.#entries.get(connectionId)?.transport.send([connectionId], message);
  }

  /** Sends one prepared message to many connections, one call per transport. */
  sendToMany(connectionIds: Iterable<string>, message: PreparedMessage): void {
    const byTransport = new Map<RealtimeTransport, string[]>();
    for (const id of connectionIds) {
      const entry = this.#entries.get(id);
      if (entry === undefined) continue;
      const ids = byTransport.get(entry.transport);
      if (ids === undefined) byTransport.set(entry.transport, [id]);
      else ids.push(id);
    }
    for (const [transport, ids] of byTransport) transport.send(ids, message);
  }

  /** Closes one connection through its transport. */
  disconnect(connectionId: string): void {
    this.#entries.get(connectionId)?.transport.disconnect(connectionId);
  }
}
