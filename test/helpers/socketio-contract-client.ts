import { io, type Socket } from "socket.io-client";
import { MessageInbox } from "../../src/core/message-inbox.js";
import type {
  ContractClient,
  ContractTransport,
  Message,
} from "../../src/testing/contract-client.js";

/** A raw socket.io-client, connected and welcomed. */
export async function connectSocketIo(
  url: string,
  transports: Array<"websocket" | "polling">,
): Promise<{
  socket: Socket;
  inbox: MessageInbox<Message>;
  welcome: Message;
  closed: Promise<void>;
}> {
  const socket = io(url, { transports, reconnection: false, forceNew: true });
  const inbox = new MessageInbox<Message>();
  for (const event of ["response", "say", "welcome", "alert", "api"]) {
    socket.on(event, (message: Message) => inbox.push(message));
  }
  const closed = new Promise<void>((resolve) => socket.on("disconnect", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const welcome = await inbox.next();
  return { socket, inbox, welcome, closed };
}

/** The contract suite's view of a socket.io-client on the given engine transports. */
export function socketIoContract(mode: "websocket" | "polling"): ContractTransport {
  return {
    label: `socketio (${mode})`,
    transport: "socketio",
    serverConfig: {
      transports: ["socketio"],
      socketio: { transports: mode === "polling" ? ["polling"] : ["polling", "websocket"] },
    },
    async connect(server): Promise<ContractClient> {
      const { socket, inbox, welcome, closed } = await connectSocketIo(server.url, [mode]);
      let nextId = 0;
      const send = (event: string, params?: unknown, messageId?: unknown) => {
        const payload =
          messageId === undefined
            ? params
            : typeof params === "object" && params !== null && !Array.isArray(params)
              ? { ...params, messageId }
              : { messageId };
        if (payload === undefined) socket.emit(event);
        else socket.emit(event, payload);
      };
      return {
        inbox,
        welcome,
        request(event, params = {}) {
          const messageId = ++nextId;
          send(event, params, messageId);
          return inbox.next((m) => m.context === "response" && m.messageId === messageId);
        },
        send,
        sendMalformed: () => socket.emit("say", "this is not a params object"),
        closed,
        async close() {
          if (socket.connected) socket.disconnect();
          await closed;
        },
      };
    },
  };
}
