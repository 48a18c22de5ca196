import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type * as PromClient from "prom-client";
import type { ClusterBus } from "../core/cluster-bus.js";
import type { MetricsRegistry, ResolvedConfig } from "../core/config.js";
import {
  type ActionEvent,
  CHANNELS,
  type ClusterMessageEvent,
  type ConnectionEvent,
  type ErrorEvent,
  type MessageEvent,
  type NodeEvent,
  type ResumeEvent,
  type SlowConsumerEvent,
} from "../core/instrumentation.js";
import { ConfigError } from "../core/errors.js";
import { loadPackage } from "../core/load-package.js";
import type { RequestRouter } from "../core/request-router.js";
import { urlHost } from "../core/url-host.js";
import { closeListener } from "./http-replies.js";

/** Buckets of `actionwire_action_duration_seconds`: 0.5 ms to 10 s. */
const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** A server's metrics, as its `metrics` property shows them. */
export interface ServerMetrics {
  /** The prom-client registry holding them (the application's own, if it gave one). */
  readonly registry: MetricsRegistry;
  /** The endpoint on its own listener (`metrics.port`), if there is one. */
  readonly url: string | undefined;
}

/** What the metrics read from the server at scrape time (the gauges). */
export interface MetricsSource {
  connectionCounts(): Record<string, number>;
  localRoomCount(): number;
  readonly bus: ClusterBus;
}

/**
 * The Prometheus metrics (`config.metrics`; docs/operating.md has the table): counters and a
 * histogram fed by the core's diagnostics channels (this node's events only), gauges read when
 * scraped. Every label value is bounded: transport names, the server's action names, error
 * codes, policies; never a room or a connection id.
 */
export class Metrics implements ServerMetrics {
  readonly #config: ResolvedConfig;
  readonly #source: MetricsSource;
  #registry: MetricsRegistry | undefined;
  #listener: HttpServer | undefined;
  readonly #subscriptions: Array<[string, (message: unknown) => void]> = [];
  /** Registered into the application's registry: taken out again at stop. */
  readonly #names: string[] = [];

  constructor(config: ResolvedConfig, source: MetricsSource) {
    this.#config = config;
    this.#source = source;
  }

