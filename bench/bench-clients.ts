/**
 * The client side of each bench case, run in a forked load process: the same code drives
 * actionwire and the bare server of a transport, so only the server differs.
 */
import type { ClientSocketClass } from "primus";
import type { Socket } from "socket.io-client";
import {
  BARE_FAYE_ROOM,
  BENCH_ROOM,
  ENTERED,
  SAY_MARKER,
  type Flavour,
  type Transport,
} from "./bench-protocol.js";

/** What a client connects with: a transport both sides serve, or Primus (bare only). */
export type ClientKind = Transport | "primus";

/** One connected client, seen the same way whatever the transport. */
export interface BenchClient {
  /** Sends an echo action request. */
  action(params: Record<string, unknown>, messageId: number): void;
  /** Says a chat message to the room. */
  say(message: string): void;
  /** Joins the bench room (`roomChange`); the reply comes to `onResponse`. */
  join(messageId: number): void;
  close(): void;
}

export interface ClientHandlers {
  /** A reply to a request (its messageId). */
  onResponse?(messageId: unknown): void;
  /** A chat message pushed from the room (counted, never parsed, on ws). */
  onSay?(): void;
  /** An entered notice pushed from the room (counted, never parsed, on ws). */
  onNotice?(): void;
}

/** Connects one client and resolves once it is welcomed (faye: subscribed as well). */
export function connectClient(
  kind: ClientKind,
  flavour: Flavour,
  url: string,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  if (kind === "ws") return connectWs(url, flavour === "session", handlers);
  if (kind === "socketio") return connectSocketIo(url, flavour === "session", handlers);
  if (kind === "primus") return connectPrimus(url, handlers);
  return connectFaye(url, flavour, handlers);
}

