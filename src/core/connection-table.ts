import type { Connection } from "./connection.js";
import type { ErrorCode } from "./errors.js";
import { publishMessagesSent } from "./instrumentation.js";
import { PreparedMessage } from "./prepared-message.js";
import type { RealtimeTransport } from "./realtime-transport.js";
import type { GoodbyePush } from "./server-pushes.js";

/** Why the server closed a connection (the goodbye push's `reason`). */
export type GoodbyeReason =
  | "quit"
  | "server shutdown"
  | "disconnected by server"
  | "timeout"
  | "rate limit"
  | "slow consumer"
  | "message too large"
  | "not authorized"
  | "too many connections"
  | "bad hello";

/** The `status` of the goodbye push, the last message a closed connection gets. */
export const GOODBYE_STATUS: GoodbyePush["status"] = "Bye!";

/** A goodbye that refuses a new connection: the code and text a client shows. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly error: string;
}

/** Connection ids held by one transport (see {@link ConnectionTable.group}). */
export interface TransportGroup {
  readonly transport: RealtimeTransport;
  readonly ids: readonly string[];
}

/**
 * The connections of this node, each with the transport that holds it, and their lifecycle
 * (see {@link ConnectionState}): one {@link add} when a transport accepts a connection, one
 * {@link remove} when it lets it go, and {@link close} in between when the server ends it.
 */
export class ConnectionTable {
  readonly #entries = new Map<string, Connection>();
  readonly #transports = new Map<string, RealtimeTransport>();
  /** Connections per transport name, kept as entries come and go (read per scrape or poll). */
  readonly #counts = new Map<string, number>();

  /** `nodeId`: the node's id, named in the instrumentation events (docs/operating.md). */
  constructor(private readonly nodeId = "") {}

