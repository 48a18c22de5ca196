import { z } from "zod";
import { MAX_TIMER_MS, parseTransportOptions } from "../../src/core/config.js";

const socketIoOptionsSchema = z.strictObject({
  /** socket.io's path (its engine's HTTP and upgrade path). */
  path: z.string().startsWith("/").default("/socket.io"),
  /** Engine transports the server accepts. Polling needs sticky sessions behind a balancer. */
  transports: z
    .array(z.enum(["websocket", "polling"]))
    .min(1)
    .default(["polling", "websocket"]),
  /** Engine heartbeat interval in ms (also how long an idle long-poll is held). */
  pingInterval: z.number().int().min(100).max(MAX_TIMER_MS).default(25_000),
  /** How long to wait for the pong before the connection is considered closed, in ms. */
  pingTimeout: z.number().int().min(100).max(MAX_TIMER_MS).default(20_000),
  /** Serve `/socket.io/socket.io.js`. */
  serveClient: z.boolean().default(true),
  /** CORS for cross-origin polling (socket.io's `cors` option, the common part). */
  cors: z
    .strictObject({
      origin: z.union([z.boolean(), z.string(), z.array(z.string())]),
      credentials: z.boolean().optional(),
    })
    .optional(),
});

/** Options of the socket.io transport, under `socketio` in config. */
export type SocketIoOptions = z.output<typeof socketIoOptionsSchema>;

/** Validates `config.socketio`. */
export function parseSocketIoOptions(raw: unknown): SocketIoOptions {
  return parseTransportOptions("socketio", socketIoOptionsSchema, raw);
}
