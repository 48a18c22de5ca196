import type { Server, ServerResponse } from "node:http";

/**
 * Answers with `body` as JSON, never cached (`headers` adds to the defaults). A `HEAD` request
 * gets the headers only.
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(json),
    "cache-control": "no-store",
    ...headers,
  });
  response.end(response.req.method === "HEAD" ? undefined : json);
}

/** Closes a listener of the server's own (metrics, admin, or one it made), its idle keep-alives too. */
export async function closeListener(listener: Server | undefined): Promise<void> {
  if (listener === undefined || !listener.listening) return;
  await new Promise<void>((resolve) => {
    listener.close(() => resolve());
    listener.closeAllConnections();
  });
}
