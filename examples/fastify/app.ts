/**
 * A Fastify app with actionwire added to the server Fastify already has, on paths of its
 * choosing, all under /realtime (the browser client too; no seeds' script). Fastify keeps its
 * own routes; actionwire answers only its paths.
 *
 *   node build/examples/fastify/app.js    (PORT, default 3000)
 */
import { createServer, defineAction, type ActionwireServer } from "actionwire";
import Fastify, { type FastifyInstance } from "fastify";

const greet = defineAction({
  name: "greet",
  description: "Says hello.",
  inputs: { name: { default: "world" } },
  run: ({ name }) => ({ greeting: `hello, ${name}` }),
});

/** Builds the Fastify app and adds actionwire to its server (not listening yet). */
export async function createApp(): Promise<{ app: FastifyInstance; realtime: ActionwireServer }> {
  const app = Fastify();
  app.get("/hello", async () => ({ from: "fastify" }));
  await app.ready();
  const realtime = await createServer({
    server: app.server,
    transports: ["ws", "socketio"],
    ws: { path: "/realtime/ws" },
    socketio: { path: "/realtime/socket.io" },
    httpActions: { path: "/realtime/api" },
    browserClient: { path: "/realtime", seedScript: false },
    actions: [greet],
  }).start();
  return { app, realtime };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createApp();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen({ port, host: "0.0.0.0" });
  console.log(`fastify + actionwire on http://localhost:${port}/hello`);
}
