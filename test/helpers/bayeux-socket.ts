import { once } from "node:events";
import { WebSocket } from "ws";
import { MessageInbox } from "../../src/core/message-inbox.js";

/** A Bayeux message or reply, as the tests read it. */
export type BayeuxReply = Record<string, unknown>;

/** A raw WebSocket to faye's mount, speaking Bayeux by hand (one message per frame). */
export class BayeuxSocket {
  readonly #replies = new MessageInbox<BayeuxReply>();
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  /** Resolves with the close reason. */
  readonly closeReason: Promise<string>;

  /** WebSocket frames received (each a Bayeux message or a batch of them). */
  frames = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames++;
      for (const reply of JSON.parse(String(data)) as BayeuxReply[]) this.#replies.push(reply);
    });
    this.closed = new Promise((resolve) => socket.on("close", (code) => resolve(code)));
    this.closeReason = new Promise((resolve) =>
      socket.on("close", (_code, reason) => resolve(String(reason))),
    );
  }

  /** Opens a WebSocket to faye's endpoint (its `http://…/faye` URL). */
  static async open(endpoint: string): Promise<BayeuxSocket> {
    const socket = new WebSocket(endpoint.replace(/^http/, "ws"));
    await once(socket, "open");
    return new BayeuxSocket(socket);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify([message]));
  }

  /** The next message received on this channel. */
  next(channel: unknown): Promise<BayeuxReply> {
    return this.#replies.next((reply) => reply.channel === channel);
  }

  /** Sends a message and resolves with faye's reply to it. */
  exchange(message: BayeuxReply): Promise<BayeuxReply> {
    this.send(message);
    return this.next(message.channel);
  }

  /** Bytes written as they are, under the WebSocket framing. */
  writeRaw(bytes: Buffer): void {
    (this.socket as unknown as { _socket: { write(b: Buffer): void } })._socket.write(bytes);
  }

  /** Stops reading from the network (the kernel's buffers then fill): a stalled client. */
  stopReading(): void {
    const socket = (this.socket as unknown as { _socket: { pause(): void } })._socket;
    socket.pause();
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}
