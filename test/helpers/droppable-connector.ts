import type { Connector, ConnectorHandlers } from "../../src/client/connector.js";

/**
 * A custom connector (it announces the hello) around a built-in one, made afresh at every
 * open, that a test can drop: {@link DroppableConnector.drop} closes the transport without a
 * `quit`, which the server takes as a lost socket (the session stays, resumable) and the client
 * as an unexpected close (it reconnects), on every transport.
 */
export class DroppableConnector implements Connector {
  readonly hello = true;
  #inner: Connector | undefined;

  constructor(private readonly make: () => Connector) {}

  open(handlers: ConnectorHandlers): Promise<void> {
    this.#inner = this.make();
    return this.#inner.open(handlers);
  }

  send(request: Record<string, unknown>): void {
    this.#inner?.send(request);
  }

  close(): void {
    this.#inner?.close();
  }

  /** Closes the transport under the client, without a goodbye: a lost connection. */
  drop(): void {
    this.#inner?.close();
  }
}
