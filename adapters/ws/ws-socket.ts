/**
 * A socket of the `ws` package as the transport's hooks use it: the members of ws's
 * `WebSocket` they call, written here so that the transport's public type names no `ws` type
 * (`import type` of `actionwire/ws` compiles without `ws` and `@types/ws`). ws's own sockets
 * are these.
 */
export interface WsSocket {
  /** 1 while open. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Sends a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number): void;
  /** Sends a ping (the heartbeat). */
  ping(): void;
  /** Destroys the socket at once. */
  terminate(): void;
}
