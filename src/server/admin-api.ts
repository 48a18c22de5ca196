import { createHash, timingSafeEqual } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { ClusterBus, NodeAnswer, NodeQuestion } from "../core/cluster-bus.js";
import type { ResolvedConfig } from "../core/config.js";
import { ActionwireError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { RequestRouter } from "../core/request-router.js";
import { urlHost } from "../core/url-host.js";
import { urlPath } from "../core/url-path.js";
import {
  type AdminAnswers,
  type AdminConnectionView,
  byMembers,
  byName,
  type NodeOverview,
  type RoomCount,
  type RoomFilter,
} from "./admin-answers.js";
import { ADMIN_PAGE_CSP, adminPage } from "./admin-page.js";
import { percentiles, RATE_SECONDS, WINDOW_SECONDS } from "./admin-stats.js";
import { closeListener, sendJson } from "./http-replies.js";

/** Rooms per page at most (`limit`). */
export const MAX_ROOMS_LIMIT = 100;
/** How deep the rooms ranked by members can be paged (`cursor` + `limit`). */
export const MAX_RANKED_ROOMS = 1_000;
/** Connections per lookup at most (`limit`). */
export const MAX_CONNECTIONS_LIMIT = 100;
/** The longest search text (`q`), user (`user`) or disconnect reason, in characters. */
export const MAX_TEXT = 200;
/** The largest disconnect request body, in bytes. */
const MAX_BODY_BYTES = 4_096;

/** An error the API answers with: an HTTP status, a stable code and a sentence. */
class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the admin API needs of the server. */
export interface AdminHost {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly bus: ClusterBus;
  readonly answers: AdminAnswers;
  /** Closes a connection wherever it lives, with the coded goodbye; `false`: no node holds it. */
  disconnect(connectionId: string, message: string): Promise<boolean>;
  /** The client's address (through the trusted proxies), for the log. */
  remoteAddress(request: IncomingMessage): string;
}

/**
 * The live inspection page (`config.admin`) and its JSON API, under `admin.path`:
 *
 * - `GET <path>`: the page (one HTML file, inline script and style, a CSP that allows nothing else);
 * - `GET <path>/api/overview`: every node's statistics and the cluster's totals;
 * - `GET <path>/api/rooms`: rooms with their member counts, ranked or by name, searched, paged;
 * - `GET <path>/api/connections`: a connection by `id`, or a user's connections;
 * - `POST <path>/api/disconnect`: closes a connection, wherever it lives, with a coded goodbye.
 *
 * Every API request needs the token (`Authorization: Bearer`) and/or passes the `authorize`
 * hook; the questions go to every node over the cluster bus, each answer awaited at most
 * `admin.timeoutMs`. docs/operating.md documents the routes.
 */
export class AdminApi {
  readonly #host: AdminHost;
  readonly #path: string;
  readonly #tokenHash: Buffer | undefined;
  #listener: HttpServer | undefined;

  constructor(host: AdminHost) {
    this.#host = host;
    this.#path = host.config.admin.path;
    const token = host.config.admin.token;
    this.#tokenHash = token === undefined ? undefined : sha256(token);
  }

  /** Serves on the server's HTTP server (`requests`), or on a listener of its own (`admin.port`). */
  async start(requests: RequestRouter | undefined): Promise<void> {
    const options = this.#host.config.admin;
    const handler = (request: IncomingMessage, response: ServerResponse) =>
      this.handle(request, response);
    if (options.port === undefined) {
      requests?.add(this.#path, handler);
      return;
    }
    const path = this.#path;
    const listener = createHttpServer((request, response) => {
      const pathname = (request.url ?? "/").split("?")[0]!;
      if (pathname === path || pathname.startsWith(`${path}/`)) return handler(request, response);
      send(response, 404, { code: "ERR_NOT_FOUND", error: "not found" });
    });
    this.#listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen(options.port, options.host ?? this.#host.config.host, () => {
        listener.off("error", reject);
        resolve();
      });
    });
  }

  /** The page's URL on its own listener (`admin.port`), if it has one. */
  get url(): string | undefined {
    const address = this.#listener?.address() as AddressInfo | null | undefined;
    if (address === null || address === undefined) return undefined;
    return `http://${urlHost(address.address)}:${address.port}${this.#path}`;
  }

  async stop(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    await closeListener(listener);
  }

  /** Answers one request under `admin.path`. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    this.#route(request, response).catch((error: unknown) => {
      if (!(error instanceof AdminError)) {
        this.#host.logger.error("the admin API failed", { error: String(error) });
        error = new AdminError(500, "ERR_ADMIN_FAILED", "the admin API failed; see the server log");
      }
      const { status, code, message } = error as AdminError;
      if (status === 401) {
        response.setHeader("www-authenticate", 'Bearer realm="actionwire admin"');
      }
      if (status === 405) {
        response.setHeader(
          "allow",
          urlPath(request.url).endsWith("/disconnect") ? "POST" : "GET, HEAD",
        );
      }
      if (!response.headersSent) send(response, status, { code, error: message });
    });
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The path as the request router matched it (no dot segments resolved), and the query.
    const pathname = urlPath(request.url);
    const route = pathname.startsWith(this.#path)
      ? pathname.slice(this.#path.length).replace(/\/+$/, "")
      : undefined;
    const search = (request.url ?? "").slice(pathname.length + 1);
    if (route === "") {
      method(request, "GET");
      await this.#authorizePage(request);
      const html = adminPage(`${this.#path}/api`);
      response.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(html),
        "content-security-policy": ADMIN_PAGE_CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
      });
      response.end(request.method === "HEAD" ? undefined : html);
      return;
    }
    const query = new Query(new URLSearchParams(search));
    switch (route) {
      case "/api/overview":
        method(request, "GET");
        await this.#authorize(request);
        query.done();
        return send(response, 200, await this.overview());
      case "/api/rooms": {
        method(request, "GET");
        await this.#authorize(request);
        const sort = query.choice("sort", ["members", "name"], "members");
        const filter: RoomFilter = {
          q: query.text("q", "", MAX_TEXT),
          match: query.choice("match", ["substring", "prefix"], "substring"),
        };
        const limit = query.integer("limit", 1, MAX_ROOMS_LIMIT, 20);
        const cursor = query.cursor(sort);
        query.done();
        return send(response, 200, await this.rooms(sort, filter, limit, cursor));
      }
      case "/api/connections": {
        method(request, "GET");
        await this.#authorize(request);
        const id = query.optionalText("id", 100);
        const user = query.optionalText("user", MAX_TEXT);
        const limit = query.integer("limit", 1, MAX_CONNECTIONS_LIMIT, 20);
        query.done();
        if ((id === undefined) === (user === undefined)) {
          throw new AdminError(400, "ERR_MISSING_PARAM", "give exactly one of id and user");
        }
        return send(
          response,
          200,
          id !== undefined ? await this.connection(id) : await this.userConnections(user!, limit),
        );
      }
      case "/api/disconnect": {
        method(request, "POST");
        await this.#authorize(request);
        query.done();
        const { id, reason } = await disconnectBody(request);
        const done = await this.#host.disconnect(id, reason);
        if (!done) {
          throw new AdminError(404, "ERR_NOT_FOUND", `no live node holds the connection ${id}`);
        }
        this.#host.logger.info("the admin page disconnected a connection", {
          connectionId: id,
          reason,
          from: this.#host.remoteAddress(request),
        });
        return send(response, 200, { disconnected: true, id });
      }
      default:
        throw new AdminError(404, "ERR_NOT_FOUND", `no admin route ${pathname}`);
    }
  }

  /** Every node's overview and the cluster's totals. */
  async overview(): Promise<Record<string, unknown>> {
    const answers = await this.#ask({ kind: "overview" });
    const nodes = answers.map((answer) =>
      answer.status === "ok"
        ? { nodeId: answer.nodeId, status: "ok", ...(answer.answer as NodeOverview) }
        : { ...answer },
    );
    const live = answers.flatMap((answer) =>
      answer.status === "ok" ? [answer.answer as NodeOverview] : [],
    );
    const sum = (pick: (node: NodeOverview) => Record<string, number>) => {
      const total: Record<string, number> = {};
      for (const node of live) {
        for (const [key, value] of Object.entries(pick(node))) {
          total[key] = (total[key] ?? 0) + value;
        }
      }
      return total;
    };
    const histogram: number[] = [];
    for (const node of live) {
      node.latency.histogram.forEach((count, i) => (histogram[i] = (histogram[i] ?? 0) + count));
    }
    const connections = sum((node) => node.connections);
    return {
      at: Date.now(),
      rateSeconds: RATE_SECONDS,
      windowSeconds: WINDOW_SECONDS,
      partial: live.length < answers.length,
      nodes,
      totals: {
        nodes: answers.length,
        answered: live.length,
        connections: Object.values(connections).reduce((a, b) => a + b, 0),
        byTransport: connections,
        rates: sum((node) => node.rates),
        latency: percentiles(histogram),
        slowConsumers: sum((node) => node.slowConsumers),
        errors: sum((node) => node.errors),
        recentErrors: sum((node) => node.recentErrors),
      },
    };
  }

  /**
   * A page of rooms, cluster-wide. By name: each node's next `limit` after the cursor, merged
   * (exact: a room on the page is on each of its nodes' pages too). By members: each node's top
   * rooms, merged, then every node asked for its exact counts of those, ranked again; a room
   * thinly spread over many nodes, in no node's top, can be missing from the ranking.
   */
  async rooms(
    sort: "members" | "name",
    filter: RoomFilter,
    limit: number,
    cursor: Cursor | undefined,
  ): Promise<Record<string, unknown>> {
    if (sort === "name") {
      const after = cursor?.after;
      const answers = await this.#ask({ kind: "rooms", sort, ...filter, after, take: limit + 1 });
      const merged = mergeRooms(answers).sort(byName);
      const page = merged.slice(0, limit);
      const more = merged.length > limit;
      return {
        rooms: page.map(([name, members]) => ({ name, members })),
        next: more ? encodeCursor({ sort, after: page[page.length - 1]![0] }) : null,
        ...coverage(answers),
      };
    }
    const offset = cursor?.offset ?? 0;
    const take = offset + limit + 1;
    const answers = await this.#ask({ kind: "rooms", sort, ...filter, take });
    let ranked = mergeRooms(answers).sort(byMembers).slice(0, take);
    const answered = answers.filter((answer) => answer.status === "ok").length;
    if (answered > 1 && ranked.length > 0) {
      // Each node's top is exact for itself only: ask every node for these rooms' counts.
      const names = ranked.map(([name]) => name);
      const counts = await this.#ask({ kind: "roomCounts", rooms: names });
      const exact = names.map((): number => 0);
      for (const answer of counts) {
        if (answer.status !== "ok") continue;
        (answer.answer as number[]).forEach((count, i) => (exact[i]! += count));
      }
      ranked = names.map((name, i): RoomCount => [name, exact[i]!]).sort(byMembers);
    }
    const page = ranked.slice(offset, offset + limit);
    const more = ranked.length > offset + limit && offset + limit < MAX_RANKED_ROOMS;
    return {
      rooms: page.map(([name, members]) => ({ name, members })),
      next: more ? encodeCursor({ sort, offset: offset + limit }) : null,
      matched: answers.reduce(
        (total, answer) =>
          total + (answer.status === "ok" ? (answer.answer as { matched: number }).matched : 0),
        0,
      ),
      ...coverage(answers),
    };
  }

  /** The connection with this id, on whichever node holds it. */
  async connection(id: string): Promise<Record<string, unknown>> {
    const answers = await this.#ask({ kind: "connection", id });
    return { connections: connectionsOf(answers).slice(0, 1), ...coverage(answers) };
  }

  /** Up to `limit` connections of a user, from every node. */
  async userConnections(user: string, limit: number): Promise<Record<string, unknown>> {
    const answers = await this.#ask({ kind: "user", user, take: limit + 1 });
    const found = connectionsOf(answers).sort((a, b) => a.connectedAt - b.connectedAt);
    return { connections: found.slice(0, limit), more: found.length > limit, ...coverage(answers) };
  }

  /** Asks every node (only this one, on a bus that serves one process). */
  async #ask(question: NodeQuestion): Promise<NodeAnswer[]> {
    const { bus, answers, config } = this.#host;
    if (bus.ask !== undefined) return bus.ask(question, config.admin.timeoutMs);
    try {
      return [{ nodeId: config.nodeId, status: "ok", answer: answers.answer(question) }];
    } catch (error) {
      return [{ nodeId: config.nodeId, status: "error", error: String(error) }];
    }
  }

  /** The page itself holds no data: only the `authorize` hook (cookies, headers) guards it. */
  async #authorizePage(request: IncomingMessage): Promise<void> {
    if (this.#host.config.admin.authorize !== undefined) await this.#hook(request);
  }

  /** The token (if set), then the hook (if set). */
  async #authorize(request: IncomingMessage): Promise<void> {
    const expected = this.#tokenHash;
    if (expected !== undefined) {
      const header = request.headers.authorization;
      const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
      if (match === null) {
        throw new AdminError(
          401,
          "ERR_UNAUTHENTICATED",
          "the admin API needs its token: Authorization: Bearer <admin.token>",
        );
      }
      // Hashed first: equal lengths for timingSafeEqual, and no length leaked.
      if (!timingSafeEqual(sha256(match[1]!), expected)) {
        throw new AdminError(403, "ERR_NOT_AUTHORIZED", "wrong admin token");
      }
    }
    if (this.#host.config.admin.authorize !== undefined) await this.#hook(request);
  }

  async #hook(request: IncomingMessage): Promise<void> {
    let verdict: unknown;
    try {
      verdict = await this.#host.config.admin.authorize!(request);
    } catch (error) {
      if (error instanceof ActionwireError) throw new AdminError(403, error.code, error.message);
      this.#host.logger.error("admin.authorize threw", { error: String(error) });
      throw new AdminError(403, "ERR_NOT_AUTHORIZED", "not authorized to use the admin page");
    }
    if (verdict !== true) {
      throw new AdminError(403, "ERR_NOT_AUTHORIZED", "not authorized to use the admin page");
    }
  }
}

