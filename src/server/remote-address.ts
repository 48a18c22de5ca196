import type { IncomingMessage } from "node:http";
import { normalizeIP } from "../core/connection.js";

/**
 * The client's address for a request. `X-Forwarded-For` is honoured only when the peer is a
 * trusted proxy; then the right-most address that is not itself a trusted proxy is the client.
 */
export function remoteAddress(
  request: IncomingMessage,
  trustedProxies: ReadonlySet<string>,
): { ip: string; port: number } {
  const peer = normalizeIP(request.socket.remoteAddress ?? "");
  const port = request.socket.remotePort ?? 0;
  const header = request.headers["x-forwarded-for"];
  if (trustedProxies.size === 0 || !trustedProxies.has(peer) || header === undefined) {
    return { ip: peer, port };
  }
  const hops = (Array.isArray(header) ? header.join(",") : header)
    .split(",")
    .map((hop) => normalizeIP(hop.trim()))
    .filter((hop) => hop !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trustedProxies.has(hops[i]!)) return { ip: hops[i]!, port };
  }
  return { ip: hops[0] ?? peer, port };
}
