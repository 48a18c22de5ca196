import { z } from "zod";
import { parseTransportOptions } from "../../src/core/config.js";

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
});

/** Options of the faye transport, under `faye` in config. */
export type FayeOptions = z.output<typeof fayeOptionsSchema>;

/** Validates `config.faye`. */
export function parseFayeOptions(raw: unknown): FayeOptions {
  return parseTransportOptions("faye", fayeOptionsSchema, raw);
}
