import { Socket } from "node:net";

/**
 * Counts the writes (system-call batches: `_write` and `_writev`) a server running in this
 * process makes on its end of one client's TCP connection, known by the client's port (the
 * `remotePort` of `detailsView`). Restore it when done.
 */
export function countServerWrites(clientPort: number): { readonly count: number; restore(): void } {
  return countWrites((socket) => socket.remotePort === clientPort);
}

/**
 * Counts the writes a server running in this process makes on every connection it accepted on
 * `serverPort` (sockets whose `localPort` it is), for a client whose port is not known yet.
 */
export function countServerWritesAt(serverPort: number): {
  readonly count: number;
  restore(): void;
} {
  return countWrites((socket) => socket.localPort === serverPort);
}

function countWrites(counts: (socket: Socket) => boolean): {
  readonly count: number;
  restore(): void;
} {
  const proto = Socket.prototype as unknown as Record<
    "_write" | "_writev",
    (...args: unknown[]) => void
  >;
  const originals = { _write: proto._write, _writev: proto._writev };
  let count = 0;
  for (const name of ["_write", "_writev"] as const) {
    const original = originals[name];
    proto[name] = function (this: Socket, ...args: unknown[]) {
      if (counts(this)) count++;
      return original.apply(this, args);
    };
  }
  return {
    get count() {
      return count;
    },
    restore() {
      Object.assign(proto, originals);
    },
  };
}
