/**
 * The servers a bench case runs against: actionwire on one transport, or the bare library doing
 * the same job as plainly as it allows. Each runs alone in a forked server process.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import faye from "faye";
import { Server as SocketIoServer } from "socket.io";
import { WebSocketServer } from "ws";
import { demoActions } from "../src/demo/demo-actions.js";
import { createServer } from "../src/server/actionwire-server.js";

/** Which transport, and whether actionwire or the bare library serves it. */
export type Transport = "ws" | "socketio" | "faye";
export type Flavour = "actionwire" | "bare";

/** A started server: where clients connect, and how to stop it. */
export interface StartedServer {
  /** ws: a ws:// URL; socketio: the http:// base; faye: the http:// endpoint. */
  url: string;
  close(): Promise<void>;
}

/** The room every fan-out client is in (actionwire: the default room). */
export const BENCH_ROOM = "bench";

export function startServer(transport: Transport, flavour: Flavour): Promise<StartedServer> {
  if (flavour === "actionwire") return actionwireServer(transport);
  if (transport === "ws") return bareWs();
  if (transport === "socketio") return bareSocketIo();
  return bareFaye();
}

async function actionwireServer(transport: Transport): Promise<StartedServer> {
  const server: ReturnType<typeof createServer> = createServer({
    transports: [transport],
    port: 0,
    host: "127.0.0.1",
    defaultRoom: BENCH_ROOM,
    // The bare servers send no entered/left notices either.
    roomNotices: false,
    limits: { rate: 1_000_000, maxPendingActions: 1000 },
    actions: demoActions({ nodeId: "bench", connectionCounts: () => server.connectionCounts() }),
  });
  await server.start();
  const url =
    transport === "ws"
      ? `${server.url.replace(/^http/, "ws")}/ws`
      : transport === "faye"
        ? `${server.url}/faye`
        : server.url;
  return { url, close: () => server.stop() };
}

function listen(http: HttpServer): Promise<number> {
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () => resolve((http.address() as { port: number }).port)),
  );
}

function closeHttp(http: HttpServer): Promise<void> {
  http.closeAllConnections();
  return new Promise((resolve) => http.close(() => resolve()));
}

/** Echo: parse, answer with the messageId. Say: one frame, a plain `send` loop to the others. */
async function bareWs(): Promise<StartedServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/ws" });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket) => {
    let count = 0;
    socket.send(JSON.stringify({ context: "api", welcome: "hi", room: BENCH_ROOM }));
    socket.on("message", (data) => {
      count++;
      const request = JSON.parse(String(data)) as {
        event: string;
        params: Record<string, unknown>;
        messageId: unknown;
      };
      if (request.event === "say") {
        const frame = JSON.stringify({
          context: "user",
          from: "x",
          room: BENCH_ROOM,
          message: request.params.message,
          sentAt: Date.now(),
        });
        for (const client of wss.clients) if (client !== socket) client.send(frame);
        socket.send(JSON.stringify({ context: "response", messageId: request.messageId }));
        return;
      }
      const { action: _action, ...params } = request.params;
      socket.send(
        JSON.stringify({
          context: "response",
          messageCount: count,
          messageId: request.messageId,
          echo: params,
        }),
      );
    });
  });
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** `action` → `response` event; `say` → a broadcast to every other socket. */
async function bareSocketIo(): Promise<StartedServer> {
  const http = createHttpServer();
  const io = new SocketIoServer(http, { serveClient: false });
  io.on("connection", (socket) => {
    let count = 0;
    socket.emit("welcome", { context: "api", welcome: "hi", room: BENCH_ROOM });
    socket.on("action", (params: Record<string, unknown>) => {
      count++;
      const { action: _action, messageId, ...echo } = params;
      socket.emit("response", { context: "response", messageCount: count, messageId, echo });
    });
    socket.on("say", (params: { message: string; messageId?: unknown }) => {
      socket.broadcast.emit("say", {
        context: "user",
        from: socket.id,
        room: BENCH_ROOM,
        message: params.message,
        sentAt: Date.now(),
      });
      socket.emit("response", { context: "response", messageId: params.messageId });
    });
  });
  const port = await listen(http);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
      await closeHttp(http);
    },
  };
}

/** A publish to `/echo/in/<id>` is answered on `/echo/out/<id>` by the server's own client. */
async function bareFaye(): Promise<StartedServer> {
  const http = createHttpServer();
  const bayeux = new faye.NodeAdapter({ mount: "/faye", timeout: 45 });
  const local = bayeux.getClient();
  let count = 0;
  bayeux.addExtension({
    incoming(message, _request, callback) {
      const { channel } = message;
      if (channel.startsWith("/echo/in/")) {
        count++;
        const request = message.data as { params: Record<string, unknown>; messageId: unknown };
        const { action: _action, ...echo } = request.params;
        void local.publish(`/echo/out/${channel.slice("/echo/in/".length)}`, {
          context: "response",
          messageCount: count,
          messageId: request.messageId,
          echo,
        });
      }
      callback(message);
    },
  });
  http.on("request", (request, response) => bayeux.handle(request, response));
  http.on("upgrade", (request, socket, head) => bayeux.handleUpgrade(request, socket, head));
  const port = await listen(http);
  return {
    url: `http://127.0.0.1:${port}/faye`,
    close: async () => {
      bayeux.close();
      await closeHttp(http);
    },
  };
}
