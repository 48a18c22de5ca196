import type { IncomingMessage, ServerResponse } from "node:http";
import { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import type { Message, NodeAdapter } from "faye";
import { BaseTransport } from "../../src/core/base-transport.js";
import type { Connection } from "../../src/core/connection.js";
import { loadPackage } from "../../src/core/load-package.js";
import type { PreparedMessage } from "../../src/core/prepared-message.js";
import type { TransportCapabilities, TransportHost } from "../../src/core/realtime-transport.js";
import { isWildcardAddress, urlHost } from "../../src/core/url-host.js";
import { waitAtMost } from "../../src/core/wait-at-most.js";
import { incomingVerdict, outgoingEvent, subscribeFirst } from "./faye-channel-ownership.js";
import { outChannel } from "./faye-channels.js";
import { FayeClusterRouter } from "./faye-cluster-router.js";
import { FayeConnectedSessions } from "./faye-connected-sessions.js";
import { fayeInternals, type FayeInternals } from "./faye-internals.js";
import { parseFayeOptions, pendingSessionLimits, type FayeOptions } from "./faye-options.js";
import {
  FayePendingSessions,
  TOO_MANY_FROM_ADDRESS,
  TOO_MANY_ON_SERVER,
} from "./faye-pending-sessions.js";
import { FayeOutbox } from "./faye-outbox.js";
import { fayeWebSocketUpgrade, type FayeUpgrade } from "./faye-websocket-upgrade.js";

/** Room for the Bayeux envelope and a batch of small messages around one large publish. */
const ENVELOPE_SLACK = 64 * 1024;

/**
 * faye transport (Bayeux over WebSocket, long-polling and the rest of faye's transports). A
 * client subscribes to `/actionwire/out/<its clientId>` and publishes requests to
 * `/actionwire/in/<its clientId>`; a server extension refuses every other subscribe and publish,
 * so faye is never a relay between clients.
 */
export class FayeTransport extends BaseTransport<string> {
  readonly name: string = "faye";
  #maxPayload: number | null = null;

  #options: FayeOptions | undefined;
  #bayeux: NodeAdapter | undefined;
  /** What the adapter uses of faye beyond its public API, checked when it starts. */
  #internals: FayeInternals | undefined;
  /** Sessions with a connection, by faye clientId (the "socket" of {@link BaseTransport}). */
  #connected: FayeConnectedSessions<Connection> | undefined;
  /** Sessions without a connection: bounded in number (at the handshake) and in time. */
  #pending: FayePendingSessions | undefined;
  /** Upgraded sockets: faye keeps a client's WebSocket open across sessions, so shutdown closes them. */
  readonly #upgraded = new Set<Duplex>();
  /** In a cluster (a shared store): sends each HTTP request to the node holding its session. */
  #router: FayeClusterRouter | undefined;
  /** Bodies the router read before faye saw the request (faye then reads them from here). */
  readonly #bodies = new WeakMap<IncomingMessage, Buffer>();
  #selfUrl: string | undefined;
  /** faye's WebSocket upgrade, done by the adapter: it knows the socket holding each session. */
  #upgrade: FayeUpgrade | undefined;
  /** What this tick writes to each WebSocket, sent as one batch. */
  readonly #outbox = new FayeOutbox();

  get capabilities(): TransportCapabilities {
    return {
      nativeAcks: false,
      nativeBroadcast: false,
      binary: false,
      // Long-polling sessions live in one node's faye engine: with a cluster store (Redis), every
      // node forwards a client's requests to that node (FayeClusterRouter); without, they must
      // come back here.
      needsStickySessions: this.#router === undefined,
      maxPayload: this.#maxPayload,
    };
  }

  /** Validates `config.faye`. */
  static validateOptions(raw: unknown): FayeOptions {
    return parseFayeOptions(raw);
  }

  protected async listen(host: TransportHost): Promise<void> {
    const faye = (await loadPackage<typeof import("faye")>("faye", "faye")).default;
    const options =
      (host.config.transportOptions[this.name] as FayeOptions | undefined) ?? parseFayeOptions({});
    this.#options = options;
    const maxPayload = host.config.limits.maxMessageBytes;
    this.#maxPayload = maxPayload;
    const bayeux = new faye.NodeAdapter({
      mount: options.mount,
      timeout: options.timeout,
      ping: options.ping,
    });
    this.#bayeux = bayeux;
    const internals = fayeInternals(bayeux, faye.VERSION);
    this.#internals = internals;
    this.#connected = new FayeConnectedSessions(
      (clientId) => this.#end(clientId),
      options.timeout * 1000,
    );
    this.#pending = new FayePendingSessions(
      pendingSessionLimits(options, host.config.limits),
      (clientId) => this.#expire(clientId),
    );
    if (host.clusterStore !== undefined) {
      const router = new FayeClusterRouter(
        host.clusterStore,
        options.timeout,
        () => this.#ownUrl(),
        host.logger,
      );
      this.#router = router;
      internals.readBodiesFrom(this.#bodies);
      bayeux.on("disconnect", (clientId) => router.release(clientId));
    }
    // Three parameters each: faye passes the HTTP request only to extensions that declare it.
    bayeux.addExtension({
      incoming: (message, request, callback) => this.#incoming(message, request, callback),
      outgoing: (message, request, callback) => this.#outgoing(message, request, callback),
    });
    // A client's /meta/disconnect, its session timing out, or #end.
    bayeux.on("disconnect", (clientId) => this.#gone(clientId));
    // A publish up to twice the limit still reaches the core and gets its ERR_MESSAGE_TOO_LARGE
    // reply; a bigger long-polling request is refused before faye reads it (see acceptableBody),
    // and a bigger WebSocket frame as soon as its header arrives (see fayeWebSocketUpgrade).
    const maxBody = 2 * maxPayload + ENVELOPE_SLACK;
    host.requests.add(options.mount, (request, response) => {
      if (!acceptableBody(request, response, maxBody)) return;
      const router = this.#router;
      if (router === undefined) {
        bayeux.handle(request, response);
        return;
      }
      router
        .route(request, response, (body) => {
          if (body !== undefined) this.#bodies.set(request, body);
          bayeux.handle(request, response);
        })
        .catch((error: unknown) => {
          this.host.logger.error("faye: routing a request failed", { error: String(error) });
          response.destroy();
        });
    });
    const upgrade = fayeWebSocketUpgrade(internals, {
      ping: options.ping,
      maxLength: maxBody,
      tooLarge: (clientId) => this.#tooLarge(clientId),
      subscribeTimeoutMs: options.subscribeTimeoutMs,
      liveSession: (clientId) =>
        this.#sessions.has(clientId) || this.#pendingSessions.has(clientId),
      router: this.#router,
      logger: host.logger,
    });
    host.upgrades.add(options.mount, (request, socket, head) => {
      this.#upgraded.add(socket);
      socket.once("close", () => this.#upgraded.delete(socket));
      upgrade.handle(request, socket, head);
    });
    this.#upgrade = upgrade;
  }

  /** Where faye clients connect: the server's base URL and the mount. */
  endpoint(baseUrl: string): string {
    return baseUrl + (this.#options?.mount ?? "/faye");
  }

  /**
   * Messages published to the client that faye has not put on the wire yet, and what its
   * WebSocket (if it holds one) has not sent yet (its batch of this tick counted in characters).
   */
  protected override backlog(clientId: string): { bytes: number; messages: number } {
    if (!this.#sessions.has(clientId)) return { bytes: 0, messages: 0 };
    const held = this.#upgrade?.holder(clientId);
    return {
      bytes: held === undefined ? 0 : held.socket.writableLength + this.#outbox.pending(held.ws),
      messages: this.#sessions.undelivered(clientId),
    };
  }

  protected write(clientId: string, message: PreparedMessage): void {
    const sessions = this.#sessions;
    if (!sessions.has(clientId)) return;
    const held = this.#upgrade?.holder(clientId);
    if (held !== undefined) {
      // On the WebSocket holding the session, which is where faye itself would deliver it, with
      // no round through faye's engine and outgoing pipeline per recipient.
      this.#outbox.add(held.ws, clientId, message.json);
      return;
    }
    sessions.written(clientId);
    // Otherwise (long-polling, or a socket before its `/meta/connect`): straight to faye's
    // engine, as faye's own server does with a client's publish, with no in-process client. The
    // engine queues it for the client's next poll, or delivers it through the outgoing extensions.
    this.#faye.publish(outChannel(clientId), message.payload);
  }

  /**
   * Ends the faye session, so the client must handshake again (and gets a new connection). The
   * goodbye is still on its way: the server's client publishes asynchronously, and a
   * long-polling client only receives it on its next poll. Ending the session earlier would
   * drop it, so the session ends once faye has put every message written to this client on the
   * wire (counted as faye sends them), or after faye's `timeout` if the client never polls.
   */
  protected terminate(clientId: string): void {
    this.#connected?.beginEnding(clientId);
  }

  protected async shutdown(): Promise<void> {
    const bayeux = this.#bayeux;
    const options = this.#options;
    if (bayeux === undefined || options === undefined) return;
    // Every connection is closed by now; give the goodbyes on their way time to be polled, and
    // the sockets relayed to other nodes time to move to a live node.
    await waitAtMost(
      Promise.all([this.#sessions.endings(), this.#upgrade?.drainRelays()]),
      this.host.config.shutdownTimeoutMs,
    );
    for (const clientId of this.#sessions.clientIds()) this.#end(clientId);
    this.#pending?.clear();
    bayeux.close();
    this.#router?.stop();
    this.host.requests.remove(options.mount);
    // Until the HTTP server closes, the mount answers with an error faye's client retries. The
    // server's own 404 is JSON, which faye's client takes for replies: it would then wait out
    // the timeout of every message it sent (over a minute) for replies that never come.
    this.host.requests.add(options.mount, (_request, response) => {
      response.writeHead(503, { "content-type": "text/plain", connection: "close" });
      response.end("faye is stopped");
    });
    this.host.upgrades.remove(options.mount);
    for (const socket of this.#upgraded) socket.destroy();
  }

  get #faye(): FayeInternals {
    if (this.#internals === undefined) throw new Error("faye transport is not started");
    return this.#internals;
  }

  /** This node's URL as the other nodes reach it: `faye.clusterUrl`, or where it listens. */
  #ownUrl(): string {
    if (this.#selfUrl !== undefined) return this.#selfUrl;
    const configured = this.#options?.clusterUrl;
    const http = this.host.httpServer;
    const address = http?.address();
    if (configured !== undefined) {
      this.#selfUrl = configured;
    } else if (http !== null && address !== null && typeof address === "object") {
      if (isWildcardAddress(address.address)) {
        this.host.logger.warn(
          "faye: the server listens on every interface; set faye.clusterUrl to the URL other nodes reach this one at (127.0.0.1 is assumed)",
        );
      }
      const scheme = http instanceof HttpsServer ? "https" : "http";
      this.#selfUrl = `${scheme}://${urlHost(address.address)}:${address.port}`;
    } else {
      return "";
    }
    return this.#selfUrl;
  }

  get #pendingSessions(): FayePendingSessions {
    if (this.#pending === undefined) throw new Error("faye transport is not started");
    return this.#pending;
  }

  get #sessions(): FayeConnectedSessions<Connection> {
    if (this.#connected === undefined) throw new Error("faye transport is not started");
    return this.#connected;
  }

  /**
   * Ownership rules (faye-channel-ownership.ts), applied to every message a client sends. The
   * server's own messages never pass here: they go straight to faye's engine (see `write`).
   */
  #incoming(
    message: Message,
    request: IncomingMessage | null,
    callback: (message: Message) => void,
  ): void {
    const verdict = incomingVerdict(message, request !== null);
    if (verdict.kind === "refuse") {
      this.#refuse(message, verdict.error);
    } else if (verdict.kind === "connect") {
      this.#router?.touch(verdict.clientId);
    } else if (verdict.kind === "handshake" && request !== null) {
      // Checked before faye creates the session, so a refused handshake costs no memory.
      const refusal = this.#pendingSessions.refusal(this.host.remoteAddress(request).ip);
      if (refusal !== undefined) {
        message.error = refusal;
        this.host.logger.debug("faye handshake refused", { reason: refusal });
      }
    } else if (verdict.kind === "request") {
      const connection = this.#sessions.liveConnection(verdict.clientId);
      if (connection === undefined) {
        this.#refuse(message, subscribeFirst(verdict.clientId));
      } else if (message.data !== undefined) {
        // The core measures, rate-limits and parses the published data's JSON text, exactly
        // as it does a ws frame: a string or array becomes ERR_BAD_MESSAGE.
        const text = JSON.stringify(message.data);
        callback(message);
        this.host.receiveText(connection, text);
        return;
      }
    }
    callback(message);
  }

  /**
   * Watches what faye sends to clients: a confirmed subscription to a client's own out channel
   * creates its connection (the request carries the client's address, WebSocket or HTTP), a
   * confirmed unsubscription closes it, and each delivery on an out channel is counted.
   */
  #outgoing(
    message: Message,
    request: IncomingMessage | null,
    callback: (message: Message) => void,
  ): void {
    const { channel, clientId } = message;
    const router = this.#router;
    if (request !== null && channel === "/meta/handshake") {
      if (message.successful === true && typeof clientId === "string") {
        // faye's memory engine created the session within the handshake's own processing, so
        // the count the next handshake is checked against already includes it.
        this.#pendingSessions.add(clientId, this.host.remoteAddress(request).ip);
        if (router !== undefined) {
          // Recorded before the reply leaves: the client's next request may reach any node.
          void router.claim(clientId).then(() => callback(message));
          return;
        }
      } else if (message.error === TOO_MANY_FROM_ADDRESS || message.error === TOO_MANY_ON_SERVER) {
        // faye advises `handshake` after a failed handshake, on which its client handshakes
        // again at once, besides the retry it schedules itself: with `retry`, only the latter
        // remains, every `retry` seconds (5 by default).
        message.advice = { ...message.advice, reconnect: "retry" };
      }
    }
    const event = request === null ? undefined : outgoingEvent(message);
    if (event?.kind === "delivered") this.#sessions.delivered(event.clientId);
    else if (event?.kind === "subscribed" && request !== null) this.#open(event.clientId, request);
    else if (event?.kind === "unsubscribed") this.#unsubscribed(event.clientId);
    callback(message);
  }

  #open(clientId: string, request: IncomingMessage): void {
    if (this.#sessions.has(clientId)) return;
    const { ip, port } = this.host.remoteAddress(request);
    const address = this.#pendingSessions.delete(clientId) ?? ip;
    const session = this.#sessions.add(clientId, address);
    session.connection = this.accept(clientId, { remoteIP: ip, remotePort: port, request });
  }

  /**
   * The client's WebSocket was closed for a frame over the bound: like a tcp line over the
   * limit, its connection gets ERR_MESSAGE_TOO_LARGE and the goodbye (delivered if the client
   * polls again), then the session ends.
   */
  #tooLarge(clientId: string): void {
    const connection = this.#sessions.liveConnection(clientId);
    if (connection?.open === true) this.host.frameTooLarge(connection);
  }

  /**
   * The client stopped listening: its connection ends, its faye session goes on, without a
   * connection again, so under the same deadline as after a handshake.
   */
  #unsubscribed(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined || session.ending !== undefined) return;
    this.#sessions.delete(clientId);
    this.#pendingSessions.add(clientId, session.address);
    if (session.connection !== undefined) this.release(session.connection);
  }

  #end(clientId: string): void {
    if (!this.#sessions.has(clientId)) return;
    this.#faye.endSession(clientId);
    // destroyClient reports through "disconnect"; this covers a session faye had already dropped.
    this.#gone(clientId);
  }

  /**
   * A session went without a connection for `faye.subscribeTimeoutMs`: faye ends it as it does
   * a session that timed out (a held long-poll is answered, a WebSocket carrying its
   * `/meta/connect` is closed, so the client holds neither), and the client's next
   * `/meta/connect` gets `401:<clientId>:Unknown client`.
   */
  #expire(clientId: string): void {
    this.host.logger.debug("faye session ended: no subscribe within subscribeTimeoutMs");
    this.#faye.destroySession(clientId);
  }

  /** The faye session is over: the connection (if still open) closes. */
  #gone(clientId: string): void {
    this.#pending?.delete(clientId);
    const session = this.#connected?.delete(clientId);
    if (session?.connection !== undefined) this.release(session.connection);
  }

  /** The error goes back to the client alone; the log leaves channels (and clientIds) out. */
  #refuse(message: Message, error: string): void {
    message.error = error;
    this.host.logger.debug(
      message.channel === "/meta/subscribe" ? "faye subscribe refused" : "faye publish refused",
    );
  }
}

/**
 * faye reads a long-polling body whole into memory with no limit of its own, so the adapter
 * bounds it first: 413 over `max`, 411 without a Content-Length (faye's Node and browser
 * clients always send one; Node's parser holds the body to the declared length).
 */
function acceptableBody(request: IncomingMessage, response: ServerResponse, max: number): boolean {
  if (request.method !== "POST") return true;
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  const status = !Number.isSafeInteger(declared) ? 411 : declared > max ? 413 : 0;
  if (status === 0) return true;
  response.writeHead(status, { "content-type": "text/plain", connection: "close" });
  response.end(status === 411 ? "Content-Length required" : "Request body too large");
  return false;
}