/** A URL with `hello=1` in its query: the client announces that its first frame is a hello. */
export function withHello(url: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}hello=1`;
}

/**
 * A session's acknowledgements, sent as the project's client sends them: the ids of the replies
 * it received, with its next request (docs/protocol.md, "Acknowledging replies").
 */
class Acks {
  #ids: unknown[] = [];

  received(id: unknown): void {
    if (id !== undefined && id !== null) this.#ids.push(id);
  }

  /** The ids to send with the next request, if any (at most 64, the protocol's limit). */
  take(): unknown[] | undefined {
    return this.#ids.length === 0 ? undefined : this.#ids.splice(0, 64);
  }
}

/**
 * The `say` of a client: a session's carries a messageId, as the project's client sends with
 * every request (the server then records its reply for a resume); version 1's carries none.
 */
function sayer(session: boolean, send: (params: { message: string }, messageId?: string) => void) {
  let next = 0;
  return session
    ? (message: string) => send({ message }, `s${++next}`)
    : (message: string) => send({ message });
}

async function connectWs(
  url: string,
  session: boolean,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  const { WebSocket } = await import("ws");
  const socket = new WebSocket(session ? withHello(url) : url, { perMessageDeflate: false });
  const acks = session ? new Acks() : undefined;
  await new Promise<void>((resolve, reject) => {
    if (session) socket.once("open", () => socket.send(HELLO));
    socket.once("message", () => resolve()); // the welcome
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  socket.on("message", (data: Buffer) => {
    if (handlers.onNotice !== undefined && data.includes(ENTERED)) {
      handlers.onNotice();
      return;
    }
    if (handlers.onSay !== undefined && data.includes(SAY_MARKER)) {
      handlers.onSay();
      return;
    }
    if (handlers.onResponse === undefined && acks === undefined) return;
    const message = JSON.parse(String(data)) as { context: string; messageId?: unknown };
    if (message.context !== "response") return;
    acks?.received(message.messageId);
    handlers.onResponse?.(message.messageId);
  });
  const send = (event: string, params: Record<string, unknown>, messageId?: unknown) =>
    socket.send(JSON.stringify({ event, params, messageId, ack: acks?.take() }));
  return {
    action: (params, messageId) => send("action", params, messageId),
    say: sayer(session, (params, messageId) => send("say", params, messageId)),
    join: (messageId) => send("roomChange", { room: BENCH_ROOM }, messageId),
    close: () => socket.terminate(),
  };
}

/** A plain hello: a new session, no auth. */
const HELLO = JSON.stringify({ event: "hello", params: {} });

async function connectSocketIo(
  url: string,
  session: boolean,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  const { io } = await import("socket.io-client");
  const socket: Socket = io(url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(session ? { query: { hello: "1" } } : {}),
  });
  // Buffered until the socket connects, then its first packet.
  if (session) socket.emit("hello", {});
  const acks = session ? new Acks() : undefined;
  await new Promise<void>((resolve, reject) => {
    socket.once("welcome", () => resolve());
    socket.once("connect_error", reject);
  });
  if (handlers.onResponse !== undefined || acks !== undefined) {
    socket.on("response", (message: { messageId?: unknown }) => {
      acks?.received(message.messageId);
      handlers.onResponse?.(message.messageId);
    });
  }
  /** A session's acknowledgements ride as a second argument, as the project's client sends them. */
  const emit = (event: string, payload: Record<string, unknown>) => {
    const ack = acks?.take();
    if (ack === undefined) socket.emit(event, payload);
    else socket.emit(event, payload, { ack });
  };
  if (handlers.onSay !== undefined || handlers.onNotice !== undefined) {
    socket.on("say", (message: { message?: string }) => {
      if (message.message === ENTERED) handlers.onNotice?.();
      else handlers.onSay?.();
    });
  }
  return {
    action: (params, messageId) => emit("action", { ...params, messageId }),
    say: sayer(session, (params, messageId) =>
      emit("say", messageId === undefined ? params : { ...params, messageId }),
    ),
    join: (messageId) => emit("roomChange", { room: BENCH_ROOM, messageId }),
    close: () => socket.disconnect(),
  };
}

/**
 * actionwire: `/actionwire/in|out/<clientId>`; the bare server: `/echo/in|out/<clientId>` for
 * the echo, and faye's own broadcast on {@link BARE_FAYE_ROOM} for the room.
 */
async function connectFaye(
  endpoint: string,
  flavour: Flavour,
  handlers: ClientHandlers,
): Promise<BenchClient> {
  const { default: faye } = await import("faye");
  const session = flavour === "session";
  const acks = session ? new Acks() : undefined;
  // A session's hello is announced on every request faye makes (the endpoint's query).
  const client = new faye.Client(session ? withHello(endpoint) : endpoint);
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
  const prefix = flavour === "bare" ? "/echo" : "/actionwire";
  let welcomed: () => void = () => undefined;
  const welcome = new Promise<void>((resolve) => (welcomed = resolve));
  await client.subscribe(`${prefix}/out/${clientId}`, (data) => {
    const message = data as { context?: string; messageId?: unknown; message?: unknown };
    if (message.context === "response") {
      acks?.received(message.messageId);
      handlers.onResponse?.(message.messageId);
    } else if (message.context === "user") {
      if (message.message === ENTERED) handlers.onNotice?.();
      else handlers.onSay?.();
    } else welcomed();
  });
  const inChannel = `${prefix}/in/${clientId}`;
  if (session) void client.publish(inChannel, { event: "hello", params: {} });
  if (flavour !== "bare") await welcome;
  else if (handlers.onSay !== undefined) {
    const onSay = handlers.onSay;
    await client.subscribe(BARE_FAYE_ROOM, () => onSay());
  }
  return {
    action: (params, messageId) =>
      void client.publish(inChannel, { event: "action", params, messageId, ack: acks?.take() }),
    say:
      flavour !== "bare"
        ? sayer(session, (params, messageId) => {
            void client.publish(inChannel, { event: "say", params, messageId, ack: acks?.take() });
          })
        : (message) =>
            void client.publish(BARE_FAYE_ROOM, {
              context: "user",
              from: clientId,
              room: BENCH_ROOM,
              message,
              sentAt: Date.now(),
            }),
    join: (messageId) =>
      void client.publish(inChannel, {
        event: "roomChange",
        params: { room: BENCH_ROOM },
        messageId,
        ack: acks?.take(),
      }),
    close: () => void client.disconnect(),
  };
}

let primusSocket: ClientSocketClass | undefined;

/** Primus's Node client over its ws transformer, compiled once per load process. */
async function connectPrimus(url: string, handlers: ClientHandlers): Promise<BenchClient> {
  if (primusSocket === undefined) {
    const { default: Primus } = await import("primus");
    primusSocket = Primus.createSocket({ transformer: "websockets", pathname: "/primus" });
  }
  const socket = new primusSocket(url, { strategy: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("data", () => resolve()); // the welcome
    socket.once("error", reject);
  });
  socket.on("data", (data) => {
    const message = data as { context?: string; messageId?: unknown };
    if (message.context === "response") handlers.onResponse?.(message.messageId);
  });
  const send = (event: string, params: Record<string, unknown>, messageId?: number) =>
    void socket.write({ event, params, messageId });
  return {
    action: (params, messageId) => send("action", params, messageId),
    say: (message) => send("say", { message }),
    join: (messageId) => send("roomChange", { room: BENCH_ROOM }, messageId),
    close: () => socket.end(),
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

/** A room push's position (docs/protocol.md, "Room positions and the replay"). */
export interface RoomPosition {
  epoch: string;
  offset: number;
}

/** A ws client that parses every frame: the resume case's clients, its sender and its watcher. */
export interface WireClient {
  /** The first frame: the welcome (or the goodbye that refused the connection). */
  readonly welcome: Record<string, unknown>;
  send(event: string, params: Record<string, unknown>, messageId?: string): void;
  /** Drops the socket at once, without a quit (as a network failure does). */
  terminate(): void;
}

/**
 * Opens a ws client; with `hello`, it announces a hello and sends it with these params (a new
 * session, or `resume`). Every frame after the welcome goes to `onMessage`, parsed, from the
 * first one on: the replay of a resume can reach the client in the same read as its welcome.
 */
export async function openWire(
  url: string,
  hello: Record<string, unknown> | undefined,
  onMessage: (message: Record<string, unknown>) => void,
): Promise<WireClient> {
  const { WebSocket } = await import("ws");
  const socket = new WebSocket(hello === undefined ? url : withHello(url), {
    perMessageDeflate: false,
  });
  let welcome: Record<string, unknown> | undefined;
  await new Promise<void>((resolve, reject) => {
    if (hello !== undefined) {
      socket.once("open", () => socket.send(JSON.stringify({ event: "hello", params: hello })));
    }
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (welcome !== undefined) {
        onMessage(message);
        return;
      }
      welcome = message;
      resolve();
    });
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  return {
    welcome: welcome!,
    send: (event, params, messageId) => socket.send(JSON.stringify({ event, params, messageId })),
    terminate: () => socket.terminate(),
  };
}
