import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { ClusterStore } from "../../src/core/cluster-store.js";
import type { Logger } from "../../src/core/logger.js";

/** Marks a request one node forwarded to another: the receiver serves it, never forwards again. */
const HOP = "x-actionwire-faye-hop";

/**
 * Routes each faye HTTP request (long-polling, callback-polling, EventSource) to the node that
 * holds the client's faye session, so that no sticky sessions are needed.
 *
 * Why route instead of sharing faye's state in Redis (a Redis faye engine): an actionwire
 * connection is more than faye's queue. It lives on the node where the client subscribed (its
 * rooms, rate limits, pending replies, the goodbye-then-end sequence counted as faye delivers),
 * so with a shared engine every publish from the client would still have to reach that node,
 * and every delivery and session end would have to be reported back to it. Routing keeps the
 * faye session and the connection together on one node, as with a WebSocket, and keeps faye's
 * own in-memory engine, which is maintained and tested.
 *
 * How: the node that answers a handshake records `faye:client:<clientId>` = its own internal
 * URL in the cluster store (in Redis, `<prefix>faye:client:<clientId>`) before the reply leaves
 * (so the client's next request, wherever the balancer sends it, finds it). A node that
 * receives a request for a clientId it does not hold looks the owner up and forwards the HTTP
 * request there (body, headers, and the held long-poll response, piped back). The record
 * expires unless the owner keeps seeing the client's `/meta/connect`, and is deleted when the
 * session ends. Without a record, with the store away (it fails fast), or when the owner cannot
 * be reached, the request is served here: faye answers an unknown clientId with "handshake
 * again", so the client starts a new session on a live node.
 */
export class FayeClusterRouter {
  /** Sessions created on this node, whose requests are never looked up. */
  readonly #local = new Set<string>();
  readonly #httpAgent = new HttpAgent({ keepAlive: true });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true });
  /** Forwarded requests in flight, aborted at stop. */
  readonly #forwarded = new Set<{ destroy(): void }>();

  constructor(
    /** Where ownership records live, shared by every node. */
    private readonly store: ClusterStore,
    /** Seconds faye holds a long-poll: the ownership record lives for three of them. */
    private readonly timeoutSeconds: number,
    /** This node's URL as other nodes reach it (`http://10.0.0.5:8080`), read when needed. */
    private readonly selfUrl: () => string,
    private readonly logger: Logger,
  ) {}

