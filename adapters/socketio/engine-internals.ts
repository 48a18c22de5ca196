import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import { ConfigError } from "../../src/core/errors.js";
import { probe } from "../../src/core/probe.js";
import { packageVersion } from "../../src/core/package-version.js";

/**
 * The socket.io versions the internals below are tested with: the `socket.io` peer range in
 * package.json (a unit test keeps the two equal).
 */
export const SOCKET_IO_TESTED_RANGE = "~4.8.0";

/** The engine.io versions socket.io {@link SOCKET_IO_TESTED_RANGE} brings. */
export const ENGINE_IO_TESTED_RANGE = "~6.6.0";

/** The part of an engine.io socket (socket.io's `socket.conn`) this module touches. */
export interface EngineSocket {
  transport?: EngineTransport;
  /** Packets waiting for the transport (undocumented, private in engine.io's types). */
  writeBuffer?: unknown[];
}

/** The part of an engine.io transport this module touches. */
export interface EngineTransport {
  readonly name?: string;
  /** polling: the close waiting for the next poll (undocumented). */
  shouldClose?: (() => void) | null;
  send?: (packets: unknown[]) => void;
  close?: (fn?: () => void) => void;
  /** websocket: engine.io's ws socket, with the network socket under it (ws's `_socket`). */
  readonly socket?: { _socket?: Duplex };
}

/** The packages the check probes: engine.io and its ws, as socket.io loads them. */
export interface EnginePackages {
  engine: {
    Socket: new (
      id: string,
      server: unknown,
      transport: EngineTransport,
      request: unknown,
      protocol: number,
    ) => EngineSocket & { close(discard?: boolean): void };
    transports: {
      polling: new (request: unknown) => EngineTransport;
      websocket: new (request: unknown) => EngineTransport;
    };
  };
  /** The ws package engine.io itself loads (its own copy, often not the application's). */
  ws: { WebSocket: new (address: null, protocols: undefined, options: object) => object };
  /** Installed versions, for the error message. */
  versions: { socketIo: string; engineIo: string };
}

/**
 * What the socket.io transport needs from engine.io beyond its public API, checked once at
 * start-up by {@link engineInternals}.
 */
export interface EngineInternals {
  /** Packets an engine.io socket holds for its transport (a poll, or the WebSocket's drain). */
  backlog(conn: EngineSocket): number;
  /**
   * engine.io's WebSocket transport writes the packets it flushes together (those queued while
   * its previous write was in flight: a burst to a room) one `ws.send` each, so one `writev`
   * each. Corked around the flush, they leave in one. The transport's own `send` is wrapped,
   * this instance's only: nothing else in the process changes.
   */
  coalesceWrites(transport: EngineTransport | undefined): void;
  /**
   * engine.io arms a 30 s timer when a polling socket is closed between two polls (to send the
   * close packet on the next poll), and never clears it if the socket then closes another way
   * (the client's own close packet, a discard): the timer would keep a stopped server's
   * process alive for 30 s. Running the pending close, as the next poll would have, clears it.
   */
  releasePendingClose(conn: EngineSocket): void;
}

/** engine.io and its ws, resolved from socket.io's own location (they are its dependencies). */
export function loadEnginePackages(): EnginePackages {
  const socketIoEntry = createRequire(import.meta.url).resolve("socket.io");
  const fromSocketIo = createRequire(socketIoEntry);
  const engineEntry = fromSocketIo.resolve("engine.io");
  return {
    engine: fromSocketIo("engine.io") as EnginePackages["engine"],
    ws: createRequire(engineEntry)("ws") as EnginePackages["ws"],
    versions: {
      socketIo: packageVersion("socket.io", import.meta.url),
      engineIo: packageVersion("engine.io", socketIoEntry),
    },
  };
}

/**
 * Checks that the installed engine.io has what {@link EngineInternals} uses, by running each
 * internal on objects built from engine.io's own classes (no socket, no timer left behind), and
 * returns the accessors. Anything missing is a {@link ConfigError} naming it, the installed
 * versions and the tested ranges: a later engine.io that moved one would otherwise lose the
 * slow-consumer check, the write coalescing or the shutdown's timer release without a word.
 */
