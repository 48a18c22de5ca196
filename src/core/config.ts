import type { Server as HttpServer } from "node:http";
import { hostname } from "node:os";
import type { SecureContextOptions } from "node:tls";
import { z } from "zod";
import type { ActionDefinition } from "./actions/define-action.js";
import type { ActionMiddleware } from "./actions/action-middleware.js";
import { ConfigError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RoomHooks } from "./rooms/room-hooks.js";
import type { TransportClass } from "./realtime-transport.js";
import { VERBS } from "./verbs.js";

const MAX_TIMER_MS = 2_147_483_647;

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
  /** Longest `say` message, in characters. */
  maxSayLength: int(1, 1024 ** 3).default(64 * 1024),
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
  actions: z.array(z.custom<ActionDefinition>()).default([]),
  middleware: z.array(z.custom<ActionMiddleware>()).default([]),
  roomHooks: z.custom<RoomHooks>().default({}),
  logger: z.custom<Logger>().optional(),
  /** Serve the demo page at `/` (the CLI turns it on). */
  demoPage: z.boolean().default(false),
});

/** The configuration a caller writes; every key is optional. */
export type ActionwireConfig = z.input<typeof coreSchema> & {
  /** Options of a transport, under its name (`ws: { path: "/ws" }`). */
  [transportName: string]: unknown;
};

/** The validated, frozen configuration the server runs with. */
export type ResolvedConfig = Readonly<z.output<typeof coreSchema>> & {
  readonly limits: Readonly<z.output<typeof limitsSchema>>;
  /** Validated options per transport name. */
  readonly transportOptions: Readonly<Record<string, unknown>>;
};

/** The limits part of {@link ResolvedConfig}. */
export type Limits = ResolvedConfig["limits"];

/**
 * Validates the configuration once, at the door: unknown keys are rejected by name, ranges are
 * checked, and the message says what to fix. `transportOptionKeys` are the names under which
 * transport options may appear, each with its own validator.
 */
export function resolveConfig(
  input: Record<string, unknown>,
  transportValidators: ReadonlyMap<string, (raw: unknown) => unknown>,
): ResolvedConfig {
  if (typeof input !== "object" || input === null) {
    throw new ConfigError("The configuration must be an object.");
  }
  const core: Record<string, unknown> = {};
  const transportOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const validate = transportValidators.get(key);
    if (validate !== undefined && !(key in coreSchema.shape)) {
      transportOptions[key] = validate(value);
    } else {
      core[key] = value;
    }
  }
  const parsed = coreSchema.safeParse(core);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, "config"));
  const resolved = { ...parsed.data, transportOptions: Object.freeze(transportOptions) };
  Object.freeze(resolved.limits);
  return Object.freeze(resolved) as ResolvedConfig;
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
      return `must be at least ${String(issue.minimum)}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_type":
      return `must be ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message.replace(/^Invalid input: /, "is invalid: ").toLowerCase();
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