  /** The registry the metrics are in (after {@link start}). */
  get registry(): MetricsRegistry {
    if (this.#registry === undefined) throw new Error("metrics are not started");
    return this.#registry;
  }

  /** The separate listener's address, when `metrics.port` is set (after {@link start}). */
  get address(): AddressInfo | undefined {
    const address = this.#listener?.address();
    return address === null || typeof address !== "object" ? undefined : address;
  }

  /** The endpoint's URL on the separate listener, if there is one. */
  get url(): string | undefined {
    const address = this.address;
    const path = this.#config.metrics.path;
    if (address === undefined || path === null) return undefined;
    return `http://${urlHost(address.address)}:${address.port}${path}`;
  }

  /**
   * Loads prom-client, registers the metrics, subscribes to the channels, and serves the
   * endpoint: on `requests` (the server's HTTP server), or on a listener of its own.
   */
  async start(requests: RequestRouter | undefined): Promise<void> {
    const options = this.#config.metrics;
    const loaded = await loadPackage<typeof PromClient & { default?: typeof PromClient }>(
      "prom-client",
      "metrics",
      "config.metrics",
    );
    const prom = loaded.default ?? loaded;
    const registry = (options.registry ?? new prom.Registry()) as PromClient.Registry;
    this.#registry = registry as unknown as MetricsRegistry;
    try {
      this.#define(prom, registry);
    } catch (error) {
      await this.stop();
      if (options.registry === undefined) throw error;
      throw new ConfigError(
        `config.metrics.registry already holds actionwire's metrics (${(error as Error).message}): give each server its own registry, or leave registry unset.`,
      );
    }
    if (options.processMetrics) prom.collectDefaultMetrics({ register: registry });
    if (options.path === null) return;
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.#serve(request, response);
    if (options.port === undefined) {
      requests?.add(options.path, handler);
      return;
    }
    const path = options.path;
    const listener = createHttpServer((request, response) => {
      const pathname = (request.url ?? "/").split("?")[0];
      if (pathname === path) return handler(request, response);
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    });
    this.#listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(options.port, options.host ?? this.#config.host, () => {
        listener.off("error", reject);
        resolve();
      });
    });
  }

  /** Unsubscribes, closes the separate listener, and takes the metrics out of a shared registry. */
  async stop(): Promise<void> {
    for (const [name, listener] of this.#subscriptions.splice(0)) unsubscribe(name, listener);
    const listener = this.#listener;
    this.#listener = undefined;
    await closeListener(listener);
    if (this.#config.metrics.registry !== undefined) {
      for (const name of this.#names.splice(0)) this.#registry?.removeSingleMetric(name);
    }
  }

  #serve(request: IncomingMessage, response: ServerResponse): void {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
      response.end("use GET\n");
      return;
    }
    const registry = this.registry;
    registry.metrics().then(
      (text) => {
        response.writeHead(200, {
          "content-type": registry.contentType,
          "cache-control": "no-store",
        });
        response.end(request.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain" });
        response.end(`collecting the metrics failed: ${String(error)}\n`);
      },
    );
  }

  #define(prom: typeof PromClient, registry: PromClient.Registry): void {
    const registers = [registry];
    const source = this.#source;
    const transports = Object.keys(source.connectionCounts());
    const named = <T extends { name: string }>(config: T): T => {
      this.#names.push(config.name);
      return config;
    };
    /** A prom-client counter that takes its values from a tally when scraped. */
    const tallied = ({ name, help, tally }: { name: string; help: string; tally: Tally }) =>
      new prom.Counter(
        named({
          name,
          help,
          labelNames: tally.label === undefined ? [] : [tally.label],
          registers,
          collect() {
            this.reset();
            for (const [value, count] of tally.counts) {
              if (tally.label === undefined) this.inc(count);
              else this.inc({ [tally.label]: value }, count);
            }
          },
        }),
      );

    new prom.Gauge(
      named({
        name: "actionwire_connections",
        help: "Open connections on this node, by transport.",
        labelNames: ["transport"] as const,
        registers,
        collect() {
          for (const [transport, count] of Object.entries(source.connectionCounts())) {
            this.set({ transport }, count);
          }
        },
      }),
    );
    // Counted in plain maps on the hot path, handed to prom-client when scraped: its `inc`
    // with labels hashes them each time (about 1 µs a call, docs/performance.md).
    const opened = new Tally("transport", transports);
    const received = new Tally("transport", transports);
    const sent = new Tally("transport", transports);
    tallied({
      name: "actionwire_connections_opened_total",
      help: "Connections accepted by this node, by transport.",
      tally: opened,
    });
    tallied({
      name: "actionwire_messages_received_total",
      help: "Frames received from clients, by transport.",
      tally: received,
    });
    tallied({
      name: "actionwire_messages_sent_total",
      help: "Messages handed to a transport for clients (one per recipient), by transport.",
      tally: sent,
    });
    const durations = new Durations(DURATION_BUCKETS);
    new prom.Histogram(
      named({
        name: "actionwire_action_duration_seconds",
        help: "Time actions took, by action and outcome (ok or error).",
        labelNames: ["action", "outcome"] as const,
        buckets: DURATION_BUCKETS,
        registers,
        collect() {
          durations.export(this as unknown as HistogramInternals);
        },
      }),
    );
    const errors = new Tally("code");
    tallied({
      name: "actionwire_errors_total",
      help: "Requests answered with an error, by error code.",
      tally: errors,
    });
    new prom.Gauge(
      named({
        name: "actionwire_rooms",
        help: "Rooms this node has members or listeners in.",
        registers,
        collect() {
          this.set(source.localRoomCount());
        },
      }),
    );
    const roomMessages = new Tally();
    tallied({
      name: "actionwire_room_messages_total",
      help: "Room messages (chat and notices) published by this node.",
      tally: roomMessages,
    });
    const slow = new Tally("policy", [this.#config.limits.slowConsumer]);
    tallied({
      name: "actionwire_slow_consumers_total",
      help: "Pushes that met a full backlog, by policy: connections closed (disconnect) or pushes dropped (drop).",
      tally: slow,
    });
    const resumes = new Tally("recovered");
    tallied({
      name: "actionwire_resumes_total",
      help: "Sessions resumed on a new socket, by whether nothing missed was lost.",
      tally: resumes,
    });
    const clusterIn = new Tally("kind");
    const clusterOut = new Tally("kind");
    new prom.Counter(
      named({
        name: "actionwire_cluster_messages_total",
        help: "Messages over the cluster bus, by direction (in or out) and kind (room or command).",
        labelNames: ["direction", "kind"] as const,
        registers,
        collect() {
          this.reset();
          for (const [kind, count] of clusterIn.counts) this.inc({ direction: "in", kind }, count);
          for (const [kind, count] of clusterOut.counts)
            this.inc({ direction: "out", kind }, count);
        },
      }),
    );
    new prom.Gauge(
      named({
        name: "actionwire_cluster_nodes",
        help: "Live nodes in the cluster, as this node sees them (1 without a cluster, 0 while Redis is away).",
        registers,
        async collect() {
          const status = await source.bus.status?.();
          this.set(status === undefined ? 1 : status.nodes);
        },
      }),
    );

    const nodeId = this.#config.nodeId;
    const on = <E extends NodeEvent>(name: string, handle: (event: E) => void) => {
      const listener = (message: unknown) => {
        if ((message as E).nodeId === nodeId) handle(message as E);
      };
      subscribe(name, listener);
      this.#subscriptions.push([name, listener]);
    };
    on<ConnectionEvent>(CHANNELS.connectionOpen, ({ transport }) => opened.add(transport, 1));
    on<MessageEvent>(CHANNELS.messageReceived, ({ transport, count }) =>
      received.add(transport, count),
    );
    on<MessageEvent>(CHANNELS.messageSent, ({ transport, count }) => sent.add(transport, count));
    on<ActionEvent>(CHANNELS.actionEnd, ({ action, outcome, durationMs }) =>
      durations.observe(action, outcome ?? "ok", (durationMs ?? 0) / 1000),
    );
    on<ErrorEvent>(CHANNELS.error, ({ code }) => errors.add(code, 1));
    on(CHANNELS.roomMessage, () => roomMessages.add("", 1));
    on<SlowConsumerEvent>(CHANNELS.slowConsumer, ({ policy }) => slow.add(policy, 1));
    on<ResumeEvent>(CHANNELS.resume, ({ recovered }) => resumes.add(String(recovered), 1));
    on<ClusterMessageEvent>(CHANNELS.clusterMessage, ({ direction, kind }) =>
      (direction === "in" ? clusterIn : clusterOut).add(kind, 1),
    );
  }
}

/** Counts by one label's value (or none), kept in a plain map: cheap to add to on the hot path. */
class Tally {
  readonly counts = new Map<string, number>();

  /** `label`: the one label's name (none: a counter without labels); `known`: values at 0. */
  constructor(
    readonly label?: string,
    known: readonly string[] = label === undefined ? [""] : [],
  ) {
    for (const value of known) this.counts.set(value, 0);
  }

  add(value: string, count: number): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + count);
  }
}

