import { expect } from "chai";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "actionwire/client";
import type { ActionwireServer } from "actionwire";
import { createApp } from "./app.js";

describe("example: actionwire inside an Express app", () => {
  let http: Server;
  let realtime: ActionwireServer;
  let base: string;

  beforeEach(async () => {
    ({ http, realtime } = await createApp());
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await realtime.stop();
    if (http.listening) await new Promise((resolve) => http.close(resolve));
  });

  it("keeps the app's own routes, and serves actions over every transport on its paths", async () => {
    expect(await (await fetch(`${base}/hello`)).json()).to.deep.equal({ from: "express" });
    expect(await (await fetch(`${base}/realtime/api/greet?name=express`)).json()).to.deep.equal({
      greeting: "hello, express",
    });
    for (const [transport, options] of [
      ["ws", { path: "/realtime/ws" }],
      ["socketio", { socketio: { path: "/realtime/socket.io" } }],
      ["faye", { faye: { mount: "/realtime/faye" } }],
    ] as const) {
      const client = createClient({ url: base, transport, reconnect: false, ...options });
      await client.connect();
      expect((await client.action("greet")).greeting).to.equal("hello, world");
      client.disconnect();
    }
    expect((await fetch(`${base}/nothing`)).status).to.equal(404); // Express's own 404
  });

  it("serves the browser client on its path, and leaves /actionwire and the seeds' path to Express", async () => {
    expect((await fetch(`${base}/realtime/client.js`)).status).to.equal(200);
    expect(await (await fetch(`${base}/realtime/transports`)).json()).to.deep.equal({
      transports: [
        { name: "faye", path: "/realtime/faye" },
        { name: "socketio", path: "/realtime/socket.io" },
        { name: "ws", path: "/realtime/ws" },
      ],
    });
    for (const path of [
      "/actionwire/client.js",
      "/actionwire/foo",
      "/public/javascript/actionHeroWebSocket.js",
      "/api/greet",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).to.equal(404);
      expect(await response.text()).to.include(`Cannot GET ${path}`); // Express's own 404
    }
  });

  it("stopping actionwire leaves the app running", async () => {
    await realtime.stop();
    expect(http.listening).to.equal(true);
    expect(await (await fetch(`${base}/hello`)).json()).to.deep.equal({ from: "express" });
  });

  it("closing the app's server stops actionwire", async () => {
    const client = createClient({ url: base, path: "/realtime/ws", reconnect: false });
    await client.connect();
    const disconnected = new Promise<string>((resolve) => client.on("disconnected", resolve));
    http.close();
    expect(await disconnected).to.equal("server shutdown");
    expect(realtime.connectionCount).to.equal(0);
  });
});