  /** Makes a transport known so its connections can be registered by transport name. */
  addTransport(transport: RealtimeTransport): void {
    this.#transports.set(transport.name, transport);
    if (!this.#counts.has(transport.name)) this.#counts.set(transport.name, 0);
  }

  /** A transport accepted a connection (state `opening`). */
  add(connection: Connection): void {
    if (!this.#transports.has(connection.transport)) {
      throw new Error(`no transport named ${connection.transport}`);
    }
    this.#put(connection.id, connection);
  }

  /** Its transport let the connection go: it is `closed` and forgotten. `false` if it was. */
  remove(connection: Connection): boolean {
    if (connection.state === "closed") return false;
    connection.state = "closed";
    // Its id may already belong to the socket that resumed its session.
    if (this.#entries.get(connection.id) === connection) this.#drop(connection.id);
    return true;
  }

  /**
   * Ends a connection from the server side: from now on it is `closing` (nothing it sends runs),
   * it gets the goodbye push (`status: "Bye!"`, the reason, and the refusal's code and text if
   * it is turned away), then its transport closes it after what was already written. `false`
   * if it was already closing or closed.
   */
  close(
    connection: Connection,
    reason: GoodbyeReason,
    refusal?: Refusal,
    extra?: Record<string, unknown>,
  ): boolean {
    if (!connection.open) return false;
    connection.state = "closing";
    this.sayGoodbye(connection, reason, refusal, extra);
    return true;
  }

  /**
   * A connection's session was resumed on another socket: it closes at once, with no goodbye
   * (its client is already elsewhere) and without leaving its rooms.
   */
  handOver(connection: Connection, where: "local" | "remote"): void {
    if (connection.state === "closed") return;
    connection.state = "closing";
    connection.handedOver = where;
    this.#transportOf(connection.id)?.disconnect(connection.id);
    // A transport that lets go later (or not at all) must not keep the id from the new socket.
    this.remove(connection);
  }

  /** A connection takes a resumed session's id (before its welcome). */
  rekey(connection: Connection, id: string): void {
    if (this.#entries.get(connection.id) === connection) this.#drop(connection.id);
    connection.adopt(id);
    this.#put(id, connection);
  }

  /**
   * The goodbye and the close, for a connection already `closing` (a quit, which waits for
   * the replies to the requests before it); nothing once it is closed.
   */
  sayGoodbye(
    connection: Connection,
    reason: GoodbyeReason,
    refusal?: Refusal,
    extra?: Record<string, unknown>,
  ): void {
    if (connection.state === "closed") return;
    connection.endReason = reason;
    const goodbye: GoodbyePush = {
      ...extra,
      context: "api",
      status: GOODBYE_STATUS,
      reason,
      ...refusal,
    };
    this.sendTo(connection.id, PreparedMessage.fromPayload(goodbye));
    this.#transportOf(connection.id)?.disconnect(connection.id);
  }

  get(connectionId: string): Connection | undefined {
    return this.#entries.get(connectionId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Every connection of this node. */
  values(): IterableIterator<Connection> {
    return this.#entries.values();
  }

  /** Counts per transport name (kept as connections come and go: no walk over them). */
  countsByTransport(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  /** Sends one prepared message to one connection. */
  sendTo(connectionId: string, message: PreparedMessage): void {
    const transport = this.#transportOf(connectionId);
    if (transport === undefined) return;
    transport.send([connectionId], message);
    publishMessagesSent(this.nodeId, transport.name, 1);
  }

  /**
   * Sends several prepared messages to one connection, in order: in one write where its
   * transport can (a resume's welcome and replay, instead of one write per message).
   */
  sendSeriesTo(connectionId: string, messages: readonly PreparedMessage[]): void {
    if (messages.length === 0) return;
    const transport = this.#transportOf(connectionId);
    if (transport === undefined) return;
    if (transport.sendSeries !== undefined) transport.sendSeries(connectionId, messages);
    else for (const message of messages) transport.send([connectionId], message);
    publishMessagesSent(this.nodeId, transport.name, messages.length);
  }

  /**
   * Groups connection ids by the transport holding them (ids this node does not hold are left
   * out). A room keeps its grouping until its audience changes: a message to it then costs no
   * lookup per member here, only the transport's own.
   */
  group(connectionIds: Iterable<string>): TransportGroup[] {
    const byTransport = new Map<string, string[]>();
    for (const id of connectionIds) {
      const connection = this.#entries.get(id);
      if (connection === undefined) continue;
      const ids = byTransport.get(connection.transport);
      if (ids === undefined) byTransport.set(connection.transport, [id]);
      else ids.push(id);
    }
    const groups: TransportGroup[] = [];
    for (const [name, ids] of byTransport) {
      const transport = this.#transports.get(name);
      if (transport !== undefined) groups.push({ transport, ids });
    }
    return groups;
  }

  /**
   * Sends one prepared message to grouped connections (but `except`), one call per transport.
   * A grouping may name connections closed since it was made: transports skip ids they do not
   * hold.
   */
  sendToGroups(groups: readonly TransportGroup[], message: PreparedMessage, except?: string): void {
    const exceptTransport = except === undefined ? undefined : this.#transportOf(except);
    for (const { transport, ids } of groups) {
      const at = transport === exceptTransport ? ids.indexOf(except!) : -1;
      if (at < 0) transport.send(ids, message);
      else if (ids.length > 1) transport.send(ids.toSpliced(at, 1), message);
      publishMessagesSent(this.nodeId, transport.name, at < 0 ? ids.length : ids.length - 1);
    }
  }

  /** Sets an entry, counting it (and uncounting the one it replaces, if any). */
  #put(id: string, connection: Connection): void {
    const replaced = this.#entries.get(id);
    if (replaced === connection) return;
    if (replaced !== undefined) this.#count(replaced.transport, -1);
    this.#entries.set(id, connection);
    this.#count(connection.transport, 1);
  }

  /** Deletes an entry, uncounting it. */
  #drop(id: string): void {
    const connection = this.#entries.get(id);
    if (connection === undefined) return;
    this.#entries.delete(id);
    this.#count(connection.transport, -1);
  }

  #count(transport: string, by: number): void {
    this.#counts.set(transport, (this.#counts.get(transport) ?? 0) + by);
  }

  /** The transport holding a connection (looked up by name: one object less per connection). */
  #transportOf(connectionId: string): RealtimeTransport | undefined {
    const connection = this.#entries.get(connectionId);
    return connection === undefined ? undefined : this.#transports.get(connection.transport);
  }
}
