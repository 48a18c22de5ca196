import { expect } from "chai";
import type { FastifyInstance } from "fastify";
import { createClient } from "actionwire/client";
import type { ActionwireServer } from "actionwire";
import { createApp } from "./app.js";

describe("example: actionwire inside a Fastify app", () => {
  let app: FastifyInstance;
  let realtime: ActionwireServer;
  let base: string;

  beforeEach(async () => {
    ({ app, realtime } = await createApp());
    base = await app.listen({ port: 0, host: "127.0.0.1" });
  });

  afterEach(async () => {
    await realtime.stop();
    await app.close();
  });

  it("keeps Fastify's routes, and serves actions on its own paths", async () => {
    expect(await (await fetch(`${base}/hello`)).json()).to.deep.equal({ from: "fastify" });
    expect(await (await fetch(`${base}/realtime/api/greet`)).json()).to.deep.equal({
      greeting: "hello, world",
    });
    for (const [transport, options] of [
      ["ws", { path: "/realtime/ws" }],
      ["socketio", { socketio: { path: "/realtime/socket.io" } }],
    ] as const) {
      const client = createClient({ url: base, transport, reconnect: false, ...options });
      await client.connect();
      expect((await client.action("greet", { name: "fastify" })).greeting).to.equal(
        "hello, fastify",
      );
      client.disconnect();
    }
    expect((await fetch(`${base}/nothing`)).status).to.equal(404); // Fastify's own 404
  });

  it("serves the browser client on its path, and leaves /actionwire and the seeds' path to Fastify", async () => {
    expect((await fetch(`${base}/realtime/client.mjs`)).status).to.equal(200);
    for (const path of [
      "/actionwire/client.js",
      "/actionwire/foo",
      "/public/javascript/actionHeroWebSocket.js",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).to.equal(404);
      expect(await response.json()).to.include({ message: `Route GET:${path} not found` });
    }
  });

  it("stopping actionwire leaves Fastify running", async () => {
    await realtime.stop();
    expect(await (await fetch(`${base}/hello`)).json()).to.deep.equal({ from: "fastify" });
  });

  it("closing Fastify stops actionwire", async () => {
    const client = createClient({ url: base, path: "/realtime/ws", reconnect: false });
    await client.connect();
    const disconnected = new Promise<string>((resolve) => client.on("disconnected", resolve));
    await app.close();
    expect(await disconnected).to.equal("server shutdown");
  });
});