export function engineInternals(packages: EnginePackages): EngineInternals {
  const { engine, ws, versions } = packages;
  const missing: string[] = [];
  if (!probe(() => writeBufferHoldsQueuedPackets(engine))) missing.push("Socket#writeBuffer");
  if (!probe(() => pollingCloseIsPending(engine))) missing.push("polling Transport#shouldClose");
  if (!probe(() => websocketSendIsCorkable(engine))) {
    missing.push("websocket Transport#send and #socket");
  }
  const socket = probe(() => new ws.WebSocket(null, undefined, {}));
  if (typeof socket !== "object" || socket === null || !Object.hasOwn(socket, "_socket")) {
    missing.push("ws WebSocket#_socket (engine.io's copy of ws)");
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `The socketio transport needs internals of engine.io that engine.io ${versions.engineIo} (with socket.io ${versions.socketIo}) does not have (${missing.join(", ")}). actionwire is tested with socket.io ${SOCKET_IO_TESTED_RANGE} (engine.io ${ENGINE_IO_TESTED_RANGE}): install it with npm install socket.io@${SOCKET_IO_TESTED_RANGE}`,
    );
  }
  return { backlog, coalesceWrites, releasePendingClose };
}

function backlog(conn: EngineSocket): number {
  return conn.writeBuffer?.length ?? 0;
}

function coalesceWrites(transport: EngineTransport | undefined): void {
  const send = transport?.send;
  const raw = transport?.socket?._socket;
  if (transport?.name !== "websocket" || send === undefined || raw === undefined) return;
  transport.send = (packets) => {
    raw.cork();
    try {
      send.call(transport, packets);
    } finally {
      raw.uncork();
    }
  };
}

function releasePendingClose(conn: EngineSocket): void {
  const transport = conn.transport;
  const pendingClose = transport?.shouldClose;
  if (transport !== undefined && typeof pendingClose === "function") {
    transport.shouldClose = null;
    pendingClose();
  }
}

/** A handshake request as engine.io's transports read it (protocol 4, no headers). */
const PROBE_REQUEST = { _query: { EIO: "4" }, headers: {}, connection: {} };

/** Timers the probe socket may arm are never due: it is closed at once. */
const PROBE_SERVER = {
  opts: { pingInterval: 2 ** 30, pingTimeout: 2 ** 30, maxHttpBufferSize: 1, upgradeTimeout: 1 },
  upgrades: () => [],
  emit: () => false,
};

/** A socket on a polling transport with no poll waiting keeps its `open` packet queued. */
function writeBufferHoldsQueuedPackets(engine: EnginePackages["engine"]): boolean {
  const transport = new engine.transports.polling(PROBE_REQUEST);
  const socket = new engine.Socket("probe", PROBE_SERVER, transport, PROBE_REQUEST, 4);
  const queued = socket.transport === transport && backlog(socket) === 1;
  socket.close(true);
  return queued && Array.isArray(socket.writeBuffer);
}

/** A polling transport closed between polls keeps the close (and its timer) pending. */
function pollingCloseIsPending(engine: EnginePackages["engine"]): boolean {
  const transport = new engine.transports.polling(PROBE_REQUEST);
  let closed = false;
  transport.close?.(() => (closed = true));
  const pending = typeof transport.shouldClose === "function" && !closed;
  releasePendingClose({ transport });
  return pending && closed && transport.shouldClose === null;
}

/** The websocket transport keeps ws's socket as `socket` and writes a flush through `send`. */
function websocketSendIsCorkable(engine: EnginePackages["engine"]): boolean {
  let corked = 0;
  let sentCorked = false;
  const raw = { cork: () => corked++, uncork: () => corked-- };
  const websocket = Object.assign(new EventEmitter(), {
    _socket: raw,
    send: () => (sentCorked = corked === 1),
  });
  const transport = new engine.transports.websocket({ ...PROBE_REQUEST, websocket });
  if ((transport.socket as unknown) !== websocket) return false;
  coalesceWrites(transport);
  transport.send?.([{ type: "message", data: "probe" }]);
  return sentCorked && corked === 0;
}
