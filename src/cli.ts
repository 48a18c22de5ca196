#!/usr/bin/env node
/**
 * `npm start`: the demo server. Configured from the environment (see docs/getting-started.md):
 * PORT, HOST, TRANSPORTS, TCP_PORT, REDIS_URL (with REDIS_HEARTBEAT_MS, REDIS_NODE_TIMEOUT_MS),
 * NODE_ID, WELCOME_MESSAGE, DEFAULT_ROOM, ROOM_NOTICES, ACTION_TIMEOUT_MS, RATE_LIMIT,
 * MAX_MESSAGE_BYTES, RESUME_WINDOW_MS, RESUME_GRACE_MS, METRICS (with METRICS_PORT), ADMIN_TOKEN
 * (with ADMIN_PORT).
 */
import type { ActionwireConfig } from "./core/config.js";
import { ConfigError } from "./core/errors.js";
import { demoActions } from "./demo/demo-actions.js";
import { type ActionwireServer, createServer } from "./server/actionwire-server.js";

/** The transports the demo runs on its HTTP server; `TRANSPORTS` chooses others. */
const HTTP_TRANSPORTS = ["ws", "socketio", "faye"];

/** Reads the demo server's configuration from environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv): ActionwireConfig {
  const limits: Record<string, number> = {};
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value))
      throw new ConfigError(`${name} must be an integer (got "${raw}").`);
    return value;
  };
  const redis: Record<string, unknown> | undefined = env.REDIS_URL
    ? { url: env.REDIS_URL }
    : undefined;
  const heartbeatMs = number("REDIS_HEARTBEAT_MS");
  if (redis && heartbeatMs !== undefined) redis.heartbeatMs = heartbeatMs;
  const nodeTimeoutMs = number("REDIS_NODE_TIMEOUT_MS");
  if (redis && nodeTimeoutMs !== undefined) redis.nodeTimeoutMs = nodeTimeoutMs;
  const actionTimeoutMs = number("ACTION_TIMEOUT_MS");
  if (actionTimeoutMs !== undefined) limits.actionTimeoutMs = actionTimeoutMs;
  const rate = number("RATE_LIMIT");
  if (rate !== undefined) limits.rate = rate;
  const maxMessageBytes = number("MAX_MESSAGE_BYTES");
  if (maxMessageBytes !== undefined) limits.maxMessageBytes = maxMessageBytes;
  const resume: Record<string, number> = {};
  const windowMs = number("RESUME_WINDOW_MS");
  if (windowMs !== undefined) resume.windowMs = windowMs;
  const graceMs = number("RESUME_GRACE_MS");
  if (graceMs !== undefined) resume.graceMs = graceMs;
  const notices = (env.ROOM_NOTICES || "on").toLowerCase();
  if (notices !== "on" && notices !== "off") {
    throw new ConfigError(`ROOM_NOTICES must be "on" or "off" (got "${env.ROOM_NOTICES}").`);
  }
  const metrics = (env.METRICS || "off").toLowerCase();
  if (metrics !== "on" && metrics !== "off") {
    throw new ConfigError(`METRICS must be "on" or "off" (got "${env.METRICS}").`);
  }
  const metricsPort = number("METRICS_PORT");
  // ADMIN_TOKEN turns the admin page on, protected by that token.
  const adminPort = number("ADMIN_PORT");
  if (adminPort !== undefined && !env.ADMIN_TOKEN) {
    throw new ConfigError("ADMIN_PORT needs ADMIN_TOKEN: the admin page is on only with a token.");
  }
  const transports = env.TRANSPORTS
    ? env.TRANSPORTS.split(",")
        .map((name) => name.trim())
        .filter(Boolean)
    : [...HTTP_TRANSPORTS];
  // TCP_PORT alone turns the tcp transport on, bound to HOST.
  const tcpPort = number("TCP_PORT");
  if (tcpPort !== undefined && !transports.includes("tcp")) transports.push("tcp");
  return {
    port: number("PORT") ?? 8080,
    host: env.HOST || "0.0.0.0",
    transports,
    ...(tcpPort !== undefined ? { tcp: { port: tcpPort } } : {}),
    ...(env.NODE_ID ? { nodeId: env.NODE_ID } : {}),
    ...(env.WELCOME_MESSAGE ? { welcomeMessage: env.WELCOME_MESSAGE } : {}),
    defaultRoom: env.DEFAULT_ROOM ?? "defaultRoom",
    roomNotices: notices === "on",
    roomRules: { secureRoom: { authorized: true } },
    limits,
    resume,
    ...(redis ? { redis } : {}),
    ...(metrics === "on"
      ? { metrics: metricsPort === undefined ? true : { port: metricsPort } }
      : {}),
    ...(env.ADMIN_TOKEN
      ? {
          admin: {
            token: env.ADMIN_TOKEN,
            ...(adminPort !== undefined ? { port: adminPort } : {}),
          },
        }
      : {}),
    demoPage: true,
  };
}

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  const server: ActionwireServer = createServer({
    ...config,
    actions: demoActions({
      get nodeId() {
        return server.config.nodeId;
      },
      connectionCounts: () => server.connectionCounts(),
      sharedStore: () => server.clusterStore,
    }),
  });
  await server.start();
  const base = server.url;
  console.log(`actionwire demo on ${base}/ (node ${server.config.nodeId})`);
  if (server.metrics !== undefined) {
    console.log(`actionwire metrics on ${server.metrics.url ?? `${base}/metrics`}`);
  }
  if (server.config.admin.enabled) {
    const page = server.adminUrl ?? `${base}${server.config.admin.path}`;
    console.log(`actionwire admin page on ${page} (open ${page}#token=<ADMIN_TOKEN>)`);
  }
  for (const transport of server.transports) {
    console.log(`actionwire ${transport.name} listening on ${transport.endpoint?.(base) ?? base}`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`actionwire: ${signal}, stopping`);
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** The listen failures a user causes (a port taken, a privileged port), not bugs. */
const LISTEN_ERRORS = new Set(["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"]);

/**
 * The one line the demo prints for a mistake in its environment, or undefined for an error that
 * deserves its stack trace.
 */
function describeStartError(error: unknown): string | undefined {
  if (error instanceof ConfigError) return `actionwire: ${error.message}`;
  const { code, address, port } = (error ?? {}) as {
    code?: unknown;
    address?: unknown;
    port?: unknown;
  };
  if (typeof code !== "string" || !LISTEN_ERRORS.has(code)) return undefined;
  const where = typeof address === "string" ? `${address}:${String(port)}` : `port ${String(port)}`;
  const why =
    code === "EADDRINUSE"
      ? "it is already in use"
      : code === "EACCES"
        ? "permission denied"
        : "the address is not available here";
  return `actionwire: cannot listen on ${where}: ${why} (${code}). Set PORT (or TCP_PORT) to a free port, or 0 for any.`;
}

main().catch((error: unknown) => {
  console.error(describeStartError(error) ?? error);
  process.exit(1);
});
