import { expect } from "chai";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

describe("health checks: /healthz and /readyz", function () {
  this.timeout(20_000);
  let servers: ActionwireServer[] = [];
  let clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    const server = createServer({ port: 0, host: "127.0.0.1", transports: ["ws"], ...config });
    servers.push(server);
    return server.start();
  };
  const get = async (server: ActionwireServer, path: string, method = "GET") => {
    const response = await fetch(`${server.url}${path}`, { method });
    const text = await response.text();
    return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as unknown) };
  };

  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    clients = [];
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
  });

  it("answers liveness and readiness while running, and refuses other methods", async () => {
    const server = await start({ nodeId: "health-a" });
    const live = await get(server, "/healthz");
    expect(live.status).to.equal(200);
    expect(live.body).to.include({ status: "ok", nodeId: "health-a" });
    expect(await get(server, "/readyz")).to.deep.equal({
      status: 200,
      body: { status: "ready", nodeId: "health-a" },
    });
    expect((await get(server, "/readyz", "HEAD")).status).to.equal(200);
    expect((await get(server, "/readyz", "POST")).status).to.equal(405);
  });

  it("takes its paths from config, and can be turned off", async () => {
    const moved = await start({ health: { livenessPath: "/live", readinessPath: "/ops/ready" } });
    expect((await get(moved, "/live")).status).to.equal(200);
    expect((await get(moved, "/ops/ready")).status).to.equal(200);
    expect((await get(moved, "/healthz")).status).to.equal(404);
    const off = await start({ health: { enabled: false } });
    expect((await get(off, "/healthz")).status).to.equal(404);
    expect((await get(off, "/readyz")).status).to.equal(404);
  });

  it("is not ready from the moment a graceful stop begins, before connections are told to go", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start({
      actions: [defineAction({ name: "held", run: async () => void (await gate) })],
    });
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    const reply = client.action("held");
    // The action is in flight once its frame is counted: a detailsView after it says so.
    const details = (await client.request("detailsView")).data as { pendingActions: number };
    expect(details.pendingActions).to.equal(1);
    const stopped = server.stop();
    expect(server.state).to.equal("stopping");
    expect(await get(server, "/readyz")).to.deep.equal({
      status: 503,
      body: { status: "stopping", nodeId: server.config.nodeId },
    });
    expect((await get(server, "/healthz")).status).to.equal(200);
    // Still connected, nothing said yet: the drain waits for the action.
    expect(client.inbox.received.some((m) => m.status === "Bye!")).to.equal(false);
    release();
    expect(await reply).to.include({ context: "response" });
    expect(await client.next()).to.include({ status: "Bye!", reason: "server shutdown" });
    await stopped;
  });

  describe("clustered", () => {
    let redis: RedisProcess;

    before(async () => {
      redis = await RedisProcess.start();
    });

    after(async () => {
      await redis.stop();
    });

    it("is ready while Redis answers, and not ready once it is gone", async () => {
      const server = await start({
        redis: { url: redis.url, heartbeatMs: 100, nodeTimeoutMs: 500 },
      });
      expect(await get(server, "/readyz")).to.deep.equal({
        status: 200,
        body: { status: "ready", nodeId: server.config.nodeId, redis: "reachable" },
      });
      await redis.stop();
      expect(await get(server, "/readyz")).to.deep.equal({
        status: 503,
        body: { status: "unready", nodeId: server.config.nodeId, redis: "unreachable" },
      });
      expect((await get(server, "/healthz")).status).to.equal(200);
      await redis.restart();
    });
  });
});
