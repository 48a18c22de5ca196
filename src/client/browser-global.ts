/**
 * The browser client as a classic script, served at `/actionwire/client.js`: it defines the
 * global `ActionwireClient` (the class; `ActionwireClient.RequestError` and
 * `ActionwireClient.transports()` hang off it).
 */
import { BrowserActionwireClient } from "./browser-actionwire-client.js";

(globalThis as { ActionwireClient?: unknown }).ActionwireClient = BrowserActionwireClient;
