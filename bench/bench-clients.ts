/**
 * The client side of each bench case, run in a forked load process: the same code drives
 * actionwire and the bare server of a transport, so only the server differs.
 */
import faye from "faye";
import { io, type Socket } from "socket.io-client";
import { WebSocket } from "ws";
import type { Flavour, Transport } from "./bench-servers.js";

/** One connected client, seen the same way whatever the transport. */
export interface BenchClient {
  /** Sends an echo action request. */
  action(params: Record<string, unknown>, messageId: number): void;
  /** Says a chat message to the room. */
  say(message: string): void;
  close(): void;
}

export interface ClientHandlers {
  /** A reply to an action (its messageId). */
  onResponse?(messageId: unknown): void;
  /** A chat message pushed from the room (counted, never parsed, on ws). */
  onSay?(): void;
}

/** Marker that tells a chat push apart from other frames on ws without parsing it. */
export const SAY_MARKER = "fanout-";

export function connectClient(
  transport: Transport,
  flavour: Flavour,
  url: string,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  if (transport === "ws") return connectWs(url, handlers);
  if (transport === "socketio") return connectSocketIo(url, handlers);
  return connectFaye(url, flavour, handlers);
}

async function connectWs(url: string, handlers: ClientHandlers): Promise<BenchClient> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("message", () => resolve()); // the welcome
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  socket.on("message", (data: Buffer) => {
    if (handlers.onSay !== undefined && data.includes(SAY_MARKER)) {
      handlers.onSay();
      return;
    }
    if (handlers.onResponse === undefined) return;
    const message = JSON.parse(String(data)) as { context: string; messageId?: unknown };
    if (message.context === "response") handlers.onResponse(message.messageId);
  });
  return {
    action: (params, messageId) =>
      socket.send(JSON.stringify({ event: "action", params, messageId })),
    say: (message) => socket.send(JSON.stringify({ event: "say", params: { message } })),
    close: () => socket.terminate(),
  };
}

async function connectSocketIo(url: string, handlers: ClientHandlers): Promise<BenchClient> {
  const socket: Socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("welcome", () => resolve());
    socket.once("connect_error", reject);
  });
  if (handlers.onResponse !== undefined) {
    const onResponse = handlers.onResponse;
    socket.on("response", (message: { messageId?: unknown }) => onResponse(message.messageId));
  }
  if (handlers.onSay !== undefined) socket.on("say", handlers.onSay);
  return {
    action: (params, messageId) => socket.emit("action", { ...params, messageId }),
    say: (message) => socket.emit("say", { message }),
    close: () => socket.disconnect(),
  };
}

/** actionwire: `/actionwire/in|out/<clientId>`; the bare server: `/echo/in|out/<clientId>`. */
async function connectFaye(
  endpoint: string,
  flavour: Flavour,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  const client = new faye.Client(endpoint);
  let clientId = "";
  client.addExtension({
    incoming(message, callback) {
      if (message.channel === "/meta/handshake" && message.successful === true) {
        clientId = String(message.clientId);
      }
      callback(message);
    },
  });
  await new Promise<void>((resolve) => client.connect(() => resolve()));
  const prefix = flavour === "actionwire" ? "/actionwire" : "/echo";
  let welcomed: () => void = () => undefined;
  const welcome = new Promise<void>((resolve) => (welcomed = resolve));
  await client.subscribe(`${prefix}/out/${clientId}`, (data) => {
    const message = data as { context?: string; messageId?: unknown };
    if (message.context === "response") handlers.onResponse?.(message.messageId);
    else welcomed();
  });
  if (flavour === "actionwire") await welcome;
  const inChannel = `${prefix}/in/${clientId}`;
  return {
    action: (params, messageId) =>
      void client.publish(inChannel, { event: "action", params, messageId }),
    say: (message) => void client.publish(inChannel, { event: "say", params: { message } }),
    close: () => void client.disconnect(),
  };
}

/** Opens `count` clients, `batch` at a time (a burst of thousands of SYNs is its own bench). */
export async function connectMany(
  count: number,
  open: (index: number) => Promise<BenchClient>,
  batch = 50,
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    clients.push(...(await Promise.all(Array.from({ length: size }, (_, i) => open(start + i)))));
  }
  return clients;
}
