import type { Connection } from "./connection.js";
import type { PreparedMessage } from "./prepared-message.js";
import type { RealtimeTransport } from "./realtime-transport.js";

/** The connections of this node, each with the transport that holds it. */
export class ConnectionTable {
  readonly #entries = new Map<string, Connection>();
  readonly #transports = new Map<string, RealtimeTransport>();

  /** Makes a transport known so its connections can be registered by transport name. */
  addTransport(transport: RealtimeTransport): void {
    this.#transports.set(transport.name, transport);
  }

  add(connection: Connection): void {
    if (!this.#transports.has(connection.transport)) {
      throw new Error(`no transport named ${connection.transport}`);
    }
    this.#entries.set(connection.id, connection);
  }

  remove(connectionId: string): void {
    this.#entries.delete(connectionId);
  }

  get(connectionId: string): Connection | undefined {
    return this.#entries.get(connectionId);
  }

  get size(): number {
    return this.#entries.size;
  }

  *connections(): IterableIterator<Connection> {
    yield* this.#entries.values();
  }

  /** Counts per transport name. */
  countsByTransport(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const name of this.#transports.keys()) counts[name] = 0;
    for (const connection of this.#entries.values()) {
      counts[connection.transport] = (counts[connection.transport] ?? 0) + 1;
    }
    return counts;
  }

  /** Sends one prepared message to one connection. */
  sendTo(connectionId: string, message: PreparedMessage): void {
    this.#transportOf(connectionId)?.send([connectionId], message);
  }

  /** Sends one prepared message to many connections (but `except`), one call per transport. */
  sendToMany(connectionIds: Iterable<string>, message: PreparedMessage, except?: string): void {
    const byTransport = new Map<string, string[]>();
    for (const id of connectionIds) {
      const connection = this.#entries.get(id);
      if (connection === undefined || id === except) continue;
      const ids = byTransport.get(connection.transport);
      if (ids === undefined) byTransport.set(connection.transport, [id]);
      else ids.push(id);
    }
    for (const [name, ids] of byTransport) this.#transports.get(name)?.send(ids, message);
  }

  /** Closes one connection through its transport. */
  disconnect(connectionId: string): void {
    this.#transportOf(connectionId)?.disconnect(connectionId);
  }

  /** The transport holding a connection (looked up by name: one object less per connection). */
  #transportOf(connectionId: string): RealtimeTransport | undefined {
    const connection = this.#entries.get(connectionId);
    return connection === undefined ? undefined : this.#transports.get(connection.transport);
  }
}
