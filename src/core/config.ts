import type { IncomingMessage, Server as HttpServer } from "node:http";
import { hostname } from "node:os";
import type { SecureContextOptions } from "node:tls";
import { z } from "zod";
import type { ActionDefinition } from "./actions/define-action.js";
import type { ActionMiddleware } from "./actions/action-middleware.js";
import type { ClusterBus } from "./cluster-bus.js";
import type { ClusterBusFactory } from "./cluster-bus-factory.js";
import type { Connection } from "./connection.js";
import { ConfigError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RoomHooks } from "./rooms/room-hooks.js";
import type { TransportClass } from "./realtime-transport.js";
import { VERBS } from "./verbs.js";

/** The longest delay `setTimeout` takes (2^31 - 1 ms): the upper bound of every ms option. */
export const MAX_TIMER_MS = 2_147_483_647;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const fn = <T>(what: string) =>
  z.custom<T>((value) => typeof value === "function", { message: `must be ${what}` });

const limitsSchema = z.strictObject({
  /** Largest request accepted, in bytes of JSON text (every transport). */
  maxMessageBytes: int(64, 1024 ** 3).default(1024 * 1024),
  /** Deepest nesting of objects/arrays in a request, the request itself being level 1. */
  maxDepth: int(2, 10_000).default(64),
  /** Actions in flight per connection. */
  maxPendingActions: int(1, 100_000).default(5),
  /** Deadline for an action that does not set its own. */
  actionTimeoutMs: int(1, MAX_TIMER_MS).default(30_000),
  /** Messages per second per connection (token bucket, burst of the same size). */
  rate: int(1, 1_000_000).default(500),
  /** A connection over the rate for this long is closed with reason `rate limit`. */
  rateAbuseMs: int(1, MAX_TIMER_MS).default(10_000),
  /** Sticky params (`paramAdd`) one connection holds at most. */
  maxParams: int(0, 1_000_000).default(64),
  /** Total size of one connection's sticky params: keys and JSON values, in UTF-8 bytes. */
  maxParamsBytes: int(0, 1024 ** 3).default(64 * 1024),
  /** Rooms one connection listens to at once (`listenToRoom`), its own room not counted. */
  maxListenedRooms: int(0, 1_000_000).default(128),
  /** Longest `say` message, in characters. */
  maxSayLength: int(1, 1024 ** 3).default(64 * 1024),
  /** Connections this node holds at most; one more is refused (`ERR_TOO_MANY_CONNECTIONS`). */
  maxConnections: int(1, 10_000_000).default(50_000),
  /** Connections from one address at most; 0: no limit. */
  maxConnectionsPerIP: int(0, 10_000_000).default(0),
  /** Outbound backlog per connection, in bytes, before the slow-consumer policy applies. */
  maxBufferedBytes: int(1024, 1024 ** 3).default(4 * 1024 * 1024),
  /** Outbound backlog per connection, in messages, where the transport counts them. */
  maxBufferedMessages: int(1, 10_000_000).default(10_000),
  /**
   * A connection over its backlog limit: `disconnect` it (goodbye reason `slow consumer`), or
   * `drop` new pushes to it until it catches up. Replies are never dropped.
   */
  slowConsumer: z.enum(["disconnect", "drop"]).default("disconnect"),
});

const resumeSchema = z.strictObject({
  /** Keep a session per connection that says hello, so it can be resumed. */
  enabled: z.boolean().default(true),
  /** How long a dropped session can be resumed, and how far back room histories reach. */
  windowMs: int(1_000, MAX_TIMER_MS).default(120_000),
  /** A dropped session stays a member of its rooms this long, unannounced. */
  graceMs: int(0, MAX_TIMER_MS).default(15_000),
  /** Pushes each room's history keeps at most. */
  historySize: int(1, 1_000_000).default(1_000),
  /** Bytes of pushes each room's history keeps at most, on a node that runs alone. */
  historyBytes: int(1_024, 1024 ** 3).default(1024 * 1024),
  /** Replies each session keeps, to answer a request re-sent after a resume. */
  maxReplies: int(1, 100_000).default(64),
  /**
   * Sessions a node that runs alone keeps in memory at most, its connections' and dropped ones;
   * past it the session dropped longest ago is forgotten (with Redis, Redis keeps them).
   */
  maxSessions: int(1, 10_000_000).default(100_000),
  /** Alerts each session keeps, to replay those a client missed. */
  maxAlerts: int(1, 100_000).default(64),
  /** How long a connection that announced a hello may take to send it. */
  helloTimeoutMs: int(1, MAX_TIMER_MS).default(10_000),
  /** The goodbye `server shutdown` tells each client to wait up to this long to reconnect. */
  shutdownSpreadMs: int(0, MAX_TIMER_MS).default(2_000),
});

