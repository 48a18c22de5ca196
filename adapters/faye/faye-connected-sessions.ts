/** A faye session with a connection: from its out subscription to its session's end. */
export interface ConnectedSession<C> {
  /** The address it was counted against while it had no connection (to count it again so). */
  readonly address: string;
  /** Set as soon as the core has created it (the welcome is written during creation). */
  connection: C | undefined;
  /** Messages published to the client through faye's engine. */
  written: number;
  /** How many of those faye has put on the wire (seen by the outgoing extension). */
  delivered: number;
  /** Set once the connection is closed: the session ends when everything written is out. */
  ending: { done: Promise<void>; resolve: () => void; fallback: NodeJS.Timeout } | undefined;
}

/**
 * The faye sessions of this node that have an actionwire connection, by clientId, and what is
 * needed to end one only once its goodbye is out: faye's engine queues a message for a
 * long-polling client's next poll, so a session ended at once would drop it. Messages written
 * through faye's engine are counted, and so are those faye delivers; an ending session ends
 * (through `end`) when the two meet, or after `fallbackMs` if the client never polls.
 */
export class FayeConnectedSessions<C> {
  readonly #sessions = new Map<string, ConnectedSession<C>>();

  constructor(
    /**
     * Ends a session whose goodbye is out (or whose fallback passed); may run again for a
     * session already ended, which it ignores.
     */
    private readonly end: (clientId: string) => void,
    /** How long an ending session waits for its client to take what was written, in ms. */
    private readonly fallbackMs: number,
  ) {}

  /** Whether `clientId` has a session here. */
  has(clientId: string): boolean {
    return this.#sessions.has(clientId);
  }

  /** The session of `clientId`, if it has one here. */
  get(clientId: string): ConnectedSession<C> | undefined {
    return this.#sessions.get(clientId);
  }

  /** The clientIds of every session. */
  clientIds(): string[] {
    return [...this.#sessions.keys()];
  }

  /** A session subscribed from `address`; its connection is set on the returned record. */
  add(clientId: string, address: string): ConnectedSession<C> {
    const session: ConnectedSession<C> = {
      address,
      connection: undefined,
      written: 0,
      delivered: 0,
      ending: undefined,
    };
    this.#sessions.set(clientId, session);
    return session;
  }

  /** The connection requests go to: `undefined` once the session is ending. */
  liveConnection(clientId: string): C | undefined {
    const session = this.#sessions.get(clientId);
    return session?.ending === undefined ? session?.connection : undefined;
  }

  /** A message for `clientId` went to faye's engine. */
  written(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session !== undefined) session.written++;
  }

  /** faye is putting a message for `clientId` on the wire (from its outgoing extension). */
  delivered(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return;
    session.delivered++;
    // After the extension returns, faye writes the message; end the session after that.
    if (session.ending !== undefined && session.delivered >= session.written) {
      setImmediate(() => this.end(clientId));
    }
  }

  /** Messages written through faye's engine that faye has not put on the wire yet. */
  undelivered(clientId: string): number {
    const session = this.#sessions.get(clientId);
    return session === undefined ? 0 : session.written - session.delivered;
  }

  /** The connection was closed: the session ends once everything written is out. */
  beginEnding(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined || session.ending !== undefined) return;
    let resolve = (): void => undefined;
    const done = new Promise<void>((settle) => (resolve = settle));
    const fallback = setTimeout(() => this.end(clientId), this.fallbackMs).unref();
    session.ending = { done, resolve, fallback };
    if (session.delivered >= session.written) setImmediate(() => this.end(clientId));
  }

  /** Settles when every session ending now has ended. */
  endings(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    return Promise.all(sessions.flatMap((s) => (s.ending ? [s.ending.done] : []))).then(
      () => undefined,
    );
  }

  /** The session is over (or has no connection any more): forgets it and returns it. */
  delete(clientId: string): ConnectedSession<C> | undefined {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return undefined;
    this.#sessions.delete(clientId);
    if (session.ending !== undefined) {
      clearTimeout(session.ending.fallback);
      session.ending.resolve();
    }
    return session;
  }
}
