import { outChannel } from "./faye-channels.js";

/**
 * A batch this long (in UTF-16 units) is sent at once rather than at the tick's end: batching
 * pays for small messages, and larger batches cost memory (measured with 8 KiB chat to a
 * stalled member: the server's RSS grew twice as much with 64 KiB batches).
 */
export const BATCH_CHARS = 16 * 1024;

/** Where a batch goes: a WebSocket holding a session (faye-websocket's `send`). */
export interface BatchSocket {
  send(text: string): unknown;
}

/**
 * The server's messages to faye clients over WebSocket, gathered per socket: what one tick
 * writes to a socket leaves as one Bayeux batch (one frame, parsed once by the client), in
 * order, at the end of the tick, or at once when it reaches {@link BATCH_CHARS}. Each message
 * is the Bayeux message faye would write, built around the message's JSON text that every
 * recipient shares.
 */
export class FayeOutbox {
  /** Each socket's batch of this tick, without its closing bracket. */
  readonly #batches = new Map<BatchSocket, string>();
  readonly #flush = (): void => {
    for (const [socket, batch] of this.#batches) socket.send(batch + "]");
    this.#batches.clear();
  };

  /** Adds a message for `clientId` (its JSON text) to the batch of the socket holding it. */
  add(socket: BatchSocket, clientId: string, json: string): void {
    // A clientId is base-36: nothing in it needs escaping.
    const entry = `{"channel":"${outChannel(clientId)}","data":${json}}`;
    const earlier = this.#batches.get(socket);
    const batch = earlier === undefined ? "[" + entry : earlier + "," + entry;
    if (batch.length >= BATCH_CHARS) {
      this.#batches.delete(socket);
      socket.send(batch + "]");
      return;
    }
    if (this.#batches.size === 0) process.nextTick(this.#flush);
    this.#batches.set(socket, batch);
  }

  /** What waits for `socket` in this tick's batch, in characters (part of its backlog). */
  pending(socket: BatchSocket): number {
    return this.#batches.get(socket)?.length ?? 0;
  }
}
