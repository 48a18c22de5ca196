/** The contract suite's client for the SSE transport: an event-stream reader plus POSTs. */
import { get, request as httpRequest } from "node:http";
import {
  type ContractClient,
  type ContractTransport,
  type Message,
  MessageInbox,
} from "actionwire/testing";
import { SseTransport } from "./sse-transport.js";

export function sseContract(): ContractTransport {
  return {
    label: "sse (example adapter)",
    transport: "sse",
    serverConfig: { transports: [SseTransport] },
    async connect(server): Promise<ContractClient> {
      const inbox = new MessageInbox<Message>();
      let token = "";
      let sessionReady: () => void = () => undefined;
      const session = new Promise<void>((resolve) => (sessionReady = resolve));
      let markClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (markClosed = resolve));
      const stream = get(`${server.url}/sse`, (response) => {
        let buffer = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const type = /^event: (.*)$/m.exec(event)?.[1] ?? "message";
            const data = /^data: (.*)$/m.exec(event)?.[1] ?? "";
            if (type === "session") {
              token = data;
              sessionReady();
            } else {
              inbox.push(JSON.parse(data) as Message);
            }
          }
        });
        response.on("close", markClosed);
      });
      stream.on("error", markClosed);
      await session;
      const welcome = await inbox.next();
      const post = (body: string) =>
        new Promise<void>((resolve, reject) => {
          const req = httpRequest(`${server.url}/sse/${token}`, { method: "POST" }, (res) => {
            res.resume();
            res.on("end", resolve);
          });
          req.on("error", reject);
          req.end(body);
        });
      // Posts go out one after another, so the server sees them in the order they were sent.
      let queue = Promise.resolve();
      const send = (body: string) => {
        queue = queue.then(() => post(body)).catch(() => undefined);
      };
      let nextId = 0;
      return {
        inbox,
        welcome,
        async request(event, params = {}) {
          const messageId = ++nextId;
          send(JSON.stringify({ event, params, messageId }));
          return inbox.next((m) => m.context === "response" && m.messageId === messageId);
        },
        send: (event, params, messageId) => send(JSON.stringify({ event, params, messageId })),
        sendMalformed: () => send("this is not json"),
        closed,
        async close() {
          stream.destroy();
          await closed;
        },
      };
    },
  };
}
