import { existsSync } from "node:fs";
import { type Browser, chromium, type ConsoleMessage, type Page } from "playwright-core";

/** Debian's Chromium (`.ci/run` installs it); `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Flags for a headless Chromium on a CI machine with no network: no sandbox (containers run as
 * root), no GPU, no background traffic, updates, sync or first-run work. Recent Chromium puts a
 * page's requests and sockets to loopback and private addresses under its local-network-access
 * checks, which can ask for a permission nobody can grant headless; the disabled features turn
 * those checks off for fetches, WebSockets and workers.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-extensions",
  "--disable-sync",
  "--no-first-run",
  "--no-default-browser-check",
  "--mute-audio",
  [
    "--disable-features=LocalNetworkAccessChecks",
    "LocalNetworkAccessChecksWebSockets",
    "LocalNetworkAccessChecksWebTransport",
    "LocalNetworkAccessForWorkers",
    "MediaRouter",
    "OptimizationHints",
    "Translate",
  ].join(","),
];

/** Launches headless Chromium, or fails with a sentence that says what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A page's console output, each call's arguments as JSON values, and a way to await a call
 * that matches (checked against earlier calls too, so nothing is missed).
 */
export class PageConsole {
  readonly calls: unknown[][] = [];
  /** Page errors and failed console calls: a test can assert there were none. */
  readonly errors: string[] = [];
  readonly #waiters: Array<{
    match: (args: unknown[]) => boolean;
    resolve: (args: unknown[]) => void;
  }> = [];

  constructor(page: Page) {
    page.on("console", (message) => void this.#record(message));
    page.on("pageerror", (error) => this.errors.push(String(error)));
  }

  /** Resolves with the first console call (past or future) whose arguments match. */
  next(match: (args: unknown[]) => boolean): Promise<unknown[]> {
    const seen = this.calls.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  async #record(message: ConsoleMessage): Promise<void> {
    let args: unknown[];
    try {
      args = await Promise.all(message.args().map((arg) => arg.jsonValue() as Promise<unknown>));
    } catch {
      args = [message.text()]; // the page went away meanwhile
    }
    this.calls.push(args);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(args)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(args);
    }
  }
}
