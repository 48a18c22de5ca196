import { expect } from "chai";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";

describe("browser client files", () => {
  let server: ActionwireServer;
  const start = async (config: ActionwireConfig) => {
    server = await startDemoServer(config);
    return server;
  };
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers });

  afterEach(async () => {
    await server.stop();
  });

  it("lists the transports a page can use, best first, with their paths", async () => {
    await start({ transports: ["ws", "socketio", "faye", "tcp"], tcp: { port: 0 } });
    const response = await get("/actionwire/transports");
    expect(response.status).to.equal(200);
    expect(response.headers.get("cache-control")).to.equal("no-store");
    expect(await response.json()).to.deep.equal({
      transports: [
        { name: "faye", path: "/faye" },
        { name: "socketio", path: "/socket.io" },
        { name: "ws", path: "/ws" },
      ],
    });
  });

  it("lists configured paths, and only the transports that run", async () => {
    await start({
      transports: ["ws", "faye"],
      ws: { path: "/live" },
      faye: { mount: "/bayeux" },
    });
    expect(await (await get("/actionwire/transports")).json()).to.deep.equal({
      transports: [
        { name: "faye", path: "/bayeux" },
        { name: "ws", path: "/live" },
      ],
    });
  });

  for (const [path, map, kind] of [
    ["/actionwire/client.js", "client.js.map", "script"],
    ["/actionwire/client.mjs", "client.mjs.map", "module"],
    ["/public/javascript/actionHeroWebSocket.js", "actionHeroWebSocket.js.map", "script"],
  ] as const) {
    it(`serves ${path} (a ${kind}) with its source map and an etag`, async () => {
      await start({ transports: ["ws"] });
      const response = await get(path);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.equal("text/javascript; charset=utf-8");
      const body = await response.text();
      expect(body.trimEnd().endsWith(`//# sourceMappingURL=${map}`)).to.equal(true);
      if (kind === "module") expect(body).to.match(/export\{/);
      const etag = response.headers.get("etag")!;
      expect((await get(path, { "if-none-match": etag })).status).to.equal(304);
      const sourceMap = (await (await get(path.replace(/[^/]+$/, map))).json()) as {
        version: number;
        sources: string[];
        sourcesContent: string[];
      };
      expect(sourceMap.version).to.equal(3);
      expect(sourceMap.sources).to.include("../../src/client/actionwire-client.ts");
      expect(sourceMap.sourcesContent).to.have.length(sourceMap.sources.length);
    });
  }

  it("serves the demo page with the client from a moved browserClient.path", async () => {
    await start({ transports: ["ws"], demoPage: true, browserClient: { path: "/rt" } });
    const page = await (await get("/")).text();
    expect(page).to.include('<script src="/rt/client.js"></script>');
    expect(page).not.to.include('/actionwire/client.js"');
    expect((await get("/rt/client.js")).status).to.equal(200);
  });

  it("answers 404 under /actionwire for anything else, and 405 to other methods", async () => {
    await start({ transports: ["ws"] });
    expect((await get("/actionwire/nothing")).status).to.equal(404);
    const post = await fetch(`${server.url}/actionwire/client.js`, { method: "POST" });
    expect(post.status).to.equal(405);
  });
});
