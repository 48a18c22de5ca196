import { expect } from "chai";
import express from "express";
import Fastify from "fastify";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "../../src/client/index.js";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";

const greet = defineAction({ name: "greet", run: () => ({ greeting: "hello" }) });

/** A host application with actionwire embedded, and how to tell the host's own 404. */
interface Host {
  base: string;
  realtime: ActionwireServer;
  /** Whether a response is the host's own 404 (not actionwire's). */
  isOwn404(response: Response, path: string): Promise<boolean>;
  close(): Promise<void>;
}

const HOSTS: Record<string, (config: ActionwireConfig) => Promise<Host>> = {
  "Express 5": async (config) => {
    const app = express();
    app.get("/hello", (_req, res) => {
      res.json({ from: "express" });
    });
    const http: Server = createHttpServer(app);
    const realtime = await createServer({ server: http, ...config }).start();
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return {
      base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      realtime,
      // finalhandler's page: "Cannot GET /path".
      isOwn404: async (response, path) =>
        response.status === 404 && (await response.text()).includes(`Cannot GET ${path}`),
      close: async () => {
        await realtime.stop();
        await new Promise((resolve) => http.close(resolve));
      },
    };
  },
  "Fastify 5": async (config) => {
    const app = Fastify();
    app.get("/hello", async () => ({ from: "fastify" }));
    await app.ready();
    const realtime = await createServer({ server: app.server, ...config }).start();
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    return {
      base,
      realtime,
      isOwn404: async (response, path) =>
        response.status === 404 &&
        ((await response.json()) as { message?: string }).message === `Route GET:${path} not found`,
      close: async () => {
        await realtime.stop();
        await app.close();
      },
    };
  },
};

for (const [name, embed] of Object.entries(HOSTS))
  describe(`actionwire's paths on a ${name} app`, () => {
    let host: Host;
    const get = (path: string) => fetch(`${host.base}${path}`);

    afterEach(async () => {
      await host.close();
    });

    /** Asserts that every path answers 200 from actionwire and every other the host's 404. */
    async function expectPaths(served: string[], hostOwns: string[]): Promise<void> {
      for (const path of served) expect((await get(path)).status, path).to.equal(200);
      for (const path of hostOwns) {
        expect(await host.isOwn404(await get(path), path), `${path}: the host's 404`).to.equal(
          true,
        );
      }
      expect(await (await get("/hello")).json()).to.have.property("from");
    }

    it("serves its default paths exactly, and leaves the rest under /actionwire to the app", async () => {
      host = await embed({ transports: ["ws"], actions: [greet] });
      await expectPaths(
        [
          "/actionwire/client.js",
          "/actionwire/client.js.map",
          "/actionwire/client.mjs",
          "/actionwire/client.mjs.map",
          "/actionwire/transports",
          "/public/javascript/actionHeroWebSocket.js",
          "/public/javascript/actionHeroWebSocket.js.map",
          "/api/greet",
        ],
        ["/actionwire", "/actionwire/foo", "/actionwire/client.js/x", "/public/javascript/x.js"],
      );
    });

    it("moves the client files, the transports list, the seeds' script and /api", async () => {
      host = await embed({
        transports: ["ws"],
        ws: { path: "/rt/ws" },
        actions: [greet],
        browserClient: { path: "/rt/aw/", seedScript: "/js/ah.js" },
        httpActions: { path: "/rt/api" },
      });
      await expectPaths(
        [
          "/rt/aw/client.js",
          "/rt/aw/client.mjs.map",
          "/rt/aw/transports",
          "/js/ah.js",
          "/rt/api/greet",
        ],
        [
          "/actionwire/client.js",
          "/actionwire/transports",
          "/public/javascript/actionHeroWebSocket.js",
          "/api/greet",
          "/rt/aw/foo",
        ],
      );
      expect(await (await get("/rt/aw/transports")).json()).to.deep.equal({
        transports: [{ name: "ws", path: "/rt/ws" }],
      });
      // transport: "auto" finds the moved list with transportsPath.
      const client = createClient({
        url: host.base,
        transport: "auto",
        transportsPath: "/rt/aw/transports",
        reconnect: false,
      });
      await client.connect();
      expect(client.transport).to.equal("ws");
      expect((await client.action("greet")).greeting).to.equal("hello");
      client.disconnect();
    });

    it("turns the client files, the seeds' script and /api off", async () => {
      host = await embed({
        transports: ["ws"],
        actions: [greet],
        browserClient: { enabled: false },
        httpActions: { enabled: false },
      });
      await expectPaths(
        [],
        [
          "/actionwire/client.js",
          "/actionwire/transports",
          "/public/javascript/actionHeroWebSocket.js",
          "/api/greet",
        ],
      );
    });

    it("turns the seeds' script alone off", async () => {
      host = await embed({ transports: ["ws"], browserClient: { seedScript: false } });
      await expectPaths(["/actionwire/client.js"], ["/public/javascript/actionHeroWebSocket.js"]);
    });
  });
