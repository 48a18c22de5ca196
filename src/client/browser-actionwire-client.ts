import { ActionwireClient, type ClientOptions, RequestError } from "./actionwire-client.js";
import { discoverTransports, type OfferedTransport } from "./discover-transports.js";

/** Options of the browser client: those of {@link ActionwireClient}, every one optional. */
export type BrowserClientOptions = Partial<ClientOptions>;

/**
 * The transports list beside the bundle this code was loaded from (`<path>/client.js` →
 * `<path>/transports`), so a server that moved `browserClient.path` needs no option on the page.
 */
let bundleTransportsPath: string | undefined;

/** Records where the served bundle came from (its script's or module's own URL). */
export function loadedFrom(url: string | undefined): void {
  if (!url || !/\/client\.m?js$/.test(new URL(url).pathname)) return;
  bundleTransportsPath = new URL("transports", url).pathname;
}

/**
 * The client as the browser bundle exports it (`/actionwire/client.js`, global
 * `ActionwireClient`; `/actionwire/client.mjs`). It is {@link ActionwireClient} with browser
 * defaults, the server the page came from and `transport: "auto"`, plus the seeds' `log`.
 * Typed like it: `new ActionwireClient<typeof server>()` in a page's TypeScript.
 */
export class BrowserActionwireClient<Api = unknown> extends ActionwireClient<Api> {
  /** The error class requests reject with, for `instanceof` checks from a `<script>` page. */
  static readonly RequestError = RequestError;

  constructor(options: BrowserClientOptions = {}) {
    super({
      ...options,
      transport: options.transport ?? "auto",
      url: options.url ?? pageOrigin(),
      transportsPath: options.transportsPath ?? bundleTransportsPath,
    });
  }

  /** The transports the server at `url` (default: the page's) runs, best first. */
  static transports(
    url: string = pageOrigin(),
    path: string | undefined = bundleTransportsPath,
  ): Promise<OfferedTransport[]> {
    return discoverTransports(url, path);
  }

  /** The seeds' formatted logger: `[actionwire 12:34:56] message` on the console. */
  log(message: unknown): void {
    const prefix = `[actionwire ${new Date().toTimeString().slice(0, 8)}]`;
    // Objects go as a second argument, so the console shows them unfolded and inspectable.
    // eslint-disable-next-line no-console -- the seeds' log() is a console logger by definition
    if (typeof message === "string") console.log(`${prefix} ${message}`);
    // eslint-disable-next-line no-console -- as above
    else console.log(prefix, message);
  }
}

function pageOrigin(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (typeof origin !== "string" || !/^https?:/.test(origin)) {
    throw new Error(
      "not on an http(s) page: pass the server's url, e.g. { url: 'http://host:8080' }",
    );
  }
  return origin;
}