/** The part of prom-client's Histogram that {@link Durations.export} fills in. */
interface HistogramInternals {
  reset(): void;
  hashMap: Record<
    string,
    {
      labels: Record<string, string>;
      bucketValues: Record<number, number>;
      sum: number;
      count: number;
    }
  >;
}

/**
 * The action durations by action and outcome, bucketed here: prom-client's `observe` hashes
 * its labels and checks them at every call (about 3 µs). When scraped, the buckets are written
 * into the Histogram's values (its `hashMap`, in the shape prom-client 15 keeps them; the
 * metrics test reads the buckets back), so the text format stays prom-client's own.
 */
class Durations {
  /** Series by outcome, then action: no key is built per observation. */
  readonly #series = new Map<string, Map<string, DurationSeries>>();

  constructor(private readonly bounds: readonly number[]) {}

  observe(action: string, outcome: string, seconds: number): void {
    let byAction = this.#series.get(outcome);
    if (byAction === undefined) this.#series.set(outcome, (byAction = new Map()));
    let series = byAction.get(action);
    if (series === undefined) {
      series = { labels: { action, outcome }, counts: this.bounds.map(() => 0), sum: 0, count: 0 };
      byAction.set(action, series);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    if (i < bounds.length) series.counts[i]!++;
    series.sum += seconds;
    series.count++;
  }

  export(histogram: HistogramInternals): void {
    histogram.reset();
    for (const [outcome, byAction] of this.#series) {
      for (const [action, { labels, counts, sum, count }] of byAction) {
        const bucketValues: Record<number, number> = {};
        this.bounds.forEach((bound, i) => (bucketValues[bound] = counts[i]!));
        histogram.hashMap[`${outcome}\0${action}`] = {
          labels: { ...labels },
          bucketValues,
          sum,
          count,
        };
      }
    }
  }
}

/** One action's and outcome's durations: counts per bucket (not cumulative), sum and count. */
interface DurationSeries {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}