/**
 * A Prometheus registry, as much of prom-client's `Registry` as the server uses (the metrics
 * are registered into it; `metrics()` is what the endpoint serves).
 */
export interface MetricsRegistry {
  /** The metrics in the text format, as the endpoint serves them. */
  metrics(): Promise<string>;
  /** The text format's content type. */
  readonly contentType: string;
  /** Adds a metric (prom-client's metrics call it themselves). */
  registerMetric(metric: unknown): void;
  /** A metric by name, if registered. */
  getSingleMetric(name: string): unknown;
  /** Takes a metric out (at stop, from an application's registry). */
  removeSingleMetric(name: string): void;
}

const metricsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The endpoint's path; `null`: no endpoint (the application serves `registry` itself). */
  path: z.string().startsWith("/").nullable().default("/metrics"),
  /** Serve the endpoint on a listener of its own at this port (0: any free port), not the main one. */
  port: int(0, 65_535).optional(),
  /** The address of that listener; default: `host`. */
  host: z.string().min(1).optional(),
  /** prom-client `Registry` to register into (the application's own); default: a new one. */
  registry: z
    .custom<MetricsRegistry>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        typeof (value as MetricsRegistry).registerMetric === "function" &&
        typeof (value as MetricsRegistry).metrics === "function",
      { message: "must be a prom-client Registry" },
    )
    .optional(),
  /** Also collect prom-client's default process metrics (CPU, memory, event loop lag). */
  processMetrics: z.boolean().default(false),
});

/**
 * What an admin `authorize` hook gets: the HTTP request (headers, cookies, URL). It returns (or
 * resolves to) `true` to allow, anything else to refuse (403); a throw refuses too, an
 * `ActionwireError`'s code and message are shown.
 */
export type AdminAuthorize = (request: IncomingMessage) => unknown;

const adminSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The page's path; its JSON API is under `<path>/api/`. */
  path: z
    .string()
    .regex(
      /^(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)+$/,
      "must be an absolute path of plain segments (/a/b)",
    )
    .default("/actionwire/admin"),
  /** A bearer token the API requires (`Authorization: Bearer <token>`), compared in constant time. */
  token: z.string().min(16).max(1024).optional(),
  /** Decides whether a request may use the page and its API (see {@link AdminAuthorize}). */
  authorize: fn<AdminAuthorize>("a function (request) => boolean | Promise<boolean>").optional(),
  /** Serve the page on a listener of its own at this port (0: any free port), not the main one. */
  port: int(0, 65_535).optional(),
  /** The address of that listener; default: `host`. */
  host: z.string().min(1).optional(),
  /** The key of `connection.data` that names a connection's user (set by `authenticate`). */
  userKey: z.string().min(1).max(100).default("user"),
  /** How long the page waits for the other nodes' answers, in ms. */
  timeoutMs: int(50, 30_000).default(1_000),
});

