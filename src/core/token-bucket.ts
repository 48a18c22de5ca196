/**
 * A per-connection message rate: `rate` tokens per second, a burst of `rate`. Tracks how long
 * the connection has been over the rate without a break, for the abuse disconnect.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  #limitedSince: number | null = null;

  constructor(
    private readonly rate: number,
    now = performance.now(),
  ) {
    this.#tokens = rate;
    this.#last = now;
  }

  /** Takes one token; `false` when the connection is over its rate. */
  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#limitedSince = null;
      return true;
    }
    this.#limitedSince ??= now;
    return false;
  }

  /** How long the connection has been refused without a single accepted message, in ms. */
  limitedFor(now = performance.now()): number {
    return this.#limitedSince === null ? 0 : now - this.#limitedSince;
  }
}
