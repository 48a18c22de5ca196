/**
 * The servers a bench case runs against: actionwire on one or several transports, or a bare
 * library doing the same job as plainly as it allows. Each runs alone in a forked server process.
 */
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { Socket as NetSocket } from "node:net";
import type { NodeAdapterOptions } from "faye";
import type { Redis } from "ioredis";
import type { WebSocket } from "ws";
import { BENCH_ROOM, ENTERED, type Transport } from "./bench-protocol.js";

/** What a server process runs. */
export interface ServerSpec {
  /**
   * `actionwire`; `bare`: the bare library of `transports[0]` (a plain send loop on ws);
   * `bare-cork`: the ws server that frames a broadcast once and corks every socket until the
   * end of the tick; `primus`: Primus over its ws transformer (round trip only).
   */
  kind: "actionwire" | "bare" | "bare-cork" | "primus";
  /** actionwire runs all of them on one HTTP server (one room); a bare server runs the first. */
  transports: Transport[];
  /** Entered notices (actionwire's `roomNotices`; the bare ws server's own). Default off. */
  roomNotices?: boolean;
  /** Clients start in the bench room (default), or in none and join it with `roomChange`. */
  startInRoom?: boolean;
  /** One node of two over one Redis: actionwire's Redis bus, or the bare library's own. */
  redis?: { url: string; nodeId: string };
  /**
   * actionwire with metrics and tracing on, and an OpenTelemetry SDK registered in the server
   * process (a batch span processor, an exporter that drops what it is given): what operating
   * it costs.
   */
  observed?: boolean;
  /**
   * The same SDK registered and its context manager in use (as an application that traces
   * anything has it), actionwire's metrics and tracing off: the SDK's own cost.
   */
  sdkOnly?: boolean;
  /** actionwire's metrics on, tracing off, no SDK. */
  metricsOnly?: boolean;
}

/** Where clients connect, by transport (primus: its http:// base), and how to stop it. */
export interface StartedServer {
  /** ws: a ws:// URL; socketio and primus: the http:// base; faye: the http:// endpoint. */
  urls: Partial<Record<Transport | "primus", string>>;
  close(): Promise<void>;
  /** actionwire over Redis: its bus's counters (`published`: Redis calls for room messages). */
  busStats?(): Record<string, number>;
}

/** Starts the server a spec names, listening on a free port on 127.0.0.1. */
export function startServer(spec: ServerSpec): Promise<StartedServer> {
  if (spec.kind === "actionwire") return actionwireServer(spec);
  if (spec.kind === "primus") return primusServer();
  const transport = spec.transports[0]!;
  if (transport === "ws") return bareWs(spec);
  if (transport === "socketio") return bareSocketIo(spec);
  return bareFaye(spec);
}

async function actionwireServer(spec: ServerSpec): Promise<StartedServer> {
  const { createServer } = await import("../src/server/actionwire-server.js");
  const { demoActions } = await import("../src/demo/demo-actions.js");
  const { TOKENS } = await import("../src/core/tokens.js");
  if (spec.observed === true || spec.sdkOnly === true) await registerTracingSdk();
  const server: ReturnType<typeof createServer> = createServer({
    metrics: spec.observed === true || spec.metricsOnly === true,
    tracing: spec.observed === true,
    transports: spec.transports,
    port: 0,
    host: "127.0.0.1",
    defaultRoom: spec.startInRoom === false ? null : BENCH_ROOM,
    // The bare servers send no entered/left notices either, unless a case turns them on.
    roomNotices: spec.roomNotices ?? false,
    limits: { rate: 1_000_000, maxPendingActions: 1000 },
    actions: demoActions({ nodeId: "bench", connectionCounts: () => server.connectionCounts() }),
    ...(spec.redis === undefined
      ? {}
      : { nodeId: spec.redis.nodeId, redis: { url: spec.redis.url } }),
  });
  await server.start();
  const urls: StartedServer["urls"] = {};
  for (const transport of spec.transports) {
    urls[transport] =
      transport === "ws"
        ? `${server.url.replace(/^http/, "ws")}/ws`
        : transport === "faye"
          ? `${server.url}/faye`
          : server.url;
  }
  const bus = server.container.resolve<{ stats?: Record<string, number> }>(TOKENS.ClusterBus);
  return {
    urls,
    close: () => server.stop(),
    ...(bus.stats === undefined ? {} : { busStats: () => ({ ...bus.stats }) }),
  };
}

