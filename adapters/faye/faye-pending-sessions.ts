/** A handshake's Bayeux error when its address holds too many sessions without a connection. */
export const TOO_MANY_FROM_ADDRESS =
  "429::Too many sessions waiting to subscribe from this address";

/** A handshake's Bayeux error when the node holds too many sessions without a connection. */
export const TOO_MANY_ON_SERVER = "503::Too many sessions waiting to subscribe on this server";

/** How many sessions without a connection are held, and for how long. */
export interface PendingSessionLimits {
  /** On this node at most. */
  readonly perNode: number;
  /** From one address at most; 0: no limit per address. */
  readonly perAddress: number;
  /** A session that has not subscribed to its out channel within this many ms is ended. */
  readonly deadlineMs: number;
}

interface Pending {
  readonly address: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * The faye sessions of this node that have no actionwire connection: handshaken but not yet
 * subscribed to their own out channel (or unsubscribed from it since). A faye session costs the
 * node memory and, while its client polls, a socket, but until it subscribes it counts against
 * neither `limits.maxConnections` nor `limits.maxConnectionsPerIP`: this bounds such sessions
 * in number (per node and per address, checked at the handshake) and in time (each is ended
 * when its deadline passes).
 */
export class FayePendingSessions {
  readonly #sessions = new Map<string, Pending>();
  readonly #perAddress = new Map<string, number>();

  constructor(
    private readonly limits: PendingSessionLimits,
    /** Ends a session whose deadline passed (it is no longer counted when this runs). */
    private readonly expire: (clientId: string) => void,
  ) {}

  /** Sessions without a connection held now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Whether a session is held without a connection. */
  has(clientId: string): boolean {
    return this.#sessions.has(clientId);
  }

  /** Why a handshake from `address` is refused (a Bayeux error), or `undefined` to let it in. */
  refusal(address: string): string | undefined {
    const { perAddress, perNode } = this.limits;
    if (perAddress > 0 && (this.#perAddress.get(address) ?? 0) >= perAddress) {
      return TOO_MANY_FROM_ADDRESS;
    }
    if (this.#sessions.size >= perNode) return TOO_MANY_ON_SERVER;
    return undefined;
  }

  /** A session from `address` has no connection (yet, or any more): its deadline starts now. */
  add(clientId: string, address: string): void {
    if (this.#sessions.has(clientId)) return;
    const timer = setTimeout(() => {
      if (this.delete(clientId) !== undefined) this.expire(clientId);
    }, this.limits.deadlineMs).unref();
    this.#sessions.set(clientId, { address, timer });
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
  }

  /**
   * The session got its connection, or ended: it is no longer counted. Returns the address it
   * was counted against, or `undefined` if it was not.
   */
  delete(clientId: string): string | undefined {
    const pending = this.#sessions.get(clientId);
    if (pending === undefined) return undefined;
    clearTimeout(pending.timer);
    this.#sessions.delete(clientId);
    const left = (this.#perAddress.get(pending.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(pending.address, left);
    else this.#perAddress.delete(pending.address);
    return pending.address;
  }

  /** Forgets every session (at shutdown, when the faye engine closes them all). */
  clear(): void {
    for (const { timer } of this.#sessions.values()) clearTimeout(timer);
    this.#sessions.clear();
    this.#perAddress.clear();
  }
}