/** Where a page of rooms starts: after a name, or at a rank. */
interface Cursor {
  readonly sort: "members" | "name";
  readonly after?: string;
  readonly offset?: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** The query parameters of one request, each read once and checked; `done` rejects the rest. */
class Query {
  readonly #read = new Set<string>();

  constructor(private readonly params: URLSearchParams) {}

  #one(name: string): string | undefined {
    this.#read.add(name);
    const values = this.params.getAll(name);
    if (values.length > 1) {
      throw new AdminError(400, "ERR_INVALID_PARAM", `${name} is given more than once`);
    }
    return values[0];
  }

  optionalText(name: string, max: number): string | undefined {
    const value = this.#one(name);
    if (value === undefined) return undefined;
    if (value === "" || value.length > max || hasControl(value)) {
      throw new AdminError(
        400,
        "ERR_INVALID_PARAM",
        `${name} must be 1 to ${max} characters, with no control characters`,
      );
    }
    return value;
  }

  text(name: string, fallback: string, max: number): string {
    const value = this.#one(name);
    if (value === undefined || value === "") return fallback;
    return this.optionalText(name, max)!;
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.#one(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new AdminError(
        400,
        "ERR_INVALID_PARAM",
        `${name} must be one of ${allowed.join(", ")}`,
      );
    }
    return value as T;
  }

  integer(name: string, min: number, max: number, fallback: number): number {
    const value = this.#one(name);
    if (value === undefined) return fallback;
    const number = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
    if (!(number >= min && number <= max)) {
      throw new AdminError(
        400,
        "ERR_INVALID_PARAM",
        `${name} must be an integer from ${min} to ${max}`,
      );
    }
    return number;
  }

  cursor(sort: "members" | "name"): Cursor | undefined {
    const value = this.#one("cursor");
    if (value === undefined || value === "") return undefined;
    const invalid = () =>
      new AdminError(400, "ERR_INVALID_PARAM", "cursor is not one this API gave for this sort");
    let cursor: Cursor;
    try {
      if (value.length > 2 * MAX_TEXT * 4) throw invalid();
      cursor = JSON.parse(Buffer.from(value, "base64url").toString()) as Cursor;
    } catch {
      throw invalid();
    }
    if (typeof cursor !== "object" || cursor === null || cursor.sort !== sort) throw invalid();
    if (sort === "name" && typeof cursor.after !== "string") throw invalid();
    if (
      sort === "members" &&
      !(Number.isInteger(cursor.offset) && cursor.offset! > 0 && cursor.offset! < MAX_RANKED_ROOMS)
    ) {
      throw invalid();
    }
    return cursor;
  }

  /** Rejects a parameter no route reads (a typo would otherwise be silently ignored). */
  done(): void {
    for (const name of this.params.keys()) {
      if (!this.#read.has(name)) {
        throw new AdminError(400, "ERR_INVALID_PARAM", `unknown parameter ${name}`);
      }
    }
  }
}

