import { WebSocket, type ClientOptions } from "ws";
import { MessageInbox } from "../../src/core/message-inbox.js";

export type Message = Record<string, unknown> & { context?: string };

/** A raw `ws` client speaking the protocol by hand, for integration tests. */
export class WsTestClient {
  readonly inbox = new MessageInbox<Message>();
  /** Resolves with the close code and reason when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The first message received (the welcome). */
  welcome: Message = {};
  #nextId = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data, isBinary) => {
      if (!isBinary) this.inbox.push(JSON.parse(String(data)) as Message);
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a socket and waits for the welcome. */
  static async connect(url: string, options?: ClientOptions): Promise<WsTestClient> {
    const socket = new WebSocket(url, options);
    const client = new WsTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    client.welcome = await client.inbox.next();
    return client;
  }

  /** Opens a socket and waits for nothing more. */
  static async open(url: string): Promise<WsTestClient> {
    const socket = new WebSocket(url);
    const client = new WsTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  /**
   * Opens a socket that announces a hello (`hello=1`), sends it with `params` (`auth`,
   * `resume`), and waits for the welcome (or the goodbye that refuses it).
   */
  static async hello(url: string, params: Record<string, unknown> = {}): Promise<WsTestClient> {
    const client = await WsTestClient.open(url + (url.includes("?") ? "&" : "?") + "hello=1");
    client.sendRaw(JSON.stringify({ event: "hello", params }));
    client.welcome = await client.inbox.next();
    return client;
  }

  /** Sends a request under a given messageId (as a client re-sends one after a resume). */
  send(
    event: string,
    params: Record<string, unknown>,
    messageId: string | number,
  ): Promise<Message> {
    this.socket.send(JSON.stringify({ event, params, messageId }));
    return this.inbox.next((m) => m.context === "response" && m.messageId === messageId);
  }

  next(match?: (m: Message) => boolean): Promise<Message> {
    return this.inbox.next(match);
  }

  /** The next chat push (`context: "user"`), optionally with this message text. */
  nextSay(message?: string): Promise<Message> {
    return this.inbox.next(
      (m) => m.context === "user" && (message === undefined || m.message === message),
    );
  }

  /** Sends a request with a fresh messageId and resolves with its reply. */
  async request(event: string, params: Record<string, unknown> = {}): Promise<Message> {
    const messageId = ++this.#nextId;
    this.socket.send(JSON.stringify({ event, params, messageId }));
    return this.inbox.next((m) => m.context === "response" && m.messageId === messageId);
  }

  /** Runs an action. */
  action(name: string, params: Record<string, unknown> = {}): Promise<Message> {
    return this.request("action", { ...params, action: name });
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** Closes and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close();
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    await this.closed;
  }
}
