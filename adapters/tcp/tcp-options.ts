import type { SecureContextOptions } from "node:tls";
import { z } from "zod";
import { MAX_TIMER_MS, parseTransportOptions } from "../../src/core/config.js";

const tcpOptionsSchema = z.strictObject({
  /** The port of the tcp listener (its own, not the HTTP server's). 0 picks a free one. */
  port: z.number().int().min(0).max(65_535).default(5000),
  /** The address to bind; defaults to `config.host`. */
  host: z.string().min(1).optional(),
  /** TLS options (`key`, `cert`, …): the listener speaks TLS when set. */
  tls: z
    .custom<SecureContextOptions>((value) => typeof value === "object" && value !== null, {
      message: "must be an object of TLS options (key, cert, …)",
    })
    .optional(),
  /**
   * A connection that sends nothing (not even a blank line) for this many ms gets the goodbye
   * `timeout` and is closed. 0: off (a client that only listens has nothing to send).
   */
  idleTimeoutMs: z.number().int().min(0).max(MAX_TIMER_MS).default(0),
  /**
   * Every connection's first line is a hello (`hello {"auth":…,"resume":…}`): the welcome waits
   * for it (docs/protocol.md, "Sessions and resume"). Off: the welcome comes at once (version 1).
   */
  hello: z.boolean().default(false),
  /**
   * TCP keep-alive: after this many ms without traffic either way, the operating system probes
   * the peer (Node asks for a probe a second, ten at most) and closes the connection when the
   * peer is gone. Whole seconds (the socket option's unit); 0: off.
   */
  keepAliveMs: z
    .number()
    .int()
    .min(0)
    .max(MAX_TIMER_MS)
    .refine((ms) => ms === 0 || ms >= 1000, { error: "must be 0 (off) or at least 1000" })
    .default(30_000),
});

/** Options of the tcp transport, under `tcp` in config. */
export type TcpOptions = z.output<typeof tcpOptionsSchema>;

/** Validates `config.tcp`. */
export function parseTcpOptions(raw: unknown): TcpOptions {
  return parseTransportOptions("tcp", tcpOptionsSchema, raw);
}
