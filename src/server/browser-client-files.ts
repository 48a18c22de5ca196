import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type OfferedTransport, TRANSPORT_PREFERENCE } from "../client/discover-transports.js";
import type { ResolvedConfig } from "../core/config.js";
import type { RealtimeTransport } from "../core/realtime-transport.js";
import type { RequestRouter } from "../core/request-router.js";
import { urlPath } from "../core/url-path.js";

/** Where `npm run build:client` writes the bundles (from build/src/server or dist/src/server). */
const BUNDLE_DIR = new URL("../../../dist/browser/", import.meta.url);

const JS = "text/javascript; charset=utf-8";
const MAP = "application/json; charset=utf-8";

/** A file the server serves: a bundle, or `null` for the transports list. */
type Served = { file: string; type: string } | null;

/** Public files and data: pages on other origins may `import` the module and list transports. */
const CORS = { "access-control-allow-origin": "*" };

/**
 * Serves the browser client on the server's HTTP server (`config.browserClient`; by default
 * under `/actionwire`): the bundles (`<path>/client.js`, `<path>/client.mjs`, the seeds'
 * `/public/javascript/actionHeroWebSocket.js`, and their source maps), and
 * `GET <path>/transports`, the transports a page can use, best first:
 * `{ "transports": [{ "name": "faye", "path": "/faye" }, …] }`.
 */
export class BrowserClientFiles {
  readonly #cache = new Map<string, Promise<{ body: Buffer; etag: string }>>();
  /** URL path → what is served there; only these paths, nothing else under the prefix. */
  readonly #files = new Map<string, Served>();

  constructor(
    private readonly transports: readonly RealtimeTransport[],
    options: ResolvedConfig["browserClient"],
  ) {
    if (!options.enabled) return;
    const base = options.path;
    this.#files.set(`${base}/transports`, null);
    for (const file of ["client.js", "client.mjs"]) {
      this.#files.set(`${base}/${file}`, { file, type: JS });
      this.#files.set(`${base}/${file}.map`, { file: `${file}.map`, type: MAP });
    }
    if (options.seedScript !== false) {
      const file = "actionHeroWebSocket.js";
      this.#files.set(options.seedScript, { file, type: JS });
      this.#files.set(`${options.seedScript}.map`, { file: `${file}.map`, type: MAP });
    }
  }

  /** The paths it answers, each exactly (`GET /actionwire/foo` is the application's). */
  get paths(): string[] {
    return [...this.#files.keys()];
  }

  /** Claims its paths, each exactly, on the server's request router. */
  attach(requests: RequestRouter): void {
    for (const path of this.#files.keys()) requests.add(path, this.handle, { exact: true });
  }

  /** The transports a browser client can use, in the order `transport: "auto"` prefers them. */
  offered(): OfferedTransport[] {
    const offered: OfferedTransport[] = [];
    for (const name of TRANSPORT_PREFERENCE) {
      const transport = this.transports.find((entry) => entry.name === name);
      const endpoint = transport?.endpoint?.("http://host");
      if (endpoint !== undefined) offered.push({ name, path: new URL(endpoint).pathname });
    }
    return offered;
  }

  readonly handle = (request: IncomingMessage, response: ServerResponse): void => {
    const path = urlPath(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(response, 405, MAP, JSON.stringify({ error: "method not allowed" }), { allow: "GET" });
      return;
    }
    const entry = this.#files.get(path);
    if (entry === null) {
      const body = JSON.stringify({ transports: this.offered() });
      send(response, 200, MAP, request.method === "HEAD" ? "" : body, {
        ...CORS,
        "cache-control": "no-store",
      });
      return;
    }
    if (entry === undefined) {
      send(response, 404, MAP, JSON.stringify({ error: "not found" }));
      return;
    }
    this.#read(entry.file).then(
      ({ body, etag }) => {
        const headers = { ...CORS, etag, "cache-control": "no-cache" };
        if (request.headers["if-none-match"] === etag) {
          response.writeHead(304, headers);
          response.end();
          return;
        }
        send(response, 200, entry.type, request.method === "HEAD" ? "" : body, {
          ...headers,
          "content-length": String(body.length),
        });
      },
      () => {
        this.#cache.delete(entry.file);
        const error = `${entry.file} is not built: run "npm run build:client"`;
        send(response, 503, MAP, JSON.stringify({ error }));
      },
    );
  };

  /** A bundle, read once per server (a rebuilt bundle is served by the next server). */
  #read(file: string): Promise<{ body: Buffer; etag: string }> {
    let read = this.#cache.get(file);
    if (read === undefined) {
      read = readFile(new URL(file, BUNDLE_DIR)).then((body) => ({
        body,
        etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
      }));
      this.#cache.set(file, read);
    }
    return read;
  }
}

function send(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": type, ...headers });
  response.end(body);
}
