import { expect } from "chai";
import faye, { type Message } from "faye";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import { Server as SocketIoServer } from "socket.io";
import { outChannel } from "../../adapters/faye/faye-channels.js";
import { ActionwireClient, type ClientOptions } from "../../src/client/index.js";

/** The welcome a server of the resume protocol sends in answer to a hello. */
const WELCOME = {
  context: "api",
  welcome: "Hello!",
  room: null,
  id: "session-1",
  session: { token: "t1", resumed: false, recovered: false, rooms: {} },
};

/** What a raw server saw: the URL of every HTTP request and upgrade, and the frames in order. */
interface Seen {
  urls: string[];
  frames: Array<{ event: string; params: Record<string, unknown> }>;
}

async function listen(http: HttpServer): Promise<string> {
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return `http://127.0.0.1:${(http.address() as { port: number }).port}`;
}

/** A socket.io server that answers the hello with a welcome, and detailsView. */
async function socketIoServer(seen: Seen): Promise<{ url: string; stop(): Promise<void> }> {
  const http = createServer();
  const io = new SocketIoServer(http);
  io.on("connection", (socket) => {
    seen.urls.push(`?hello=${String(socket.handshake.query.hello)}`);
    socket.onAny((event: string, params: Record<string, unknown>) => {
      seen.frames.push({ event, params });
      if (event === "hello") socket.emit("welcome", WELCOME);
      else socket.emit("response", { context: "response", messageId: params.messageId, data: {} });
    });
  });
  const url = await listen(http);
  return { url, stop: () => new Promise((resolve) => void io.close(() => resolve())) };
}

/** A faye server on /faye that answers the hello on the client's out channel, and detailsView. */
async function fayeServer(seen: Seen): Promise<{ url: string; stop(): Promise<void> }> {
  const http = createServer();
  const bayeux = new faye.NodeAdapter({ mount: "/faye", timeout: 5 });
  http.on("request", (request, response) => {
    seen.urls.push(request.url ?? "");
    bayeux.handle(request, response);
  });
  http.on("upgrade", (request, socket, head) => {
    seen.urls.push(`upgrade ${request.url ?? ""}`);
    bayeux.handleUpgrade(request, socket, head);
  });
  // faye's engine, as the real faye transport reaches it (adapters/faye/faye-internals.ts): it
  // publishes without an in-process client, and ends the sessions (and their timers) at stop.
  const engine = (
    bayeux as unknown as {
      _server: {
        _engine: {
          publish(message: { channel: string; data: unknown }): void;
          destroyClient(clientId: string): void;
        };
      };
    }
  )._server._engine;
  const sessions = new Set<string>();
  bayeux.on("handshake", (clientId) => sessions.add(clientId));
  bayeux.on("disconnect", (clientId) => sessions.delete(clientId));
  bayeux.addExtension({
    incoming(message: Message, _request: unknown, callback: (message: Message) => void) {
      callback(message);
      const match = /^\/actionwire\/in\/(.+)$/.exec(message.channel);
      if (match === null) return;
      const frame = message.data as { event: string; params: Record<string, unknown> };
      seen.frames.push(frame);
      const answer =
        frame.event === "hello"
          ? WELCOME
          : {
              context: "response",
              messageId: (frame as { messageId?: string }).messageId,
              data: {},
            };
      engine.publish({ channel: outChannel(match[1]!), data: answer });
    },
  });
  const url = await listen(http);
  return {
    url,
    stop: async () => {
      for (const clientId of sessions) engine.destroyClient(clientId);
      bayeux.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

const KINDS: Array<{
  label: string;
  start: (seen: Seen) => Promise<{ url: string; stop(): Promise<void> }>;
  options: Partial<ClientOptions>;
}> = [
  {
    label: "socketio (websocket)",
    start: socketIoServer,
    options: { transport: "socketio", socketio: { transports: ["websocket"] } },
  },
  {
    label: "socketio (polling)",
    start: socketIoServer,
    options: { transport: "socketio", socketio: { transports: ["polling"] } },
  },
  { label: "faye (websocket)", start: fayeServer, options: { transport: "faye" } },
  {
    label: "faye (long-polling)",
    start: fayeServer,
    options: { transport: "faye", faye: { disable: ["websocket"] } },
  },
];

for (const kind of KINDS)
  describe(`ActionwireClient hello over ${kind.label}`, () => {
    it("announces the hello (hello=1 on every request) and sends it first, with auth", async () => {
      const seen: Seen = { urls: [], frames: [] };
      const server = await kind.start(seen);
      const c = new ActionwireClient({
        url: server.url,
        reconnect: false,
        auth: () => ({ token: "secret" }),
        ...kind.options,
      });
      try {
        await c.connect();
        expect(seen.frames[0]).to.deep.equal({
          event: "hello",
          params: { auth: { token: "secret" } },
        });
        expect(seen.frames.map((f) => f.event)).to.deep.equal(["hello", "detailsView"]);
        expect(seen.urls).not.to.deep.equal([]);
        for (const url of seen.urls) expect(url).to.match(/[?&]hello=1(&|$)/);
        if (kind.label === "faye (websocket)") {
          expect(seen.urls.some((url) => url.startsWith("upgrade "))).to.equal(true);
        }
      } finally {
        c.disconnect();
        await server.stop();
      }
    });
  });
