import type { ActionwireConfig } from "../../src/core/config.js";
import type { InProcessClient, InProcessTransport } from "../../src/core/in-process-transport.js";
import type { ServerMessage } from "../../src/core/prepared-message.js";
import { demoActions } from "../../src/demo/demo-actions.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";

/** A server with only the in-process transport and the demo actions: no sockets. */
export async function startInProcessServer(
  config: ActionwireConfig = {},
): Promise<{ server: ActionwireServer; connect(): InProcessClient }> {
  const server: ActionwireServer = createServer({
    transports: ["inprocess"],
    port: null,
    actions: demoActions({
      nodeId: "test-node",
      connectionCounts: () => server.connectionCounts(),
    }),
    ...config,
  });
  await server.start();
  const transport = server.transport<InProcessTransport>("inprocess");
  return { server, connect: () => transport.connect() };
}

let nextId = 0;

/** Sends a request with a fresh messageId and resolves with its reply. */
export async function request(
  client: InProcessClient,
  event: string,
  params: Record<string, unknown> = {},
): Promise<ServerMessage> {
  const messageId = `m${++nextId}`;
  client.send({ event, params, messageId });
  return client.next((m) => m.context === "response" && m.messageId === messageId);
}

/** Connects and consumes the welcome push. */
export async function connected(connect: () => InProcessClient): Promise<InProcessClient> {
  const client = connect();
  await client.next((m) => m.context === "api" && "welcome" in m);
  return client;
}