  /** Aborts the requests being forwarded and closes the agents' idle sockets. */
  stop(): void {
    for (const forwarded of this.#forwarded) forwarded.destroy();
    this.#forwarded.clear();
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  /** A session was created here: recorded before its handshake reply leaves. */
  async claim(clientId: string): Promise<void> {
    this.#local.add(clientId);
    const self = this.selfUrl();
    if (self === "") return;
    await this.store
      .set(this.#key(clientId), self, this.#ttlMs)
      .catch((error: unknown) =>
        this.logger.debug("faye router: recording a session failed", { error: String(error) }),
      );
  }

  /** The client of a session held here polled: its record lives on (written again). */
  touch(clientId: string): void {
    if (!this.#local.has(clientId)) return;
    const self = this.selfUrl();
    if (self === "") return;
    void this.store.set(this.#key(clientId), self, this.#ttlMs).catch(() => undefined);
  }

  /** A session held here ended. */
  release(clientId: string): void {
    if (!this.#local.delete(clientId)) return;
    void this.store.delete(this.#key(clientId)).catch(() => undefined);
  }

  /** Whether another node forwarded `request` here: it is served here, never forwarded again. */
  forwardedHere(request: IncomingMessage): boolean {
    return request.headers[HOP] !== undefined;
  }

  /**
   * The URL of another node holding `clientId`'s session (from the store); `undefined` when it
   * is held here, unknown, or the store cannot tell (serve it here).
   */
  async owner(clientId: string): Promise<string | undefined> {
    if (this.#local.has(clientId)) return undefined;
    const owner = await this.store.get(this.#key(clientId)).catch(() => null);
    if (owner === null || owner === this.selfUrl() || !URL.canParse(owner)) return undefined;
    return owner;
  }

  /**
   * The headers a request forwarded to another node carries: the client's own (so that the
   * owner's `authenticate` sees them), the hop mark, and `X-Forwarded-For` with the peer added.
   * `drop` names headers (lower case) to leave out.
   */
  forwardedHeaders(
    request: IncomingMessage,
    drop: ReadonlySet<string> = new Set(),
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || drop.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    headers[HOP] = "1";
    const peer = request.socket.remoteAddress;
    if (peer !== undefined) {
      const prior = request.headers["x-forwarded-for"];
      headers["x-forwarded-for"] = prior === undefined ? peer : `${String(prior)}, ${peer}`;
    }
    return headers;
  }

  /**
   * Serves `request` here (`local`, given the body if it was read) or forwards it to the node
   * that holds its client's session.
   */
  async route(
    request: IncomingMessage,
    response: ServerResponse,
    local: (body: Buffer | undefined) => void,
  ): Promise<void> {
    if (this.forwardedHere(request)) {
      local(undefined);
      return;
    }
    let body: Buffer | undefined;
    let clientId: string | undefined;
    try {
      if (request.method === "POST") {
        body = await readBody(request);
        const text = body.toString("utf8");
        const type = (request.headers["content-type"] ?? "").split(";")[0];
        clientId = clientOf(
          type === "application/json" ? text : new URLSearchParams(text).get("message"),
        );
      } else if (request.method === "GET") {
        const url = new URL(request.url ?? "/", "http://localhost");
        const message = url.searchParams.get("message");
        const eventSource = (request.headers.accept ?? "").includes("text/event-stream");
        // EventSource: faye's path is `<mount>/<clientId>`.
        if (message !== null) clientId = clientOf(message);
        else if (eventSource) clientId = url.pathname.split("/").pop() || undefined;
      }
    } catch {
      // The request went away while its body was read.
      response.destroy();
      return;
    }
    const owner = clientId === undefined ? undefined : await this.owner(clientId);
    if (owner === undefined) {
      local(body);
      return;
    }
    this.#forward(owner, request, response, body, () => local(body));
  }

  get #ttlMs(): number {
    return Math.max(10_000, Math.ceil(3 * this.timeoutSeconds * 1000));
  }

  #key(clientId: string): string {
    return `faye:client:${clientId}`;
  }

  /** Forwards the request to `owner` and pipes its answer back; `fallback` if it cannot. */
  #forward(
    owner: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer | undefined,
    fallback: () => void,
  ): void {
    // Only the path and query come from the request: `//elsewhere/…` must not pick the host.
    const asked = new URL(request.url ?? "/", "http://localhost");
    const target = new URL(owner);
    target.pathname = asked.pathname;
    target.search = asked.search;
    const secure = target.protocol === "https:";
    const headers: OutgoingHttpHeaders = { ...this.forwardedHeaders(request), host: target.host };
    const options = {
      method: request.method,
      headers,
      agent: secure ? this.#httpsAgent : this.#httpAgent,
    };
    const forwarded = (secure ? httpsRequest : httpRequest)(target, options, (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(response);
      upstream.once("error", () => response.destroy());
    });
    this.#forwarded.add(forwarded);
    forwarded.once("close", () => this.#forwarded.delete(forwarded));
    forwarded.once("error", (error) => {
      this.logger.debug("faye router: forwarding failed", { error: error.message });
      if (response.headersSent || response.destroyed) response.destroy();
      // The owner is gone: faye here tells the client to handshake again.
      else fallback();
    });
    // The client gave up (or the response is complete): nothing more to wait for.
    response.once("close", () => {
      // (A finished exchange's socket is back in the agent's pool and must not be destroyed.)
      if (!response.writableFinished) forwarded.destroy();
    });
    if (body !== undefined) forwarded.end(body);
    else request.pipe(forwarded);
  }
}

/**
 * The clientId all the messages of a Bayeux request name, if they name one. A request with a
 * handshake in it is served where it arrived, whatever clientId it names: the new session is
 * counted against the address it came from (see FayePendingSessions), which a forwarded
 * request would hide behind the forwarding node's.
 */
function clientOf(json: string | null): string | undefined {
  if (json === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  return sessionOf(parsed);
}

/**
 * The clientId every message of a Bayeux message or batch (parsed) names, if they all name the
 * same one and none is a handshake (see {@link FayeClusterRouter.route}): the session a request,
 * or a WebSocket's first such message, belongs to.
 */
export function sessionOf(parsed: unknown): string | undefined {
  const messages = (Array.isArray(parsed) ? parsed : [parsed]).map((m: unknown) =>
    typeof m === "object" && m !== null ? (m as { clientId?: unknown; channel?: unknown }) : {},
  );
  if (messages.some((m) => m.channel === "/meta/handshake")) return undefined;
  const ids = new Set(messages.map((m) => m.clientId));
  const [only] = ids;
  return ids.size === 1 && typeof only === "string" && only !== "" ? only : undefined;
}

/** The whole body (its size was bounded by the caller from Content-Length). */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
    request.once("aborted", () => reject(new Error("request aborted")));
  });
}