function method(request: IncomingMessage, allowed: "GET" | "POST"): void {
  const ok = allowed === "GET" ? ["GET", "HEAD"] : ["POST"];
  if (!ok.includes(request.method ?? "")) {
    throw new AdminError(405, "ERR_METHOD_NOT_ALLOWED", `use ${allowed}`);
  }
}

/** The disconnect request's body: `{ "id": "<connection id>", "reason"?: "<text>" }`. */
async function disconnectBody(request: IncomingMessage): Promise<{ id: string; reason: string }> {
  const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    // Also what keeps another site's form from posting here with the user's cookies.
    throw new AdminError(415, "ERR_UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new AdminError(
        413,
        "ERR_MESSAGE_TOO_LARGE",
        `the body is over ${MAX_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AdminError(400, "ERR_BAD_MESSAGE", "the body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AdminError(400, "ERR_BAD_MESSAGE", "the body must be a JSON object");
  }
  const { id, reason, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new AdminError(400, "ERR_INVALID_PARAM", `unknown field ${unknown[0]}`);
  }
  if (id === undefined) throw new AdminError(400, "ERR_MISSING_PARAM", "id is missing");
  if (typeof id !== "string" || id === "" || id.length > 100) {
    throw new AdminError(
      400,
      "ERR_INVALID_PARAM",
      "id must be a connection id (1 to 100 characters)",
    );
  }
  if (
    reason !== undefined &&
    (typeof reason !== "string" || reason === "" || reason.length > MAX_TEXT || hasControl(reason))
  ) {
    throw new AdminError(
      400,
      "ERR_INVALID_PARAM",
      `reason must be 1 to ${MAX_TEXT} characters, with no control characters`,
    );
  }
  return { id, reason: (reason as string | undefined) ?? "disconnected by an administrator" };
}

/** Sums the rooms' counts over the nodes that answered. */
function mergeRooms(answers: readonly NodeAnswer[]): RoomCount[] {
  const merged = new Map<string, number>();
  for (const answer of answers) {
    if (answer.status !== "ok") continue;
    for (const [name, members] of (answer.answer as { rooms: RoomCount[] }).rooms) {
      merged.set(name, (merged.get(name) ?? 0) + members);
    }
  }
  return [...merged];
}

function connectionsOf(answers: readonly NodeAnswer[]): AdminConnectionView[] {
  return answers.flatMap((answer) =>
    answer.status === "ok" ? (answer.answer as AdminConnectionView[]) : [],
  );
}

/** Whether every node answered, and which did not. */
function coverage(answers: readonly NodeAnswer[]): {
  partial: boolean;
  missing: Array<{ nodeId: string; status: string }>;
} {
  const missing = answers
    .filter((answer) => answer.status !== "ok")
    .map(({ nodeId, status }) => ({ nodeId, status }));
  return { partial: missing.length > 0, missing };
}

/** Whether a text holds a control character (C0 or DEL). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendJson(response, status, body, { "x-content-type-options": "nosniff" });
}
