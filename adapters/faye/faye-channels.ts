/**
 * The Bayeux channels of actionwire's faye protocol (docs/protocol.md), the one definition that
 * the server (adapters/faye) and the client (src/client/faye-connector.ts) both import. A client
 * hears the server on its out channel and speaks on its in channel; both end in its clientId.
 * No imports: the browser client bundles this file.
 */

/** The prefix of every out channel: `/actionwire/out/<clientId>`, server → client. */
export const OUT_CHANNEL_PREFIX = "/actionwire/out/";

/** The prefix of every in channel: `/actionwire/in/<clientId>`, client → server. */
export const IN_CHANNEL_PREFIX = "/actionwire/in/";

/** The channel the server delivers a client's replies and pushes on. */
export function outChannel(clientId: string): string {
  return OUT_CHANNEL_PREFIX + clientId;
}

/** The channel a client publishes its requests on. */
export function inChannel(clientId: string): string {
  return IN_CHANNEL_PREFIX + clientId;
}
