/**
 * Received messages with awaitable, matcher-based taking: each message is taken at most once,
 * and one that no caller has matched yet stays for a later `next`.
 */
export class MessageInbox<M> {
  /** Every message received, in order. */
  readonly received: M[] = [];
  readonly #unread: M[] = [];
  readonly #waiters: Array<{ match: (m: M) => boolean; resolve: (m: M) => void }> = [];

  /** The first untaken message that matches, waiting for it if needed. */
  next(match: (m: M) => boolean = () => true): Promise<M> {
    const index = this.#unread.findIndex(match);
    if (index !== -1) return Promise.resolve(this.#unread.splice(index, 1)[0]!);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  /** Adds a received message: to the oldest waiting `next` that matches it, else unread. */
  push(message: M): void {
    this.received.push(message);
    const index = this.#waiters.findIndex((waiter) => waiter.match(message));
    if (index === -1) this.#unread.push(message);
    else this.#waiters.splice(index, 1)[0]!.resolve(message);
  }
}
