import type { ActionwireConfig } from "../../src/core/config.js";
import { demoActions } from "../../src/demo/demo-actions.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import { WsTestClient } from "./ws-test-client.js";

/** A demo-action server with the ws transport on 127.0.0.1, port 0, and its clients. */
export class WsFixture {
  readonly clients: WsTestClient[] = [];

  private constructor(readonly server: ActionwireServer) {}

  static async start(config: ActionwireConfig = {}): Promise<WsFixture> {
    const server: ActionwireServer = createServer({
      transports: ["ws"],
      port: 0,
      host: "127.0.0.1",
      roomRules: { secureRoom: { authorized: true } },
      actions: demoActions({
        nodeId: "test-node",
        connectionCounts: () => server.connectionCounts(),
      }),
      ...config,
    });
    await server.start();
    return new WsFixture(server);
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
