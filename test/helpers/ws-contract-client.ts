import type { ContractClient, ContractTransport } from "../../src/testing/contract-client.js";
import { WsTestClient } from "./ws-test-client.js";

/** The contract suite's view of a raw `ws` client. */
export function wsContract(): ContractTransport {
  return {
    label: "ws",
    transport: "ws",
    serverConfig: { transports: ["ws"] },
    async connect(server): Promise<ContractClient> {
      const client = await WsTestClient.connect(`${server.url.replace(/^http/, "ws")}/ws`);
      return {
        inbox: client.inbox,
        welcome: client.welcome,
        request: (event, params) => client.request(event, params),
        send: (event, params, messageId) =>
          client.sendRaw(JSON.stringify({ event, params, messageId })),
        sendMalformed: () => client.sendRaw("this is not json"),
        closed: client.closed.then(() => undefined),
        close: () => client.close(),
      };
    },
  };
}