const coreSchema = z.strictObject({
  transports: z
    .array(z.union([z.string().min(1), fn<TransportClass>("a transport name or class")]))
    .min(1)
    .default(["ws"]),
  /** `null`: no HTTP server (in-process or own-listener transports only). */
  port: int(0, 65_535).nullable().default(8080),
  host: z.string().min(1).default("0.0.0.0"),
  server: z
    .custom<HttpServer>(
      (value) => typeof value === "object" && value !== null && "listen" in value,
      { message: "must be an http.Server or https.Server" },
    )
    .optional(),
  tls: z
    .custom<SecureContextOptions>((value) => typeof value === "object" && value !== null, {
      message: "must be an object of TLS options (key, cert, …)",
    })
    .optional(),
  nodeId: z
    .string()
    .min(1)
    .default(() => `${hostname()}-${process.pid}`),
  welcomeMessage: z.string().default("Hello! Welcome to the actionwire api"),
  defaultRoom: z
    .string()
    .nullable()
    .default("defaultRoom")
    .transform((room) => (room === "" ? null : room)),
  roomNotices: z.boolean().default(true),
  roomRules: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  allowedVerbs: z.record(z.string(), z.array(z.enum(VERBS))).default({}),
  trustedProxies: z.array(z.string().min(1)).default([]),
  shutdownTimeoutMs: int(0, MAX_TIMER_MS).default(5_000),
  limits: limitsSchema.default(() => limitsSchema.parse({})),
  /** Sessions and their resume (docs/protocol.md, "Sessions and resume"). */
  resume: resumeSchema.default(() => resumeSchema.parse({})),
  actions: z
    .array(
      z.custom<ActionDefinition>((value) => typeof value === "object" && value !== null, {
        message: "must be an action (see defineAction)",
      }),
    )
    .default([]),
  middleware: z
    .array(
      z.custom<ActionMiddleware>(
        (value) =>
          typeof value === "object" &&
          value !== null &&
          typeof (value as ActionMiddleware).name === "string" &&
          ["before", "after"].every((hook) => {
            const fn = (value as Record<string, unknown>)[hook];
            return fn === undefined || typeof fn === "function";
          }),
        { message: "must be a middleware: { name, before?(call), after?(call, result) }" },
      ),
    )
    .default([]),
  roomHooks: z
    .custom<RoomHooks>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        Object.values(value).every((hook) => typeof hook === "function"),
      {
        message:
          "must be an object of hook functions (authorizeJoin, authorizeListen, authorizeSay)",
      },
    )
    .default({}),
  logger: z
    .custom<Logger>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        ["debug", "info", "warn", "error"].every(
          (level) => typeof (value as Record<string, unknown>)[level] === "function",
        ),
      { message: "must be a logger with debug, info, warn and error functions" },
    )
    .optional(),
  /**
   * Log every action (name, connection, params, time, error code) at this level of `logger`;
   * `false`: only failures are logged. Secret params are filtered either way.
   */
  logActions: z.union([z.literal(false), z.enum(["debug", "info"])]).default(false),
  /**
   * Param names filtered from logs for every action (`[FILTERED]`), besides the inputs an
   * action declares `secret` (actionHero's `filteredParams`).
   */
  filteredParams: z.array(z.string().min(1)).default([]),
  /** The actions over plain HTTP (`GET`/`POST <path>/<action>`), on the server's HTTP server. */
  httpActions: z
    .strictObject({
      enabled: z.boolean().default(true),
      path: z.string().startsWith("/").default("/api"),
    })
    .default({ enabled: true, path: "/api" }),
  /**
   * The browser client on the server's HTTP server: the bundles at `<path>/client.js` and
   * `<path>/client.mjs` (with their source maps), the transports list at `<path>/transports`
   * (what `transport: "auto"` asks), and the seeds' page script at `seedScript` (`false`: not
   * served). `enabled: false` serves none of them. Only these exact paths are answered: any
   * other path under `path` goes on to the application.
   */
  browserClient: z
    .strictObject({
      enabled: z.boolean().default(true),
      path: z
        .string()
        .startsWith("/")
        .default("/actionwire")
        .transform((path) => path.replace(/\/+$/, "")),
      seedScript: z
        .union([z.literal(false), z.string().startsWith("/")])
        .default("/public/javascript/actionHeroWebSocket.js"),
    })
    .default({
      enabled: true,
      path: "/actionwire",
      seedScript: "/public/javascript/actionHeroWebSocket.js",
    }),
  /**
   * Prometheus metrics (prom-client, an optional peer): `true`, or options. Off by default.
   */
  metrics: z
    .union([z.boolean().transform((enabled) => metricsSchema.parse({ enabled })), metricsSchema])
    .default(() => metricsSchema.parse({ enabled: false })),
  /**
   * OpenTelemetry spans (@opentelemetry/api, an optional peer): a span per action and per `say`,
   * children of the trace context a client sends; nothing is recorded without an SDK.
   */
  tracing: z.boolean().default(false),
  /**
   * `GET /healthz` (the process answers) and `GET /readyz` (started, the cluster's Redis
   * reachable; 503 from the moment a graceful stop begins), on the server's HTTP server.
   */
  health: z
    .strictObject({
      enabled: z.boolean().default(true),
      livenessPath: z.string().startsWith("/").default("/healthz"),
      readinessPath: z.string().startsWith("/").default("/readyz"),
    })
    .default({ enabled: true, livenessPath: "/healthz", readinessPath: "/readyz" }),
  /**
   * Decides whether a new connection may stay, before its welcome: it sees the connection
   * (`request` holds the upgrade or handshake request: headers, cookies, query). Return `true`,
   * or an object merged into `connection.data` (an identity); anything else refuses, as does a
   * throw (an `ActionwireError`'s message is shown).
   */
  authenticate: z
    .custom<(connection: Connection) => unknown>((value) => typeof value === "function", {
      message: "must be a function (connection) => true | identity object | false",
    })
    .optional(),
  /** The Redis cluster bus's options (see adapters/redis); unset: one node, in memory. */
  redis: z.unknown().optional(),
  /**
   * The cluster bus, instead of `redis` or the in-memory default: a factory called once with
   * `{ nodeId, logger }` (`redisBus(options)` from `actionwire/redis`, or your own), or a bus
   * already built.
   */
  clusterBus: z
    .custom<ClusterBusFactory | ClusterBus>(
      (value) =>
        typeof value === "function" ||
        (typeof value === "object" &&
          value !== null &&
          typeof (value as ClusterBus).publish === "function"),
      { message: "must be a cluster bus factory ((context) => ClusterBus) or a ClusterBus" },
    )
    .optional(),
  /**
   * The live inspection page and its JSON API (docs/operating.md). Off by default; on, it
   * needs a `token` or an `authorize` hook.
   */
  admin: z
    .union([z.boolean().transform((enabled) => adminSchema.parse({ enabled })), adminSchema])
    .default(() => adminSchema.parse({ enabled: false })),
  /** Serve the demo page at `/` (the CLI turns it on). */
  demoPage: z.boolean().default(false),
});

