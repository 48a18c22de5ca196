import { connect as netConnect, type Socket } from "node:net";
import { MessageInbox } from "../../src/core/message-inbox.js";
import type {
  ContractClient,
  ContractTransport,
  Message,
} from "../../src/testing/contract-client.js";
import { TcpTransport } from "../../adapters/tcp/tcp-transport.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";

/** A raw tcp line client: writes lines, reads one JSON message per line. */
export class TcpTestClient {
  readonly inbox = new MessageInbox<Message>();
  readonly closed: Promise<void>;
  welcome: Message = {};
  #nextId = 0;

  private constructor(readonly socket: Socket) {
    let pending = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf("\r\n")) !== -1) {
        this.inbox.push(JSON.parse(pending.slice(0, newline)) as Message);
        pending = pending.slice(newline + 2);
      }
    });
    this.closed = new Promise((resolve) => socket.on("close", () => resolve()));
  }

  /** Connects and waits for the welcome; `hello`: first sends this line (a server with `tcp.hello`). */
  static async connect(port: number, host = "127.0.0.1", hello?: string): Promise<TcpTestClient> {
    const socket = netConnect(port, host);
    const client = new TcpTestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    if (hello !== undefined) client.line(hello);
    client.welcome = await client.inbox.next();
    return client;
  }

  /** Writes one line (`\r\n` appended). */
  line(text: string): void {
    this.socket.write(`${text}\r\n`);
  }

  /** Writes a line and resolves with the reply carrying this request's messageCount. */
  async lineReply(text: string, count: number): Promise<Message> {
    this.line(text);
    return this.inbox.next((m) => m.context === "response" && m.messageCount === count);
  }

  async request(event: string, params: Record<string, unknown> = {}): Promise<Message> {
    const messageId = ++this.#nextId;
    this.line(JSON.stringify({ event, params, messageId }));
    return this.inbox.next((m) => m.context === "response" && m.messageId === messageId);
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }
}

/** The tcp port a server's tcp transport listens on. */
export function tcpPort(server: ActionwireServer): number {
  return server.transport<TcpTransport>("tcp").address.port;
}

/**
 * The contract suite's view of a tcp line client; with `host` (`"::1"`), the listener and the
 * client use that address, and connections report it as their `remoteIP`.
 */
export function tcpContract(host?: string): ContractTransport {
  return {
    label: host === undefined ? "tcp" : `tcp (${host})`,
    transport: "tcp",
    serverConfig: { transports: ["tcp"], tcp: { port: 0, ...(host ? { host } : {}) } },
    ...(host ? { remoteIP: host } : {}),
    async connect(server): Promise<ContractClient> {
      const client = await TcpTestClient.connect(tcpPort(server), host);
      return {
        inbox: client.inbox,
        welcome: client.welcome,
        request: (event, params) => client.request(event, params),
        send: (event, params, messageId) =>
          client.line(JSON.stringify({ event, params, messageId })),
        sendMalformed: () => client.line("{this is not json"),
        closed: client.closed,
        close: () => client.close(),
      };
    },
  };
}
