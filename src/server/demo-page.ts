import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { urlPath } from "../core/url-path.js";

const PUBLIC_DIR = new URL("../../../public/", import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
};

/** Where the page loads the browser client from, as written in `public/index.html`. */
const CLIENT_SCRIPT = '"/actionwire/client.js"';

/**
 * Serves the demo chat and action console (`public/`), read once and cached, its browser client
 * script at `clientPath` (`config.browserClient.path`).
 */
export class DemoPage {
  readonly #cache = new Map<string, Promise<Buffer>>();

  constructor(private readonly clientPath = "/actionwire") {}

  /** Answers the request if it is for a demo file; `false` otherwise. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const path = urlPath(request.url);
    const entry = FILES[path];
    if (entry === undefined || (request.method !== "GET" && request.method !== "HEAD")) {
      return false;
    }
    let body = this.#cache.get(entry.file);
    if (body === undefined) {
      const script = JSON.stringify(`${this.clientPath}/client.js`);
      body = readFile(new URL(entry.file, PUBLIC_DIR)).then((html) =>
        script === CLIENT_SCRIPT
          ? html
          : Buffer.from(html.toString().replace(CLIENT_SCRIPT, script)),
      );
      this.#cache.set(entry.file, body);
    }
    body.then(
      (content) => {
        response.writeHead(200, {
          "content-type": entry.type,
          "content-length": content.length,
          "cache-control": "no-cache",
        });
        response.end(request.method === "HEAD" ? undefined : content);
      },
      () => {
        response.writeHead(500, { "content-type": "text/plain" });
        response.end("demo page missing");
      },
    );
    return true;
  }
}
