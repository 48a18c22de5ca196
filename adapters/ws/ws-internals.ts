import type { Socket } from "node:net";
import { ConfigError } from "../../src/core/errors.js";
import { probe } from "../../src/core/probe.js";

/**
 * The ws versions the internals below are tested with: the `ws` peer range in package.json
 * (a unit test keeps the two equal).
 */
export const WS_TESTED_RANGE = "~8.23.0";

/** The options ws's `Sender.frame` takes. */
interface FrameOptions {
  readOnly: boolean;
  fin: boolean;
  opcode: number;
  mask: boolean;
  rsv1: boolean;
}

/** The part of the `ws` package this module reads, its undocumented members included. */
export interface WsPackageInternals {
  /** ws's frame builder, static on its `Sender` (left out of its types and docs). */
  Sender: { frame?: (data: Buffer, options: FrameOptions) => Buffer[] };
  /** Constructed as ws's server does (`new WebSocket(null, undefined, options)`) by the check. */
  WebSocket: new (address: null, protocols: undefined, options: object) => object;
}

/**
 * What the ws transport needs from ws beyond its public API, checked once at start-up:
 * - `Sender.frame`, to frame a room message once and write the same bytes to every member;
 * - a socket's `_socket` (the `net.Socket` under it), to cork those writes until the tick ends.
 */
export interface WsInternals {
  /** One unmasked, final text frame holding `data`. */
  frameText(data: Buffer): Buffer;
  /** The network socket under an open WebSocket. */
  rawSocket(ws: object): Socket;
}

const TEXT_FRAME: FrameOptions = { readOnly: true, fin: true, opcode: 1, mask: false, rsv1: false };

/**
 * Checks that the installed ws has the internals {@link WsInternals} uses, and returns them.
 * `Sender.frame` is run on a two-byte text and its bytes compared with RFC 6455's; a socket
 * built the way ws's server builds one must carry `_socket`. Anything else is a
 * {@link ConfigError} naming what is missing, the installed version and the tested range: a
 * later ws that moved them would otherwise break room delivery, not start-up.
 */
export function wsInternals(ws: WsPackageInternals, version: string): WsInternals {
  const missing: string[] = [];
  const frame = ws.Sender.frame;
  const framed = probe(() => frame && Buffer.concat(frame(Buffer.from("hi"), TEXT_FRAME)));
  if (!Buffer.isBuffer(framed) || !framed.equals(Buffer.from([0x81, 0x02, 0x68, 0x69]))) {
    missing.push("Sender.frame (one unmasked text frame)");
  }
  const socket = probe(() => new ws.WebSocket(null, undefined, {}));
  if (typeof socket !== "object" || socket === null || !Object.hasOwn(socket, "_socket")) {
    missing.push("WebSocket#_socket");
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `The ws transport needs internals of the ws package that ws ${version} does not have (${missing.join(", ")}). actionwire is tested with ws ${WS_TESTED_RANGE}: install it with npm install ws@${WS_TESTED_RANGE}`,
    );
  }
  return {
    frameText: (data) => Buffer.concat(frame!(data, TEXT_FRAME)),
    rawSocket: (socket) => (socket as unknown as { _socket: Socket })._socket,
  };
}
