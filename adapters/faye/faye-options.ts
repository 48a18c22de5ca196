import { z } from "zod";
import { MAX_TIMER_MS, parseTransportOptions } from "../../src/core/config.js";
import type { PendingSessionLimits } from "./faye-pending-sessions.js";

/** faye turns seconds into timer delays; keep twice the timeout (its session expiry) in range. */
const MAX_SECONDS = 1_000_000;

/** One or more path segments: faye's upgrade path is matched exactly, so no trailing slash. */
const MOUNT = /^(\/[^/?#\s]+)+$/;

const fayeOptionsSchema = z.strictObject({
  /** The path faye answers on: long-polling, the WebSocket upgrade, `<mount>/client.js`. */
  mount: z
    .string()
    .refine((path) => MOUNT.test(path), {
      error: "must be a path such as /faye, without a trailing slash",
    })
    .default("/faye"),
  /**
   * Seconds the server holds a long-poll (faye's `timeout`); a client that has not polled for
   * twice this long loses its session, and with it its connection.
   */
  timeout: z.number().min(0.001).max(MAX_SECONDS).default(45),
  /** Seconds between WebSocket pings (faye's `ping`); unset: no pings. */
  ping: z.number().min(0.001).max(MAX_SECONDS).optional(),
  /**
   * With `redis`: the URL other nodes reach this one at (`http://10.0.0.5:8080`), to forward a
   * long-polling client's requests to the node holding its session. Unset: where the server
   * listens (127.0.0.1 when it listens on every interface).
   */
  clusterUrl: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Milliseconds a faye session may go without an actionwire connection (from its handshake,
   * or from its unsubscribe) before the server ends it: long enough for a client to subscribe
   * after its handshake, with one of faye's 5 s retries on the way.
   */
  subscribeTimeoutMs: z.number().int().min(1).max(MAX_TIMER_MS).default(10_000),
  /**
   * Sessions without a connection this node holds at most; a handshake over it is refused.
   * Unset: `limits.maxConnections`.
   */
  maxPendingSessions: z.number().int().min(1).max(10_000_000).optional(),
  /**
   * The same, per remote address; 0: no limit per address. Unset: `limits.maxConnectionsPerIP`,
   * or 100 when that is 0 (no limit).
   */
  maxPendingSessionsPerIP: z.number().int().min(0).max(10_000_000).optional(),
});

/** Options of the faye transport, under `faye` in config. */
export type FayeOptions = z.output<typeof fayeOptionsSchema>;

/** Validates `config.faye`. */
export function parseFayeOptions(raw: unknown): FayeOptions {
  return parseTransportOptions("faye", fayeOptionsSchema, raw);
}

/** Sessions without a connection from one address, when no connection limit per address is set. */
const PENDING_PER_IP = 100;

/**
 * The bounds on sessions without a connection: `faye.maxPendingSessions` (else
 * `limits.maxConnections`: such sessions then cost no more than as many connections would), and
 * `faye.maxPendingSessionsPerIP` (else `limits.maxConnectionsPerIP` when set: an address waits
 * to subscribe with no more sessions than it may hold connections; else 100).
 */
export function pendingSessionLimits(
  options: FayeOptions,
  limits: { readonly maxConnections: number; readonly maxConnectionsPerIP: number },
): PendingSessionLimits {
  return {
    perNode: options.maxPendingSessions ?? limits.maxConnections,
    perAddress:
      options.maxPendingSessionsPerIP ??
      (limits.maxConnectionsPerIP > 0 ? limits.maxConnectionsPerIP : PENDING_PER_IP),
    deadlineMs: options.subscribeTimeoutMs,
  };
}
