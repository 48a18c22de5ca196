import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResolvedConfig } from "../core/config.js";
import { Connection } from "../core/connection.js";
import type { Dispatcher } from "../core/dispatcher.js";
import { ActionwireError, type ErrorCode } from "../core/errors.js";
import { publishError } from "../core/instrumentation.js";
import { isMissing } from "../core/is-missing.js";
import { isPlainObject, toInboundRequest, toParams } from "../core/inbound-request.js";
import { TokenBucket } from "../core/token-bucket.js";
import { sendJson as send } from "./http-replies.js";

/** The HTTP status for each error code (PROTOCOL.md, "HTTP actions"). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  ERR_BAD_MESSAGE: 400,
  ERR_MESSAGE_TOO_LARGE: 413,
  ERR_MISSING_PARAM: 422,
  ERR_INVALID_PARAM: 422,
  ERR_UNKNOWN_ACTION: 404,
  ERR_UNKNOWN_VERB: 404,
  ERR_TOO_MANY_PENDING: 429,
  ERR_RATE_LIMITED: 429,
  ERR_NOT_AUTHORIZED: 403,
  ERR_ALREADY_LISTENING: 409,
  ERR_NOT_LISTENING: 409,
  ERR_NOT_IN_ROOM: 409,
  ERR_ACTION_FAILED: 500,
  ERR_ACTION_TIMEOUT: 504,
  ERR_SHUTTING_DOWN: 503,
  ERR_TOO_MANY_CONNECTIONS: 503,
  ERR_LIMIT_EXCEEDED: 409,
  ERR_OUTCOME_UNKNOWN: 409,
  ERR_DISCONNECTED_BY_ADMIN: 409,
};

/**
 * The actions over plain HTTP: `GET`/`POST <path>/<action>` (or `<path>?action=<name>`), params
 * from the query string overlaid by a JSON or form body, the same validation, middleware, limits
 * and errors as on a socket. `GET <path>` lists the actions. No rooms over HTTP. Each request is
 * a connection of its own (transport `http`); the pending limit and the rate apply per address.
 */
export class HttpActions {
  readonly #pending = new Map<string, number>();
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly dispatcher: Dispatcher,
    private readonly remoteAddress: (request: IncomingMessage) => { ip: string; port: number },
  ) {}

  /** The request listener for the claimed path. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    this.#serve(request, response).catch((error: unknown) => {
      // #serve answers every error it knows; this is a last resort that keeps the server up.
      if (!response.headersSent)
        send(response, 500, { error: String(error), code: "ERR_ACTION_FAILED" });
    });
  };

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { ip, port } = this.remoteAddress(request);
    const url = new URL(request.url ?? "/", "http://actionwire.invalid");
    const base = this.config.httpActions.path.replace(/\/+$/, "");
    let rest: string;
    try {
      rest = decodeURIComponent(url.pathname.slice(base.length).replace(/^\/+|\/+$/g, ""));
    } catch {
      return fail(
        response,
        400,
        new ActionwireError(
          "ERR_BAD_MESSAGE",
          "bad message: the path is not valid percent-encoding",
        ),
      );
    }
    const query = Object.fromEntries(url.searchParams);
    const name = rest !== "" ? rest : query.action;
    if (request.method !== "GET" && request.method !== "POST") {
      response.setHeader("allow", "GET, POST");
      return fail(response, 405, new ActionwireError("ERR_BAD_MESSAGE", "use GET or POST"));
    }
    if (isMissing(name)) {
      if (request.method === "GET") {
        return send(response, 200, {
          requesterInformation: { remoteIP: ip },
          actions: this.dispatcher.documentation(),
        });
      }
      return failWith(
        response,
        new ActionwireError("ERR_MISSING_PARAM", "action is a required parameter"),
      );
    }
    let bucket = this.#buckets.get(ip);
    if (bucket === undefined) {
      if (this.#buckets.size >= 10_000) this.#buckets.clear(); // bounded: a flood of addresses
      this.#buckets.set(ip, (bucket = new TokenBucket(this.config.limits.rate)));
    }
    if (!bucket.take()) {
      request.resume();
      return failWith(response, new ActionwireError("ERR_RATE_LIMITED", "too many messages"));
    }
    let body: Record<string, unknown>;
    try {
      body = await readBody(
        request,
        this.config.limits.maxMessageBytes,
        this.config.limits.maxDepth,
      );
    } catch (error) {
      if ((error as ActionwireError).code === "ERR_MESSAGE_TOO_LARGE")
        response.shouldKeepAlive = false;
      return failWith(response, error);
    }
    const params = toParams({ ...query, ...body });
    params.action = name;
    // A W3C trace context: the action's span is its child (docs/operating.md, "Tracing").
    const traceparent = request.headers.traceparent;
    if (typeof traceparent === "string" && params.traceparent === undefined) {
      params.traceparent = traceparent;
    }
    const pending = this.#pending.get(ip) ?? 0;
    if (pending >= this.config.limits.maxPendingActions) {
      return failWith(
        response,
        new ActionwireError("ERR_TOO_MANY_PENDING", "you have too many pending requests"),
      );
    }
    this.#pending.set(ip, pending + 1);
    // An HTTP request is a connection of its own: it never says hello, whatever its query.
    const connection = new Connection("http", {
      remoteIP: ip,
      remotePort: port,
      request,
      hello: false,
    });
    try {
      const { accepted, message } = await this.dispatcher.judge(connection);
      if (!accepted) {
        const refusal = new ActionwireError("ERR_NOT_AUTHORIZED", message);
        publishError(this.config.nodeId, connection, refusal);
        return fail(response, 401, refusal);
      }
      send(response, 200, await this.dispatcher.callAction(connection, params));
    } catch (error) {
      publishError(this.config.nodeId, connection, error);
      failWith(response, error);
    } finally {
      connection.state = "closed";
      const left = (this.#pending.get(ip) ?? 1) - 1;
      if (left === 0) this.#pending.delete(ip);
      else this.#pending.set(ip, left);
    }
  }
}

function fail(response: ServerResponse, status: number, error: ActionwireError): void {
  send(response, status, { error: error.message, code: error.code });
}

function failWith(response: ServerResponse, error: unknown): void {
  const known =
    error instanceof ActionwireError
      ? error
      : new ActionwireError("ERR_ACTION_FAILED", "the request failed");
  fail(response, HTTP_STATUS[known.code], known);
}

/** Reads a JSON or form body of at most `limit` bytes; an empty body is `{}`. */
async function readBody(
  request: IncomingMessage,
  limit: number,
  maxDepth: number,
): Promise<Record<string, unknown>> {
  if (request.method !== "POST") return {};
  const declared = Number(request.headers["content-length"] ?? 0);
  const tooLarge = () =>
    new ActionwireError(
      "ERR_MESSAGE_TOO_LARGE",
      `the message is larger than the limit of ${limit} bytes`,
    );
  if (declared > limit) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  const type = String(request.headers["content-type"] ?? "")
    .split(";")[0]!
    .trim();
  if (type === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(text));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ActionwireError("ERR_BAD_MESSAGE", "bad message: the body is not valid JSON");
  }
  if (!isPlainObject(value)) {
    throw new ActionwireError("ERR_BAD_MESSAGE", "bad message: the body must be a JSON object");
  }
  toInboundRequest({ event: "action", params: value }, maxDepth); // depth and shape check
  return value;
}
