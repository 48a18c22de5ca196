import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  type ActionEvent,
  CHANNELS,
  type ErrorEvent,
  type MessageEvent,
  type NodeEvent,
  type SlowConsumerEvent,
} from "../core/instrumentation.js";

/** Seconds the rates, series and latency percentiles look back over. */
export const WINDOW_SECONDS = 60;

/** Seconds a rate (per second) is averaged over. */
export const RATE_SECONDS = 10;

/**
 * Upper bounds (ms) of the action latency buckets: 0.05 ms to about 60 s, each 25 % wider than
 * the one before; one more bucket holds what is slower. A percentile is read as the upper bound
 * of the bucket it falls in, so it is at most 25 % above the true value.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = 0.05; bound < 70_000; bound *= 1.25) bounds.push(Number(bound.toPrecision(3)));
  return bounds;
})();

/** Counts per second for the last {@link WINDOW_SECONDS} seconds, in a ring. */
export class SecondRing {
  readonly #counts = new Float64Array(WINDOW_SECONDS);
  /** The second each slot holds (a slot from an older second is stale: read as 0). */
  readonly #seconds = new Float64Array(WINDOW_SECONDS).fill(-1);

  add(second: number, count: number): void {
    const slot = second % WINDOW_SECONDS;
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second;
      this.#counts[slot] = 0;
    }
    this.#counts[slot]! += count;
  }

  /** The count of `second` (0 if it is out of the window). */
  at(second: number): number {
    const slot = second % WINDOW_SECONDS;
    return this.#seconds[slot] === second ? this.#counts[slot]! : 0;
  }

  /** The sum over the `seconds` complete seconds before `now` (the current one is still filling). */
  sum(now: number, seconds: number): number {
    let total = 0;
    for (let second = now - seconds; second < now; second++) total += this.at(second);
    return total;
  }

  /** The complete seconds of the window before `now`, oldest first. */
  series(now: number): number[] {
    const series: number[] = [];
    for (let second = now - WINDOW_SECONDS + 1; second < now; second++) {
      series.push(this.at(second));
    }
    return series;
  }
}

/** Action latency histograms per second for the last {@link WINDOW_SECONDS} seconds. */
export class LatencyRing {
  static readonly BUCKETS = LATENCY_BOUNDS_MS.length + 1;
  readonly #counts = new Uint32Array(WINDOW_SECONDS * LatencyRing.BUCKETS);
  readonly #seconds = new Float64Array(WINDOW_SECONDS).fill(-1);

  observe(second: number, ms: number): void {
    const slot = second % WINDOW_SECONDS;
    const base = slot * LatencyRing.BUCKETS;
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second;
      this.#counts.fill(0, base, base + LatencyRing.BUCKETS);
    }
    // Binary search: the first bound at or above `ms` (none: the overflow bucket).
    let low = 0;
    let high = LATENCY_BOUNDS_MS.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (LATENCY_BOUNDS_MS[middle]! < ms) low = middle + 1;
      else high = middle;
    }
    this.#counts[base + low]!++;
  }

  /** The window's histogram (counts per bucket), the current second included. */
  histogram(now: number): number[] {
    const merged = new Array<number>(LatencyRing.BUCKETS).fill(0);
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const second = this.#seconds[slot]!;
      if (second <= now - WINDOW_SECONDS || second > now) continue;
      const base = slot * LatencyRing.BUCKETS;
      for (let i = 0; i < LatencyRing.BUCKETS; i++) merged[i]! += this.#counts[base + i]!;
    }
    return merged;
  }
}

/** Latency percentiles (ms) read from a histogram of {@link LATENCY_BOUNDS_MS} buckets. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

/** The 50th, 90th and 99th percentiles of a histogram (each a bucket's upper bound). */
export function percentiles(histogram: readonly number[]): Percentiles {
  const count = histogram.reduce((sum, n) => sum + n, 0);
  const at = (q: number): number | null => {
    if (count === 0) return null;
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i]!;
      if (seen >= rank) return LATENCY_BOUNDS_MS[Math.min(i, LATENCY_BOUNDS_MS.length - 1)]!;
    }
    return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
  };
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** What one node's statistics say, as the overview sends them (every list bounded). */
export interface NodeStats {
  readonly startedAt: number;
  readonly uptimeSeconds: number;
  /** Per second, averaged over the last {@link RATE_SECONDS} complete seconds. */
  readonly rates: {
    readonly received: number;
    readonly sent: number;
    readonly actions: number;
    readonly errors: number;
    readonly opened: number;
    readonly closed: number;
  };
  /** Per second, the last {@link WINDOW_SECONDS} - 1 complete seconds, oldest first. */
  readonly series: {
    readonly received: number[];
    readonly sent: number[];
    readonly actions: number[];
  };
  /** Action latency over the window: the histogram (for merging nodes) and its percentiles. */
  readonly latency: Percentiles & { readonly histogram: number[] };
  /** Since start, by policy. */
  readonly slowConsumers: Record<string, number>;
  /** Since start, by error code. */
  readonly errors: Record<string, number>;
  /** Over the window, by error code. */
  readonly recentErrors: Record<string, number>;
  readonly resumes: number;
  readonly memory: { readonly rss: number; readonly heapUsed: number };
}

