import type { Client, Message, SchedulerConstructor } from "faye";
import { inChannel, outChannel } from "../../adapters/faye/faye-channels.js";
import { loadBrowserGlobal } from "./load-browser-global.js";
import { loadClientPackage } from "./load-client-package.js";
import type { Connector, ConnectorHandlers } from "./connector.js";

/** Options of the faye connector. */
export interface FayeConnectorOptions {
  /** The server's base URL, `http://host:port`. */
  url: string;
  /** faye's mount (default `/faye`). */
  mount?: string;
  /** faye transports to disable (`["websocket"]` forces long-polling). */
  disable?: string[];
  /**
   * Announce the hello: `hello=1` in the endpoint's query, so every faye request carries it
   * (see {@link Connector.hello}).
   */
  hello?: boolean;
}

/** The parts of the faye module the connector uses (the package, or the browser's `Faye`). */
type FayeModule = Pick<typeof import("faye").default, "Client" | "Scheduler">;

/**
 * Connects with faye's own client: subscribes to `/actionwire/out/<clientId>` and publishes
 * requests to `/actionwire/in/<clientId>` (the channels of adapters/faye/faye-channels.ts; the
 * server half is adapters/faye).
 *
 * faye hides the end of a session: when the server ends it (quit, a server-side disconnect,
 * shutdown), the client's next `/meta/connect` is refused and faye quietly handshakes again
 * under a new clientId. The connector reports that refusal (or a new clientId) as the end of the
 * connection and disconnects the fresh session.
 *
 * faye also hides a failed request: it sends it again, and a long-poll response that the network
 * cut is not fetched again, so the pushes in it would be lost without a word. A failing transport
 * therefore ends the connection too (faye's `transport:down`), and the client resumes.
 */
export class FayeConnector implements Connector {
  #client: Client | undefined;
  #handlers: ConnectorHandlers | undefined;
  /** The clientId of the session this connector's connection lives in. */
  #clientId: string | undefined;
  /** Reported closed; from now on faye retries nothing. */
  #ended = false;
  /** The session and its transport are gone: faye sends nothing at all any more. */
  #dead = false;
  /** The server said goodbye: it is about to end the session. */
  #byeSeen = false;

  constructor(private readonly options: FayeConnectorOptions) {}

  get hello(): boolean {
    return this.options.hello === true;
  }

  async open(handlers: ConnectorHandlers): Promise<void> {
    const endpoint = this.options.url + (this.options.mount ?? "/faye");
    const faye = await loadFaye(`${endpoint}/client.js`);
    this.#handlers = handlers;
    const client = new faye.Client(this.hello ? `${endpoint}?hello=1` : endpoint, {
      scheduler: this.#scheduler(faye.Scheduler),
    });
    this.#client = client;
    for (const feature of this.options.disable ?? []) client.disable(feature);
    client.addExtension({ incoming: (message, callback) => this.#incoming(message, callback) });
    await new Promise<void>((resolve, reject) => {
      client.on("transport:down", () => {
        if (this.#clientId === undefined) {
          // Rejected first: the client takes this, not the close, as the reason.
          reject(new Error(`cannot reach the faye server at ${this.options.url}`));
          this.#end("cannot reach the server", true);
        } else if (this.#byeSeen) {
          this.#end("session ended", true);
        } else {
          // A request failed (a long-poll cut by the network, a WebSocket dropped): a response
          // lost on the way may have held pushes and replies, which faye would not fetch again.
          // The connection is over; the client resumes its session on a new one, and the resume
          // replays what was lost. The old faye session is left to time out on the server.
          this.#end("connection lost", true);
        }
      });
      client.connect(() => resolve());
    });
    const clientId = this.#clientId;
    if (this.#ended) throw new Error("the faye connector was closed while connecting");
    if (clientId === undefined) throw new Error("the faye handshake gave no clientId");
    const subscription = client.subscribe(outChannel(clientId), (data) => {
      if (this.#ended || typeof data !== "object" || data === null) return;
      const message = data as Record<string, unknown>;
      if (message.context === "api" && message.status === "Bye!") this.#byeSeen = true;
      handlers.message(message);
    });
    try {
      await subscription;
    } catch (error) {
      this.#end("subscription refused");
      this.#disconnect();
      throw new Error(`the faye server refused the subscription: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  send(request: Record<string, unknown>): void {
    if (this.#ended || this.#clientId === undefined) return;
    this.#client?.publish(inChannel(this.#clientId), request);
  }

  close(): void {
    if (this.#ended) return;
    this.#end("closed by the client");
    this.#disconnect();
  }

  /** Learns the clientId and watches for the end of the session. */
  #incoming(message: Message, callback: (message: Message) => void): void {
    // Callback first: faye finishes a handshake before the connector acts on it.
    callback(message);
    if (message.channel === "/meta/connect" && message.successful === false) {
      // The server no longer knows this session; faye will handshake again (below).
      if (this.#clientId !== undefined) this.#end("session ended");
      return;
    }
    if (message.channel !== "/meta/handshake" || message.successful !== true) return;
    if (typeof message.clientId !== "string") return;
    if (this.#ended) {
      // A fresh session after the end (faye's own re-handshake, or one in flight at close).
      this.#disconnect();
    } else if (this.#clientId === undefined) {
      this.#clientId = message.clientId;
    } else if (message.clientId !== this.#clientId) {
      this.#end("session ended");
      this.#disconnect();
    }
  }

  #end(reason: string, dead = false): void {
    if (dead) this.#dead = true;
    if (this.#ended) return;
    this.#ended = true;
    this.#handlers?.closed(reason);
  }

  /**
   * Disconnects the faye client, which also closes its transport. Called from inside faye (a
   * handshake reply), so it runs once faye has finished handling that reply. A client still
   * handshaking cannot disconnect yet: the handshake's reply, seen in {@link #incoming}, does.
   */
  #disconnect(): void {
    const client = this.#client;
    if (client !== undefined && !this.#dead) setTimeout(() => client.disconnect(), 0);
  }

  /**
   * faye retries a failed request every few seconds, forever. Once this connector is done,
   * nothing gets a second attempt (and once the session is dead, not even a first), and the
   * retry comes at once, to be dropped: the client goes quiet instead of calling on a server
   * that is gone, and leaves no timer behind.
   */
  #scheduler(Base: SchedulerConstructor): SchedulerConstructor {
    const dead = () => this.#dead;
    // After a goodbye the session is about to end: nothing needs retrying either.
    const done = () => this.#ended || this.#byeSeen;
    return class extends Base {
      override isDeliverable(): boolean {
        if (dead() || (done() && this.attempts > 0)) return false;
        return super.isDeliverable();
      }
      override getInterval(): number {
        return done() ? 0 : super.getInterval();
      }
    };
  }
}

/** faye's browser client (the global `Faye`, from `<mount>/client.js`), else the npm package. */
async function loadFaye(browserScript: string): Promise<FayeModule> {
  return (
    (await loadBrowserGlobal<FayeModule>("Faye", browserScript)) ??
    (await loadClientPackage("faye", "faye", () => import("faye"))).default
  );
}

function describeError(error: unknown): string {
  return typeof error === "object" && error !== null && "message" in error
    ? String(error.message)
    : String(error);
}
