import { BaseTransport } from "./base-transport.js";
import { MessageInbox } from "./message-inbox.js";
import type { Connection } from "./connection.js";
import type { PreparedMessage, ServerMessage } from "./prepared-message.js";
import type { TransportCapabilities, TransportHost } from "./realtime-transport.js";

/**
 * A client connected in the same process: no socket, no framing. Used to embed the dispatcher
 * where messages arrive by other means, and by the unit tests.
 */
export class InProcessClient {
  readonly #inbox = new MessageInbox<ServerMessage>();
  #connection: Connection | undefined;
  #closed = false;

  constructor(
    private readonly transport: InProcessTransport,
    private readonly host: TransportHost,
  ) {}

  /** The server-side connection (after it was accepted). */
  get connection(): Connection {
    if (this.#connection === undefined) throw new Error("not connected");
    return this.#connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a request: text goes through the parser, an object is taken as decoded. */
  send(request: string | Record<string, unknown>): void {
    if (typeof request === "string") this.host.receiveText(this.connection, request);
    else this.host.receiveRequest(this.connection, request);
  }

  /** Every message received, in order. */
  get received(): readonly ServerMessage[] {
    return this.#inbox.received;
  }

  /**
   * The first received message that matches and has not been taken yet, waiting for it if
   * needed. Each message is taken at most once; ones that match no caller stay for later.
   */
  next(match?: (m: ServerMessage) => boolean): Promise<ServerMessage> {
    return this.#inbox.next(match);
  }

  /** Closes from the client side. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.forget(this);
  }

  /** @internal */
  attach(connection: Connection): void {
    this.#connection = connection;
  }

  /** @internal */
  deliver(message: ServerMessage): void {
    if (!this.#closed) this.#inbox.push(message);
  }

  /** @internal */
  ended(): void {
    this.#closed = true;
  }
}

/** The in-process transport (name `inprocess`). */
export class InProcessTransport extends BaseTransport<InProcessClient> {
  readonly name: string = "inprocess";
  readonly capabilities: TransportCapabilities = {
    nativeAcks: false,
    nativeBroadcast: false,
    binary: true,
    needsStickySessions: false,
    maxPayload: null,
  };
  readonly #ids = new Map<InProcessClient, Connection>();

  /** Opens a new in-process connection. */
  connect(info: { remoteIP?: string; remotePort?: number } = {}): InProcessClient {
    const client = new InProcessClient(this, this.host);
    const connection = this.accept(client, {
      remoteIP: info.remoteIP ?? "127.0.0.1",
      remotePort: info.remotePort ?? 0,
    });
    client.attach(connection);
    this.#ids.set(client, connection);
    return client;
  }

  /** @internal The client closed itself. */
  forget(client: InProcessClient): void {
    const connection = this.#ids.get(client);
    this.#ids.delete(client);
    if (connection !== undefined) this.release(connection);
  }

  protected async listen(): Promise<void> {}

  protected write(client: InProcessClient, message: PreparedMessage): void {
    // A copy, as a socket would give: the receiver cannot change what others received.
    client.deliver(JSON.parse(message.json) as ServerMessage);
  }

  protected terminate(client: InProcessClient): void {
    this.#ids.delete(client);
    client.ended();
  }

  protected async shutdown(): Promise<void> {}
}