/**
 * This node's live statistics for the admin page: rates and latency from rings of per-second
 * buckets (bounded whatever the traffic), totals by error code and slow-consumer policy. Fed by
 * the core's diagnostics channels, this node's events only, as the metrics are: nothing is added
 * to the hot path beyond what a channel subscriber costs.
 */
export class AdminStats {
  readonly startedAt = Date.now();
  readonly #received = new SecondRing();
  readonly #sent = new SecondRing();
  readonly #actions = new SecondRing();
  readonly #errors = new SecondRing();
  readonly #opened = new SecondRing();
  readonly #closed = new SecondRing();
  readonly #latency = new LatencyRing();
  /** By error code (bounded: the codes are a fixed list). */
  readonly #errorTotals = new Map<string, number>();
  readonly #recentErrors = new Map<string, SecondRing>();
  readonly #slow = new Map<string, number>();
  #resumes = 0;
  readonly #subscriptions: Array<[string, (message: unknown) => void]> = [];

  constructor(
    private readonly nodeId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Subscribes to the channels. */
  start(): void {
    const second = () => Math.floor(this.clock() / 1000);
    this.#on<MessageEvent>(CHANNELS.messageReceived, ({ count }) =>
      this.#received.add(second(), count),
    );
    this.#on<MessageEvent>(CHANNELS.messageSent, ({ count }) => this.#sent.add(second(), count));
    this.#on<ActionEvent>(CHANNELS.actionEnd, ({ durationMs }) => {
      const now = second();
      this.#actions.add(now, 1);
      this.#latency.observe(now, durationMs ?? 0);
    });
    this.#on<ErrorEvent>(CHANNELS.error, ({ code }) => {
      const now = second();
      this.#errors.add(now, 1);
      this.#errorTotals.set(code, (this.#errorTotals.get(code) ?? 0) + 1);
      let ring = this.#recentErrors.get(code);
      if (ring === undefined) this.#recentErrors.set(code, (ring = new SecondRing()));
      ring.add(now, 1);
    });
    this.#on(CHANNELS.connectionOpen, () => this.#opened.add(second(), 1));
    this.#on(CHANNELS.connectionClose, () => this.#closed.add(second(), 1));
    this.#on<SlowConsumerEvent>(CHANNELS.slowConsumer, ({ policy }) =>
      this.#slow.set(policy, (this.#slow.get(policy) ?? 0) + 1),
    );
    this.#on(CHANNELS.resume, () => this.#resumes++);
  }

  stop(): void {
    for (const [name, listener] of this.#subscriptions.splice(0)) unsubscribe(name, listener);
  }

  /** The statistics now. */
  snapshot(): NodeStats {
    const nowMs = this.clock();
    const now = Math.floor(nowMs / 1000);
    const rate = (ring: SecondRing) => round(ring.sum(now, RATE_SECONDS) / RATE_SECONDS);
    const histogram = this.#latency.histogram(now);
    const recentErrors: Record<string, number> = {};
    for (const [code, ring] of this.#recentErrors) {
      const count = ring.sum(now + 1, WINDOW_SECONDS);
      if (count > 0) recentErrors[code] = count;
    }
    const { rss, heapUsed } = process.memoryUsage();
    return {
      startedAt: this.startedAt,
      uptimeSeconds: Math.round((nowMs - this.startedAt) / 1000),
      rates: {
        received: rate(this.#received),
        sent: rate(this.#sent),
        actions: rate(this.#actions),
        errors: rate(this.#errors),
        opened: rate(this.#opened),
        closed: rate(this.#closed),
      },
      series: {
        received: this.#received.series(now),
        sent: this.#sent.series(now),
        actions: this.#actions.series(now),
      },
      latency: { ...percentiles(histogram), histogram },
      slowConsumers: Object.fromEntries(this.#slow),
      errors: Object.fromEntries(this.#errorTotals),
      recentErrors,
      resumes: this.#resumes,
      memory: { rss, heapUsed },
    };
  }

  #on<E extends NodeEvent>(name: string, handle: (event: E) => void): void {
    const nodeId = this.nodeId;
    const listener = (message: unknown) => {
      if ((message as E).nodeId === nodeId) handle(message as E);
    };
    subscribe(name, listener);
    this.#subscriptions.push([name, listener]);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
