/**
 * A socket.io server-side socket as the transport's public type shows it: named here, not
 * taken from socket.io, so that `import type` of `actionwire/socketio` compiles without
 * socket.io installed. Every one the transport holds is socket.io's own `Socket`.
 */
export interface SocketIoSocket {
  /** socket.io's id of the socket (not the connection's id). */
  readonly id: string;
  /** Sends an event to this socket. */
  emit(event: string, ...args: unknown[]): boolean;
  /** Disconnects it; `true` closes the underlying connection too. */
  disconnect(close?: boolean): unknown;
}
