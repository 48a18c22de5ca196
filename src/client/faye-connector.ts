import type { Connector, ConnectorHandlers } from "./connector.js";

/** Options of the faye connector. */
export interface FayeConnectorOptions {
  /** The server's base URL, `http://host:port`. */
  url: string;
  /** faye's mount (default `/faye`). */
  mount?: string;
  /** faye transports to disable (`["websocket"]` forces long-polling). */
  disable?: string[];
}

/** Connects with faye's own client (written in the transports issue). */
export class FayeConnector implements Connector {
  constructor(private readonly options: FayeConnectorOptions) {}

  async open(_handlers: ConnectorHandlers): Promise<void> {
    throw new Error(`the faye connector is not written yet (${this.options.url})`);
  }

  send(): void {}

  close(): void {}
}
