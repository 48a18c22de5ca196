import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type OfferedTransport,
  TRANSPORT_PREFERENCE,
  TRANSPORTS_PATH,
} from "../client/discover-transports.js";
import type { RealtimeTransport } from "../core/realtime-transport.js";
import type { RequestRouter } from "../core/request-router.js";
import { urlPath } from "../core/url-path.js";

/** Where `npm run build:client` writes the bundles (from build/src/server or dist/src/server). */
const BUNDLE_DIR = new URL("../../../dist/browser/", import.meta.url);

/** The seeds' page script, at the path their pages load it from. */
export const SEED_SCRIPT_PATH = "/public/javascript/actionHeroWebSocket.js";

const JS = "text/javascript; charset=utf-8";
const MAP = "application/json; charset=utf-8";

/** URL path → bundle file. */
const FILES: Record<string, { file: string; type: string }> = {
  "/actionwire/client.js": { file: "client.js", type: JS },
  "/actionwire/client.js.map": { file: "client.js.map", type: MAP },
  "/actionwire/client.mjs": { file: "client.mjs", type: JS },
  "/actionwire/client.mjs.map": { file: "client.mjs.map", type: MAP },
  [SEED_SCRIPT_PATH]: { file: "actionHeroWebSocket.js", type: JS },
  [`${SEED_SCRIPT_PATH}.map`]: { file: "actionHeroWebSocket.js.map", type: MAP },
};

/** Public files and data: pages on other origins may `import` the module and list transports. */
const CORS = { "access-control-allow-origin": "*" };

/**
 * Serves the browser client on the server's HTTP server: the bundles (`/actionwire/client.js`,
 * `/actionwire/client.mjs`, the seeds' `/public/javascript/actionHeroWebSocket.js`, and their
 * source maps), and `GET /actionwire/transports`, the transports a page can use, best first:
 * `{ "transports": [{ "name": "faye", "path": "/faye" }, …] }`.
 */
export class BrowserClientFiles {
  readonly #cache = new Map<string, Promise<{ body: Buffer; etag: string }>>();

  constructor(private readonly transports: readonly RealtimeTransport[]) {}

  /** Claims `/actionwire/…` and the seeds' script path on the server's request router. */
  attach(requests: RequestRouter): void {
    requests.add("/actionwire", this.handle);
    requests.add(SEED_SCRIPT_PATH, this.handle);
    requests.add(`${SEED_SCRIPT_PATH}.map`, this.handle);
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
    if (path === TRANSPORTS_PATH) {
      const body = JSON.stringify({ transports: this.offered() });
      send(response, 200, MAP, request.method === "HEAD" ? "" : body, {
        ...CORS,
        "cache-control": "no-store",
      });
      return;
    }
    const entry = FILES[path];
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