/**
 * The configuration a caller writes; every key is optional.
 *
 * @interface
 */
export type ActionwireConfig = z.input<typeof coreSchema> & {
  /** Options of a transport, under its name (`ws: { path: "/ws" }`). */
  [transportName: string]: unknown;
};

/**
 * The validated, frozen configuration the server runs with.
 *
 * @interface
 */
export type ResolvedConfig = Readonly<z.output<typeof coreSchema>> & {
  readonly limits: Readonly<z.output<typeof limitsSchema>>;
  readonly resume: Readonly<z.output<typeof resumeSchema>>;
  /** Validated options per transport name. */
  readonly transportOptions: Readonly<Record<string, unknown>>;
  /** Options from older APIs that were ignored, by name (also logged at start). */
  readonly warnings: readonly string[];
};

/**
 * A top-level config key from an older API that a transport also reads (the seeds'
 * `webSockets` block, for socket.io), registered by the composition root.
 */
export interface LegacyConfigKey {
  /** The transport the key configures. */
  readonly transport: string;
  /** Turns the block under the key into the transport's options. */
  translate(raw: unknown): LegacyTranslation;
}

/** A legacy config block, translated (see {@link LegacyConfigKey}). */
export interface LegacyTranslation {
  /** Whether the transport runs (added to, or removed from, `transports`). */
  enable: boolean;
  /** Options for the transport; explicit options under its own name win. */
  options: Record<string, unknown>;
  /** Sentences naming what has no meaning any more (logged at start, kept in `config.warnings`). */
  warnings: string[];
}

/** The limits part of {@link ResolvedConfig}. */
export type Limits = ResolvedConfig["limits"];

/**
 * Validates the configuration once, at the door: unknown keys are rejected by name, ranges are
 * checked, and the message says what to fix. Keys named after a registered transport hold that
 * transport's options (checked by its own `validateOptions`); a legacy key (the seeds'
 * `webSockets` for socket.io) is translated into its transport's options first.
 */
