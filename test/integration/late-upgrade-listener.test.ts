import { expect } from "chai";
import express from "express";
import { once } from "node:events";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import { connectSocketIo } from "../helpers/socketio-contract-client.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

/** Opens a WebSocket, sends `text`, and resolves with the first reply. */
async function echo(url: string, text: string): Promise<string> {
  const socket = new WebSocket(url);
  await once(socket, "open");
  socket.send(text);
  const [reply] = (await once(socket, "message")) as [Buffer];
  socket.close();
  await once(socket, "close");
  return reply.toString();
}

/** A WebSocket server of the application's that answers `echo:<text>`. */
function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0]): WebSocketServer {
  const server = new WebSocketServer(options);
  server.on("connection", (socket) =>
    socket.on("message", (data) => socket.send(`echo:${String(data)}`)),
  );
  return server;
}

describe("an upgrade listener the application adds to its server after start()", function () {
  let http: HttpServer;
  let base: string;
  let actionwire: ActionwireServer;
  const appServers: WebSocketServer[] = [];

  beforeEach(async () => {
    const app = express();
    app.get("/hello", (_req, res) => void res.send("app"));
    http = createHttpServer(app);
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    actionwire = await createServer({ server: http, transports: ["ws", "socketio"] }).start();
  });

  afterEach(async () => {
    await actionwire.stop();
    for (const server of appServers.splice(0)) server.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });

  /** actionwire's ws and socket.io (WebSocket) endpoints both answer. */
  async function actionwireAnswers(): Promise<void> {
    const client = await WsTestClient.connect(`${base}/ws`);
    expect((await client.request("roomView")).status).to.equal("OK");
    await client.close();
    const io = await connectSocketIo(base.replace(/^ws/, "http"), ["websocket"]);
    expect(io.welcome).to.include({ context: "api" });
    io.socket.disconnect();
  }

  it("routes a ws server attached with { server, path } to its path, and keeps actionwire's working", async () => {
    appServers.push(echoServer({ server: http, path: "/app" }));
    await actionwireAnswers();
    expect(await echo(`${base}/app`, "one")).to.equal("echo:one");
    expect(await echo(`${base}/app?x=1`, "two")).to.equal("echo:two");
  });

  it("routes the application's own upgrade listener (a noServer ws server on its path)", async () => {
    const own = echoServer({ noServer: true });
    appServers.push(own);
    http.on("upgrade", (request, socket, head) => {
      if (request.url !== "/own") return;
      own.handleUpgrade(request, socket, head, (ws) => own.emit("connection", ws, request));
    });
    await actionwireAnswers();
    expect(await echo(`${base}/own`, "three")).to.equal("echo:three");
  });

  it("gives the application its listener back when actionwire stops", async () => {
    appServers.push(echoServer({ server: http, path: "/app" }));
    await actionwire.stop();
    expect(http.listeners("upgrade")).to.have.length(1);
    expect(await echo(`${base}/app`, "four")).to.equal("echo:four");
  });
});
