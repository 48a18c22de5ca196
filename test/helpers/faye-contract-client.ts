import faye, {
  type Client,
  type Message as Bayeux,
  type Publication,
  type Subscription,
} from "faye";
import { MessageInbox } from "../../src/core/message-inbox.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type {
  ContractClient,
  ContractTransport,
  Message,
} from "../../src/testing/contract-client.js";

/** How the faye client reaches the server. */
export type FayeMode = "websocket" | "long-polling";

/** A non-meta message that reached a faye client, on whatever channel. */
export interface Delivery {
  channel: string;
  data: unknown;
}

/** The server's faye endpoint (`http://127.0.0.1:port/faye`). */
export function fayeEndpoint(server: ActionwireServer): string {
  return server.transport("faye").endpoint?.(server.url) ?? `${server.url}/faye`;
}

/**
 * A plain faye Node client that knows its clientId and records, below its channel listeners,
 * every message that reaches it: what "nothing was delivered" is checked against. Left alone it
 * behaves like any faye client (after a rejected session it handshakes again by itself).
 */
export class FayeWire {
  /** Every non-meta message received, in order, whatever listeners there are. */
  readonly deliveries: Delivery[] = [];
  /** The clientId of each successful handshake; a second one means the session was ended. */
  readonly handshakes: string[] = [];
  readonly #waiters: Array<{ index: number; resolve: (clientId: string) => void }> = [];
  readonly #rejected: Array<() => void> = [];
  readonly #down: Array<() => void> = [];
  #mode: "live" | "stopped" | "dead" = "live";
  /** {@link disconnect} has run. */
  #left = false;