export function resolveConfig(
  input: Record<string, unknown>,
  transports: ReadonlyMap<string, TransportClass>,
  legacyKeys: ReadonlyMap<string, LegacyConfigKey> = new Map(),
): ResolvedConfig {
  if (typeof input !== "object" || input === null) {
    throw new ConfigError("The configuration must be an object.");
  }
  const core: Record<string, unknown> = {};
  const rawOptions = new Map<string, Record<string, unknown>>();
  const legacy = new Map<string, LegacyTranslation>();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue; // an unset option, as if absent
    if (key in coreSchema.shape) core[key] = value;
    else if (transports.has(key)) rawOptions.set(key, value as Record<string, unknown>);
    else if (legacyKeys.has(key) && transports.has(legacyKeys.get(key)!.transport)) {
      const { transport, translate } = legacyKeys.get(key)!;
      legacy.set(transport, translate(value));
    } else core[key] = value; // rejected below, by name
  }
  const parsed = coreSchema.safeParse(core);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, "config"));
  const data = parsed.data;
  if (data.server !== undefined && data.tls !== undefined) {
    throw new ConfigError(
      "config.tls has no effect with config.server: give your own server its TLS options (https.createServer) and remove config.tls.",
    );
  }

  if (data.resume.graceMs > data.resume.windowMs) {
    throw new ConfigError(
      `config.resume.graceMs (${data.resume.graceMs}) must not be longer than config.resume.windowMs (${data.resume.windowMs}).`,
    );
  }

  if (data.admin.enabled && data.admin.token === undefined && data.admin.authorize === undefined) {
    throw new ConfigError(
      "config.admin is on without protection: give it a token (admin.token, 16 characters or more) or an authorize hook (admin.authorize), or turn it off.",
    );
  }

  if (data.demoPage && !data.browserClient.enabled) {
    throw new ConfigError(
      "config.demoPage needs the browser client: remove browserClient.enabled: false, or demoPage.",
    );
  }

  const warnings: string[] = [];
  let chosen = [...data.transports];
  for (const [name, translation] of legacy) {
    warnings.push(...translation.warnings);
    const listed = chosen.includes(name);
    if (translation.enable && !listed) chosen.push(name);
    if (!translation.enable) chosen = chosen.filter((entry) => entry !== name);
  }
  if (chosen.length === 0) {
    throw new ConfigError("No transport is left to run: enable one in config.transports.");
  }
  const transportOptions: Record<string, unknown> = {};
  for (const [name, cls] of transports) {
    const explicit = rawOptions.get(name);
    const translated = legacy.get(name)?.options;
    if (explicit === undefined && translated === undefined) continue;
    if (explicit !== undefined && (typeof explicit !== "object" || explicit === null)) {
      throw new ConfigError(`config.${name} must be an object of ${name} options.`);
    }
    const merged = { ...translated, ...explicit };
    transportOptions[name] = cls.validateOptions ? cls.validateOptions(merged) : merged;
  }
  return deepFreeze({
    ...data,
    transports: chosen,
    transportOptions,
    warnings,
  }) as ResolvedConfig;
}

/** Freezes the data of the config; functions, classes and servers are left as they are. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

/**
 * Turns zod issues into sentences that name the key and say what to fix. Shared with the
 * adapters' own option schemas.
 */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].join(".");
      if (issue.code === "unrecognized_keys") {
        return issue.keys
          .map((key) => `${path}.${key} is not a known option; remove it or check its spelling.`)
          .join(" ");
      }
      return `${path} ${humanize(issue)}.`;
    })
    .join(" ");
}

function humanize(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "too_small":
      if (issue.origin === "array") return `must have at least ${String(issue.minimum)} entry`;
      if (issue.origin === "string") {
        return Number(issue.minimum) <= 1
          ? "must not be empty"
          : `must be at least ${String(issue.minimum)} characters long`;
      }
      return `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_type": {
      const expected = issue.expected === "int" ? "integer" : issue.expected;
      return `must be ${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}`;
    }
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      if (issue.message.startsWith("must ")) return issue.message;
      return `must match the format ${issue.format}${"prefix" in issue ? ` (start with "${String(issue.prefix)}")` : ""}`;
    default:
      return issue.message.startsWith("must ") ? issue.message : `is invalid: ${issue.message}`;
  }
}

/** Parses a transport's options with its schema and throws a {@link ConfigError} naming them. */
export function parseTransportOptions<S extends z.ZodType>(
  name: string,
  schema: S,
  raw: unknown,
): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, `config.${name}`));
  return Object.freeze(parsed.data) as z.output<S>;
}
