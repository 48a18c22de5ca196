/**
 * How the client reaches the server over one transport: open, send one request object, close,
 * and report inbound messages and the end of the connection. One per transport.
 */
export interface Connector {
  /**
   * `true` when the connector announces a hello as it opens the transport (the built-in ones
   * add `hello=1` to the URL or the handshake query: docs/protocol.md, "Announcing the hello"):
   * the client then sends the hello (`{ event: "hello", params: { auth?, resume? } }`) as the
   * first frame, and can resume its session after a reconnect. Absent or `false`, the client
   * speaks protocol version 1 over it: no hello, no session, no `auth`.
   */
  readonly hello?: boolean;
  /** Resolves once requests can be sent; rejects if the connection cannot be made. */
  open(handlers: ConnectorHandlers): Promise<void>;
  /** Sends one request object (`{ event, params, messageId }`) as one frame. */
  send(request: Record<string, unknown>): void;
  /** Closes the connection; `closed` is reported as for any other end. */
  close(): void;
}

/** How a {@link Connector} reports to the client what arrives and when the connection ends. */
export interface ConnectorHandlers {
  /** A server message (already decoded). */
  message(message: Record<string, unknown>): void;
  /** The connection ended; `reason` says why when known. */
  closed(reason: string): void;
}