/**
 * An OpenTelemetry SDK as an application registers one: a tracer provider with a batch span
 * processor, and the AsyncLocalStorage context manager. The exporter drops the spans: the cost
 * measured is making them, not sending them.
 */
async function registerTracingSdk(): Promise<void> {
  const { context, trace } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const exporter = {
    export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: async () => undefined,
  };
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // In use once: Node 20's AsyncLocalStorage installs its async hooks at its first run, and
  // from then on every asynchronous resource (a socket write, a promise) pays for them.
  context.with(context.active(), () => undefined);
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

/** ws's frame builder (`Sender.frame`): the package exports it, its types leave it out. */
type FrameBuilder = {
  frame(
    data: Buffer,
    options: { readOnly: boolean; fin: boolean; opcode: number; mask: boolean; rsv1: boolean },
  ): Buffer[];
};

/**
 * Echo: parse, answer with the messageId. Say: one JSON text for the room; `bare` sends it with
 * a plain `send` loop, `bare-cork` frames it once and writes the same bytes to every socket,
 * each corked until the end of the tick (so a burst leaves in one write per socket).
 * roomChange: join the room's set and (notices on) push an entered notice to every member.
 */
async function bareWs(spec: ServerSpec): Promise<StartedServer> {
  const wsPackage = await import("ws");
  const { WebSocketServer } = wsPackage;
  const OPEN = wsPackage.WebSocket.OPEN;
  const { Sender } = wsPackage as unknown as { Sender: FrameBuilder };
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/ws" });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const startInRoom = spec.startInRoom !== false;
  const members = new Set<WebSocket>();
  const corked: NetSocket[] = [];
  const uncorkAll = () => {
    for (const raw of corked) raw.uncork();
    corked.length = 0;
  };
  const broadcast =
    spec.kind === "bare-cork"
      ? (text: string, except: WebSocket) => {
          const frame = Buffer.concat(
            Sender.frame(Buffer.from(text), {
              readOnly: true,
              fin: true,
              opcode: 1,
              mask: false,
              rsv1: false,
            }),
          );
          if (corked.length === 0) process.nextTick(uncorkAll);
          for (const client of members) {
            if (client === except || client.readyState !== OPEN) continue;
            // Safe beside ws's own sender: without permessage-deflate it never queues.
            const raw = (client as unknown as { _socket: NetSocket })._socket;
            if (raw.writableCorked === 0) {
              raw.cork();
              corked.push(raw);
            }
            raw.write(frame);
          }
        }
      : (text: string, except: WebSocket) => {
          for (const client of members) if (client !== except) client.send(text);
        };
  wss.on("connection", (socket) => {
    // Room messages name their sender, as actionwire's do (a connection id of the same length).
    const id = randomUUID();
    let count = 0;
    let joined = startInRoom;
    if (startInRoom) members.add(socket);
    socket.on("close", () => members.delete(socket));
    socket.send(
      JSON.stringify({ context: "api", welcome: "hi", room: startInRoom ? BENCH_ROOM : null }),
    );
    socket.on("message", (data) => {
      count++;
      const request = JSON.parse(String(data)) as {
        event: string;
        params: Record<string, unknown>;
        messageId: unknown;
      };
      if (request.event === "say") {
        broadcast(
          JSON.stringify({
            context: "user",
            from: id,
            room: BENCH_ROOM,
            message: request.params.message,
            sentAt: Date.now(),
          }),
          socket,
        );
        socket.send(JSON.stringify({ context: "response", messageId: request.messageId }));
        return;
      }
      if (request.event === "roomChange") {
        if (!joined) {
          joined = true;
          members.add(socket);
          if (spec.roomNotices === true) {
            broadcast(
              JSON.stringify({
                context: "user",
                message: ENTERED,
                room: BENCH_ROOM,
                from: id,
                sentAt: Date.now(),
              }),
              socket,
            );
          }
        }
        socket.send(
          JSON.stringify({
            context: "response",
            messageCount: count,
            messageId: request.messageId,
            data: { room: BENCH_ROOM },
          }),
        );
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
    urls: { ws: `ws://127.0.0.1:${port}/ws` },
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * `action` → `response` event; `say` → a broadcast to every other socket (with `redis`: through
 * `@socket.io/redis-adapter`, to the other node's sockets too).
 */
async function bareSocketIo(spec: ServerSpec): Promise<StartedServer> {
  const { Server: SocketIoServer } = await import("socket.io");
  const http = createHttpServer();
  const io = new SocketIoServer(http, { serveClient: false });
  let redisClients: Redis[] = [];
  if (spec.redis !== undefined) {
    const { createAdapter } = await import("@socket.io/redis-adapter");
    const { Redis } = await import("ioredis");
    const publisher = new Redis(spec.redis.url);
    const subscriber = publisher.duplicate();
    redisClients = [publisher, subscriber];
    io.adapter(createAdapter(publisher, subscriber));
  }
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
    urls: { socketio: `http://127.0.0.1:${port}` },
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
      await closeHttp(http);
      for (const client of redisClients) client.disconnect();
    },
  };
}

/**
 * A publish to `/echo/in/<id>` is answered on `/echo/out/<id>` by the server's own client. The
 * room is faye's own broadcast: the clients share the channel `BARE_FAYE_ROOM`. With
 * `redis`: faye's Redis engine (`faye-redis`), which holds every client's queue in Redis.
 */
async function bareFaye(spec: ServerSpec): Promise<StartedServer> {
  const { default: faye } = await import("faye");
  const http = createHttpServer();
  const options: NodeAdapterOptions & { engine?: Record<string, unknown> } = {
    mount: "/faye",
    timeout: 45,
  };
  if (spec.redis !== undefined) {
    const { default: engine } = await import("faye-redis");
    const { hostname, port } = new URL(spec.redis.url);
    options.engine = { type: engine, host: hostname, port: Number(port) };
  }
  const bayeux = new faye.NodeAdapter(options);
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
    urls: { faye: `http://127.0.0.1:${port}/faye` },
    close: async () => {
      // faye-redis disconnects with redis 3's deprecated `end()`, which only warns; the
      // process exits right after this, closing its Redis connections anyway.
      if (spec.redis === undefined) bayeux.close();
      await closeHttp(http);
    },
  };
}

/** Primus over its ws transformer: the same echo job as the bare ws server. */
async function primusServer(): Promise<StartedServer> {
  const { default: Primus } = await import("primus");
  const http = createHttpServer();
  const primus = new Primus(http, { transformer: "websockets", pathname: "/primus" });
  primus.on("connection", (spark) => {
    let count = 0;
    spark.write({ context: "api", welcome: "hi", room: BENCH_ROOM });
    spark.on("data", (data) => {
      count++;
      const request = data as { params: Record<string, unknown>; messageId: unknown };
      const { action: _action, ...echo } = request.params;
      spark.write({ context: "response", messageCount: count, messageId: request.messageId, echo });
    });
  });
  const port = await listen(http);
  return {
    urls: { primus: `http://127.0.0.1:${port}` },
    close: async () => {
      primus.destroy({ close: false });
      await closeHttp(http);
    },
  };
}
