import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { WsTestClient } from "./ws-test-client.js";

/** A demo-action server with the ws transport on 127.0.0.1, port 0, and its clients. */
export class WsFixture {
  readonly clients: WsTestClient[] = [];

  private constructor(readonly server: ActionwireServer) {}

  static async start(config: ActionwireConfig = {}): Promise<WsFixture> {
    return new WsFixture(await startDemoServer({ transports: ["ws"], ...config }));
  }

  get wsUrl(): string {
    return `${this.server.url.replace(/^http/, "ws")}/ws`;
  }

  /** Connects a client (welcome received) that is closed at {@link stop}. */
  async connect(): Promise<WsTestClient> {
    const client = await WsTestClient.connect(this.wsUrl);
    this.clients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    await this.server.stop();
  }
}
