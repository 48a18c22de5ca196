import { z } from "zod";
import { MAX_TIMER_MS, parseTransportOptions } from "../../src/core/config.js";

const wsOptionsSchema = z.strictObject({
  /** The upgrade path clients connect to. */
  path: z.string().startsWith("/").default("/ws"),
  /** Ping every this many ms; a socket that has not answered the previous ping is dropped. 0: off. */
  heartbeatMs: z.number().int().min(0).max(MAX_TIMER_MS).default(30_000),
  /** permessage-deflate (off by default: it costs CPU and memory per connection). */
  perMessageDeflate: z.boolean().default(false),
});

/** Options of the ws transport, under `ws` in config. */
export type WsOptions = z.output<typeof wsOptionsSchema>;

/** Validates `config.ws`. */
export function parseWsOptions(raw: unknown): WsOptions {
  return parseTransportOptions("ws", wsOptionsSchema, raw);
}