  private constructor(readonly client: Client) {
    client.addExtension({
      incoming: (message, callback) => {
        // Callback first: faye finishes a handshake before anyone hears of the new clientId.
        callback(message);
        this.#observe(message);
      },
    });
    client.on("transport:down", () => {
      for (const listener of this.#down.splice(0)) listener();
    });
  }

  /** Creates a client, handshakes and connects (WebSocket, or long-polling only). */
  static async open(endpoint: string, mode: FayeMode): Promise<FayeWire> {
    const control: { wire?: FayeWire } = {};
    const live = () => control.wire === undefined || control.wire.mode === "live";
    const allowed = (attempts: number) =>
      live() || (control.wire?.mode === "stopped" && attempts === 0);
    // faye retries a failed request every 5 s, forever; a client that is done goes quiet
    // instead, at once, leaving no retry timer behind.
    const scheduler = class extends faye.Scheduler {
      override isDeliverable(): boolean {
        return allowed(this.attempts) && super.isDeliverable();
      }
      override getInterval(): number {
        return live() ? super.getInterval() : 0;
      }
    };
    const client = new faye.Client(endpoint, { scheduler });
    if (mode === "long-polling") client.disable("websocket");
    const wire = new FayeWire(client);
    control.wire = wire;
    await new Promise<void>((resolve) => client.connect(() => resolve()));
    return wire;
  }

  /** The clientId of the current session. */
  get clientId(): string {
    return this.handshakes.at(-1) ?? "";
  }

  /** `stopped`: no retries (a first attempt still goes out); `dead`: nothing goes out. */
  get mode(): "live" | "stopped" | "dead" {
    return this.#mode;
  }

  /** The clientId of the `index`-th session (0: the first), once faye has handshaken it. */
  handshake(index: number): Promise<string> {
    const known = this.handshakes[index];
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => this.#waiters.push({ index, resolve }));
  }

  /** The server refused a `/meta/connect`: it no longer knows this session. */
  onRejected(listener: () => void): void {
    this.#rejected.push(listener);
  }

  /** The next time a request fails at the transport level (socket closed, connection refused). */
  transportDown(): Promise<void> {
    return new Promise((resolve) => this.#down.push(resolve));
  }

  subscribe(channel: string, listener: (data: unknown) => void = () => undefined): Subscription {
    return this.client.subscribe(channel, listener);
  }

  publish(channel: string, data: unknown): Publication {
    return this.client.publish(channel, data);
  }

  /** From now on nothing is retried. */
  stop(): void {
    if (this.#mode === "live") this.#mode = "stopped";
  }

  /** From now on nothing is sent: the session is gone, and so is its transport. */
  kill(): void {
    this.#mode = "dead";
  }

  /** Ends the session (a refused disconnect is fine: the session was already gone). */
  async disconnect(): Promise<void> {
    if (this.#mode === "dead" || this.#left) return;
    this.stop();
    let publication = this.client.disconnect();
    if (publication === undefined) {
      // Between sessions (faye is handshaking again): leave the new one as soon as it exists.
      await Promise.race([this.handshake(this.handshakes.length), this.transportDown()]);
      publication = this.client.disconnect();
    }
    this.#left = true;
    if (publication === undefined) return;
    await Promise.race([
      Promise.resolve(publication).then(
        () => undefined,
        () => undefined,
      ),
      this.transportDown(),
    ]);
  }

  #observe(message: Bayeux): void {
    const { channel } = message;
    if (typeof channel !== "string") return;
    if (channel === "/meta/handshake" && message.successful === true) {
      this.handshakes.push(String(message.clientId));
      for (const waiter of [...this.#waiters]) {
        if (waiter.index >= this.handshakes.length) continue;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(this.handshakes[waiter.index]!);
      }
    } else if (channel === "/meta/connect" && message.successful === false) {
      for (const listener of this.#rejected) listener();
    } else if (!channel.startsWith("/meta/") && message.data !== undefined) {
      this.deliveries.push({ channel, data: message.data });
    }
  }
}

/**
 * A {@link ContractClient} on faye's own Node client: requests are published to
 * `/actionwire/in/<clientId>`, replies and pushes arrive on `/actionwire/out/<clientId>`.
 */
export class FayeContractClient implements ContractClient {
  readonly inbox = new MessageInbox<Message>();
  welcome: Message = {};
  /**
   * Resolves when the server has ended the session or when {@link close} was called. The end
   * shows as the server refusing the clientId (faye then handshakes again under a new one,
   * which is disconnected at once), or, after a goodbye, as the transport failing: faye closes
   * a client's WebSocket when its session ends, and a server that shut down is gone.
   */
  readonly closed: Promise<void>;
  #markClosed: () => void = () => undefined;
  /** Set at the end: what is left to do before the faye client is quiet. */
  #cleanup: Promise<void> | undefined;
  #byeSeen = false;
  #nextId = 0;

  private constructor(readonly wire: FayeWire) {
    this.closed = new Promise((resolve) => (this.#markClosed = resolve));
    wire.onRejected(() => this.#sessionEnded(false));
    void wire.handshake(1).then(() => this.#sessionEnded(false));
  }

  /** Connects, subscribes to its out channel and waits for the welcome. */
  static async connect(endpoint: string, mode: FayeMode): Promise<FayeContractClient> {
    const client = new FayeContractClient(await FayeWire.open(endpoint, mode));
    await client.wire.subscribe(`/actionwire/out/${client.clientId}`, (data) => {
      const message = data as Message;
      if (message.context === "api" && message.status === "Bye!" && !client.#byeSeen) {
        // The session is about to end: nothing needs retrying any more.
        client.#byeSeen = true;
        client.wire.stop();
        void client.wire.transportDown().then(() => client.#sessionEnded(true));
      }
      client.inbox.push(message);
    });
    client.welcome = await client.inbox.next();
    return client;
  }

  /** The faye clientId of this client's (first) session. */
  get clientId(): string {
    return this.wire.handshakes[0] ?? "";
  }

  async request(event: string, params: Record<string, unknown> = {}): Promise<Message> {
    const messageId = ++this.#nextId;
    this.send(event, params, messageId);
    return this.inbox.next((m) => m.context === "response" && m.messageId === messageId);
  }

  /** Runs an action. */
  action(name: string, params: Record<string, unknown> = {}): Promise<Message> {
    return this.request("action", { ...params, action: name });
  }

  /** The next chat push (`context: "user"`), optionally with this message text. */
  nextSay(message?: string): Promise<Message> {
    return this.inbox.next(
      (m) => m.context === "user" && (message === undefined || m.message === message),
    );
  }

  send(event: string, params?: unknown, messageId?: unknown): void {
    const request: Record<string, unknown> = { event };
    if (params !== undefined) request.params = params;
    if (messageId !== undefined) request.messageId = messageId;
    void this.wire.publish(`/actionwire/in/${this.clientId}`, request);
  }

  sendMalformed(): void {
    void this.wire.publish(`/actionwire/in/${this.clientId}`, "this is not a request");
  }

  async close(): Promise<void> {
    this.#cleanup ??= this.wire.disconnect();
    this.#markClosed();
    await this.#cleanup;
  }

  /**
   * `dead`: the transport is gone with the session; nothing more may be sent. Otherwise faye
   * handshakes again by itself; that fresh session is disconnected as soon as it exists.
   */
  #sessionEnded(dead: boolean): void {
    if (this.#cleanup !== undefined) return;
    if (dead) {
      this.wire.kill();
      this.#cleanup = Promise.resolve();
    } else {
      this.wire.stop();
      this.#cleanup = Promise.race([
        this.wire.handshake(1).then(() => this.wire.disconnect()),
        this.wire.transportDown(),
      ]);
    }
    this.#markClosed();
  }
}

/** The contract suite's view of faye, over WebSocket or long-polling only. */
export function fayeContract(mode: FayeMode): ContractTransport {
  return {
    label: `faye (${mode})`,
    transport: "faye",
    serverConfig: { transports: ["faye"] },
    connect: (server) => FayeContractClient.connect(fayeEndpoint(server), mode),
  };
}
