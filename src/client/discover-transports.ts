import type { ClientTransport, ConnectorOptions } from "./create-connector.js";

/**
 * Where the server lists the transports a browser can use by default (see
 * {@link discoverTransports}): `<browserClient.path>/transports` on the server.
 */
export const TRANSPORTS_PATH = "/actionwire/transports";

/**
 * The order in which `transport: "auto"` picks among what the server offers: faye first (it
 * falls back to long-polling by itself and is what the seeds' page used), then socket.io (also
 * with a polling fallback), then a raw WebSocket.
 */
export const TRANSPORT_PREFERENCE: readonly ClientTransport[] = ["faye", "socketio", "ws"];

/** One transport the server runs, as `GET /actionwire/transports` lists it. */
export interface OfferedTransport {
  name: ClientTransport;
  /** Its HTTP path on the server: the ws path, socket.io's path or faye's mount. */
  path: string;
}

/**
 * Fetches the transports the server at `url` offers (`{ transports: [{ name, path }] }`), from
 * `path` (the server's `browserClient.path` + `/transports`).
 */
export async function discoverTransports(
  url: string,
  path: string = TRANSPORTS_PATH,
): Promise<OfferedTransport[]> {
  const where = new URL(path, url).toString();
  const response = await fetch(where, { headers: { accept: "application/json" } });
  if (!response.ok) {
    throw new Error(
      `${where} answered ${response.status}: the server does not list its transports; pass the transport option`,
    );
  }
  const body = (await response.json()) as { transports?: unknown };
  if (!Array.isArray(body.transports)) throw new Error(`${where} gave no transports list`);
  return body.transports.filter(
    (entry): entry is OfferedTransport =>
      typeof entry === "object" &&
      entry !== null &&
      TRANSPORT_PREFERENCE.includes((entry as OfferedTransport).name) &&
      typeof (entry as OfferedTransport).path === "string",
  );
}

/** The best of the offered transports by `preference` (default {@link TRANSPORT_PREFERENCE}). */
export function pickTransport(
  offered: readonly OfferedTransport[],
  preference: readonly ClientTransport[] = TRANSPORT_PREFERENCE,
): OfferedTransport | undefined {
  for (const name of preference) {
    const found = offered.find((entry) => entry.name === name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Connector options that use the offered transport's path, unless the caller set one. */
export function withOfferedPath(
  options: ConnectorOptions,
  offered: OfferedTransport,
): ConnectorOptions {
  switch (offered.name) {
    case "ws":
      return { ...options, path: options.path ?? offered.path };
    case "socketio":
      return { ...options, socketio: { path: offered.path, ...options.socketio } };
    case "faye":
      return { ...options, faye: { mount: offered.path, ...options.faye } };
  }
}
