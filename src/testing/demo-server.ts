import type { ActionwireConfig } from "../core/config.js";
import { demoActions } from "../demo/demo-actions.js";
import { type ActionwireServer, createServer } from "../server/actionwire-server.js";

/**
 * A started server on 127.0.0.1, port 0, with the demo actions and the demo's `secureRoom`
 * rule; `config` adds to or overrides that.
 */
export async function startDemoServer(config: ActionwireConfig = {}): Promise<ActionwireServer> {
  const server: ActionwireServer = createServer({
    port: 0,
    host: "127.0.0.1",
    roomRules: { secureRoom: { authorized: true } },
    actions: demoActions({
      nodeId: "test-node",
      connectionCounts: () => server.connectionCounts(),
      sharedStore: () => server.clusterStore,
    }),
    ...config,
  });
  return server.start();
}
