/**
 * An Express app that already has its own server and routes, with actionwire added to it on
 * paths of its choosing: ws on /realtime/ws, socket.io on /realtime/socket.io, faye on
 * /realtime/faye, HTTP actions on /realtime/api, the browser client on /realtime/client.js and
 * its transports list on /realtime/transports, no seeds' script. Its own routes keep working.
 *
 *   node build/examples/express/app.js    (PORT, default 3000)
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer, defineAction, type ActionwireServer } from "actionwire";
import express from "express";

const greet = defineAction({
  name: "greet",
  description: "Says hello.",
  inputs: { name: { default: "world" } },
  run: ({ name }) => ({ greeting: `hello, ${name}` }),
});

/** Builds the app and its server, and adds actionwire to it (not listening yet). */
export async function createApp(): Promise<{ http: Server; realtime: ActionwireServer }> {
  const app = express();
  app.get("/hello", (_req, res) => {
    res.json({ from: "express" });
  });
  const http = createHttpServer(app);
  const realtime = await createServer({
    server: http,
    transports: ["ws", "socketio", "faye"],
    ws: { path: "/realtime/ws" },
    socketio: { path: "/realtime/socket.io" },
    faye: { mount: "/realtime/faye" },
    httpActions: { path: "/realtime/api" },
    browserClient: { path: "/realtime", seedScript: false },
    actions: [greet],
  }).start();
  return { http, realtime };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { http } = await createApp();
  const port = Number(process.env.PORT ?? 3000);
  http.listen(port, () => console.log(`express + actionwire on http://localhost:${port}/hello`));
}
