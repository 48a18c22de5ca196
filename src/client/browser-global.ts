/**
 * The browser client as a classic script, served at `/actionwire/client.js`: it defines the
 * global `ActionwireClient` (the class; `ActionwireClient.RequestError` and
 * `ActionwireClient.transports()` hang off it).
 */
import { BrowserActionwireClient, loadedFrom } from "./browser-actionwire-client.js";

// Where this script was loaded from: known only while it first runs.
loadedFrom(
  (globalThis as { document?: { currentScript?: { src?: string } | null } }).document?.currentScript
    ?.src,
);

(globalThis as { ActionwireClient?: unknown }).ActionwireClient = BrowserActionwireClient;
