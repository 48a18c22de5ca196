import type { SecureContextOptions } from "node:tls";
import { z } from "zod";
import { parseTransportOptions } from "../../src/core/config.js";

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
});

/** Options of the tcp transport, under `tcp` in config. */
export type TcpOptions = z.output<typeof tcpOptionsSchema>;

/** Validates `config.tcp`. */
export function parseTcpOptions(raw: unknown): TcpOptions {
  return parseTransportOptions("tcp", tcpOptionsSchema, raw);
}
