import { expect } from "chai";
import { Redis } from "ioredis";
import { ActionwireError, ConfigError } from "../../src/core/errors.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { RedisProcess } from "../helpers/redis-process.js";
import { type Message, WsTestClient } from "../helpers/ws-test-client.js";

const TOKEN = "admin-token-for-the-tests-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const TIMING = { heartbeatMs: 100, nodeTimeoutMs: 600 };

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request to the admin API (`path` under `/actionwire/admin/api`). */
async function api(
  server: ActionwireServer,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Reply> {
  const response = await fetch(`${server.url}/actionwire/admin/api${path}`, {
    ...init,
    headers: { ...AUTH, ...init.headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const disconnect = (
  server: ActionwireServer,
  body: unknown,
  headers: Record<string, string> = {},
) =>
  api(server, "/disconnect", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const rooms = (reply: Reply) =>
  (reply.body.rooms as Array<{ name: string; members: number }>).map((r) => [r.name, r.members]);

describe("admin page: the JSON API", function () {
  this.timeout(20_000);
  let servers: ActionwireServer[] = [];
  let clients: WsTestClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    const server = await startDemoServer({
      transports: ["ws"],
      admin: { token: TOKEN },
      ...config,
    });
    servers.push(server);
    return server;
  };
  const connect = async (server: ActionwireServer, query = "") => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws${query}`);
    clients.push(client);
    return client;
  };
  const idOf = async (client: WsTestClient) =>
    ((await client.request("detailsView")).data as { id: string }).id;

  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    clients = [];
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
  });

  it("is off by default, and refuses to start on without a token or an authorize hook", async () => {
    const off = await start({ admin: undefined });
    expect((await api(off, "/overview")).status).to.equal(404);
    const page = await fetch(`${off.url}/actionwire/admin`);
    expect(page.status).to.equal(404);
    for (const admin of [true, { enabled: true }, { path: "/ops" }]) {
      expect(() => createServer({ port: 0, admin })).to.throw(
        ConfigError,
        "config.admin is on without protection: give it a token (admin.token, 16 characters or more) or an authorize hook (admin.authorize), or turn it off.",
      );
    }
    expect(() => createServer({ port: 0, admin: { token: "short" } })).to.throw(
      ConfigError,
      "config.admin.token must be at least 16 characters long.",
    );
    expect(() => createServer({ port: 0, admin: { token: TOKEN, path: "/a/../b" } })).to.throw(
      ConfigError,
      "config.admin.path must be an absolute path of plain segments (/a/b).",
    );
  });

  it("answers 401 without the token (with WWW-Authenticate), 403 with a wrong one, 200 with it", async () => {
    const server = await start();
    const missing = await api(server, "/overview", { headers: { authorization: "" } });
    expect(missing.status).to.equal(401);
    expect(missing.headers.get("www-authenticate")).to.equal('Bearer realm="actionwire admin"');
    expect(missing.body).to.deep.equal({
      code: "ERR_UNAUTHENTICATED",
      error: "the admin API needs its token: Authorization: Bearer <admin.token>",
    });
    const basic = await api(server, "/overview", { headers: { authorization: "Basic eDp5" } });
    expect(basic.status).to.equal(401);
    for (const wrong of [`${TOKEN}x`, "x", TOKEN.slice(0, -1)]) {
      const refused = await api(server, "/rooms", {
        headers: { authorization: `Bearer ${wrong}` },
      });
      expect(refused.status).to.equal(403);
      expect(refused.body).to.deep.equal({
        code: "ERR_NOT_AUTHORIZED",
        error: "wrong admin token",
      });
    }
    const refusedPost = await disconnect(server, { id: "x" }, { authorization: "Bearer nope" });
    expect(refusedPost.status).to.equal(403);
    expect((await api(server, "/overview")).status).to.equal(200);
    // The page holds no data: a browser's navigation carries no bearer token.
    const page = await fetch(`${server.url}/actionwire/admin`);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.equal("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).to.match(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-/);
    expect(csp).to.include("connect-src 'self'");
    expect(await page.text()).to.include('content="/actionwire/admin/api"');
  });

  it("asks an authorize hook (async, or throwing a coded error), for the page too", async () => {
    const server = await start({
      admin: {
        path: "/ops/admin",
        authorize: async (request) => {
          const who = request.headers["x-who"];
          if (who === "mallory")
            throw new ActionwireError("ERR_NOT_AUTHORIZED", "mallory is banned");
          if (who === "broken") throw new Error("the session store is down");
          return who === "ada";
        },
      },
    });
    const get = (path: string, who?: string) =>
      fetch(`${server.url}/ops/admin${path}`, {
        headers: who === undefined ? {} : { "x-who": who },
      }).then(async (r) => ({ status: r.status, body: (await r.text()).slice(0, 200) }));
    expect((await get("/api/overview", "ada")).status).to.equal(200);
    expect((await get("", "ada")).status).to.equal(200);
    expect(await get("", "bob")).to.deep.equal({
      status: 403,
      body: JSON.stringify({
        code: "ERR_NOT_AUTHORIZED",
        error: "not authorized to use the admin page",
      }),
    });
    expect((await get("/api/overview")).status).to.equal(403);
    expect(await get("/api/overview", "mallory")).to.deep.equal({
      status: 403,
      body: JSON.stringify({ code: "ERR_NOT_AUTHORIZED", error: "mallory is banned" }),
    });
    expect((await get("/api/overview", "broken")).status).to.equal(403);
    expect((await fetch(`${server.url}/actionwire/admin/api/overview`)).status).to.equal(404);
  });

  it("with both, needs the token and the hook", async () => {
    const server = await start({ admin: { token: TOKEN, authorize: () => false } });
    expect((await api(server, "/overview")).status).to.equal(403);
    expect((await api(server, "/overview", { headers: { authorization: "" } })).status).to.equal(
      401,
    );
  });

  it("rejects bad input with 400 and a coded error", async () => {
    const server = await start();
    const cases: Array<[string, string, string]> = [
      ["/rooms?limit=0", "ERR_INVALID_PARAM", "limit must be an integer from 1 to 100"],
      ["/rooms?limit=101", "ERR_INVALID_PARAM", "limit must be an integer from 1 to 100"],
      ["/rooms?limit=1.5", "ERR_INVALID_PARAM", "limit must be an integer from 1 to 100"],
      ["/rooms?limit=abc", "ERR_INVALID_PARAM", "limit must be an integer from 1 to 100"],
      ["/rooms?sort=size", "ERR_INVALID_PARAM", "sort must be one of members, name"],
      ["/rooms?match=regex", "ERR_INVALID_PARAM", "match must be one of substring, prefix"],
      [
        "/rooms?q=" + "x".repeat(201),
        "ERR_INVALID_PARAM",
        "q must be 1 to 200 characters, with no control characters",
      ],
      [
        "/rooms?q=a%00b",
        "ERR_INVALID_PARAM",
        "q must be 1 to 200 characters, with no control characters",
      ],
      ["/rooms?limit=1&limit=2", "ERR_INVALID_PARAM", "limit is given more than once"],
      ["/rooms?page=2", "ERR_INVALID_PARAM", "unknown parameter page"],
      [
        "/rooms?cursor=garbage",
        "ERR_INVALID_PARAM",
        "cursor is not one this API gave for this sort",
      ],
      [
        `/rooms?sort=members&cursor=${Buffer.from(JSON.stringify({ sort: "name", after: "a" })).toString("base64url")}`,
        "ERR_INVALID_PARAM",
        "cursor is not one this API gave for this sort",
      ],
      [
        `/rooms?cursor=${Buffer.from(JSON.stringify({ sort: "members", offset: 5000 })).toString("base64url")}`,
        "ERR_INVALID_PARAM",
        "cursor is not one this API gave for this sort",
      ],
      ["/overview?x=1", "ERR_INVALID_PARAM", "unknown parameter x"],
      ["/connections", "ERR_MISSING_PARAM", "give exactly one of id and user"],
      ["/connections?id=a&user=b", "ERR_MISSING_PARAM", "give exactly one of id and user"],
      [
        "/connections?id=" + "a".repeat(101),
        "ERR_INVALID_PARAM",
        "id must be 1 to 100 characters, with no control characters",
      ],
      [
        "/connections?user=ada&limit=1000",
        "ERR_INVALID_PARAM",
        "limit must be an integer from 1 to 100",
      ],
    ];
    for (const [path, code, error] of cases) {
      const reply = await api(server, path);
      expect({ path, status: reply.status, body: reply.body }).to.deep.equal({
        path,
        status: 400,
        body: { code, error },
      });
    }
    expect((await api(server, "/nothing")).status).to.equal(404);
    const post = await api(server, "/overview", { method: "POST" });
    expect(post.status).to.equal(405);
    expect(post.headers.get("allow")).to.equal("GET, HEAD");
    const get = await api(server, "/disconnect?x=1");
    expect(get.status).to.equal(405);
    expect(get.headers.get("allow")).to.equal("POST");
    const form = await api(server, "/disconnect", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "id=x",
    });
    expect(form.body).to.deep.equal({
      code: "ERR_UNSUPPORTED_MEDIA_TYPE",
      error: "send the body as application/json",
    });
    expect(form.status).to.equal(415);
    const notJson = await api(server, "/disconnect", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect([notJson.status, notJson.body.code]).to.deep.equal([400, "ERR_BAD_MESSAGE"]);
    const big = await disconnect(server, { id: "x", reason: "y".repeat(5000) });
    expect([big.status, big.body.code]).to.deep.equal([413, "ERR_MESSAGE_TOO_LARGE"]);
    expect((await disconnect(server, {})).body).to.deep.equal({
      code: "ERR_MISSING_PARAM",
      error: "id is missing",
    });
    expect((await disconnect(server, { id: 5 })).body.code).to.equal("ERR_INVALID_PARAM");
    expect((await disconnect(server, { id: "x", reason: "" })).body.code).to.equal(
      "ERR_INVALID_PARAM",
    );
    expect((await disconnect(server, { id: "x", why: "y" })).body).to.deep.equal({
      code: "ERR_INVALID_PARAM",
      error: "unknown field why",
    });
    expect((await disconnect(server, ["x"])).body.code).to.equal("ERR_BAD_MESSAGE");
    expect(await disconnect(server, { id: "no-such-connection" })).to.deep.include({
      status: 404,
      body: {
        code: "ERR_NOT_FOUND",
        error: "no live node holds the connection no-such-connection",
      },
    });
  });

  it("shows the node's connections, rooms, action latency and errors after known traffic", async () => {
    const server = await start({ nodeId: "admin-one" });
    const inX = await Promise.all([1, 2, 3].map(() => connect(server)));
    for (const client of inX) await client.request("roomChange", { room: "X" });
    const lone = await connect(server);
    await lone.action("echo", { message: "hi" });
    await lone.action("echo", { message: "hi" });
    await lone.action("noSuchAction");
    await lone.action("noSuchAction");
    const { status, body } = await api(server, "/overview");
    expect(status).to.equal(200);
    const totals = body.totals as Record<string, unknown>;
    expect(totals).to.deep.include({
      nodes: 1,
      answered: 1,
      connections: 4,
      byTransport: { ws: 4 },
      errors: { ERR_UNKNOWN_ACTION: 2 },
      recentErrors: { ERR_UNKNOWN_ACTION: 2 },
    });
    expect(body.partial).to.equal(false);
    const [node] = body.nodes as Array<Record<string, unknown>>;
    expect(node).to.deep.include({ nodeId: "admin-one", status: "ok", rooms: 2 });
    expect(node!.connections).to.deep.equal({ ws: 4 });
    const latency = totals.latency as { count: number; p50: number; p99: number };
    expect(latency.count).to.equal(2);
    expect(latency.p50).to.be.a("number").above(0);
    expect((node!.series as { received: number[] }).received).to.have.length(59);
    const page = await api(server, "/rooms");
    expect(rooms(page)).to.deep.equal([
      ["X", 3],
      ["defaultRoom", 1],
    ]);
    expect(page.body).to.deep.include({ next: null, partial: false, matched: 2 });
  });

  it("pages rooms by members and by name, and searches by prefix or substring", async () => {
    const server = await start();
    // Room "r<i>" gets i % 4 + 1 members: 12 rooms, 30 connections.
    const wanted: Array<[string, number]> = [];
    for (let i = 0; i < 12; i++) {
      const room = `r${String(i).padStart(2, "0")}`;
      wanted.push([room, (i % 4) + 1]);
      for (let m = 0; m <= i % 4; m++) {
        const client = await connect(server);
        await client.request("roomChange", { room });
      }
    }
    const byMembers = [...wanted].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const seen: unknown[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const reply = await api(server, `/rooms?limit=5${cursor === "" ? "" : `&cursor=${cursor}`}`);
      expect(reply.status).to.equal(200);
      seen.push(...rooms(reply));
      cursor = reply.body.next as string | null;
      pages++;
    }
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(byMembers);
    const byName: unknown[] = [];
    cursor = "";
    while (cursor !== null) {
      const reply = await api(
        server,
        `/rooms?sort=name&limit=4${cursor === "" ? "" : `&cursor=${cursor}`}`,
      );
      byName.push(...rooms(reply));
      cursor = reply.body.next as string | null;
    }
    expect(byName).to.deep.equal(wanted);
    expect(rooms(await api(server, "/rooms?q=r0&match=prefix&sort=name"))).to.deep.equal(
      wanted.slice(0, 10),
    );
    expect(rooms(await api(server, "/rooms?q=1&sort=name"))).to.deep.equal([
      ["r01", 2],
      ["r10", 3],
      ["r11", 4],
    ]);
    expect(rooms(await api(server, "/rooms?q=r1&match=prefix"))).to.deep.equal([
      ["r11", 4],
      ["r10", 3],
    ]);
  });

  it("looks a connection up by id and by user, and disconnects it with a coded goodbye", async () => {
    const server = await start({
      authenticate: (connection) => {
        const user = new URL(connection.request?.url ?? "/", "http://x").searchParams.get("user");
        return user === null ? true : { user };
      },
    });
    const ada1 = await connect(server, "?user=ada");
    const ada2 = await connect(server, "?user=ada");
    const bob = await connect(server, "?user=bob");
    await ada2.request("roomChange", { room: "lounge" });
    await ada2.request("listenToRoom", { room: "news" });
    const adaId = await idOf(ada2);
    const byId = await api(server, `/connections?id=${adaId}`);
    expect(byId.status).to.equal(200);
    const [found] = byId.body.connections as Array<Record<string, unknown>>;
    expect(found).to.deep.include({
      id: adaId,
      nodeId: server.config.nodeId,
      transport: "ws",
      state: "open",
      remoteIP: "127.0.0.1",
      user: "ada",
      room: "lounge",
      listeningRooms: ["news"],
      listeningCount: 1,
    });
    expect(found!.connectedAt).to.be.a("number");
    const ada = await api(server, "/connections?user=ada");
    expect((ada.body.connections as Array<{ id: string }>).map((c) => c.id)).to.have.members([
      await idOf(ada1),
      adaId,
    ]);
    const capped = await api(server, "/connections?user=ada&limit=1");
    expect(capped.body.connections).to.have.length(1);
    expect(capped.body.more).to.equal(true);
    expect((await api(server, "/connections?user=carol")).body.connections).to.deep.equal([]);

    const bobId = await idOf(bob);
    const done = await disconnect(server, { id: bobId, reason: "spamming the lounge" });
    expect(done).to.deep.include({ status: 200, body: { disconnected: true, id: bobId } });
    const goodbye: Message = await bob.next((m) => m.status === "Bye!");
    expect(goodbye).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "disconnected by server",
      code: "ERR_DISCONNECTED_BY_ADMIN",
      error: "spamming the lounge",
    });
    await bob.closed;
    expect((await disconnect(server, { id: bobId })).status).to.equal(404);
    expect((await api(server, `/connections?id=${bobId}`)).body.connections).to.deep.equal([]);
  });

  it("serves on a listener of its own with admin.port", async () => {
    const server = await start({ admin: { token: TOKEN, port: 0, host: "127.0.0.1" } });
    expect((await api(server, "/overview")).status).to.equal(404);
    const url = server.adminUrl!;
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/actionwire\/admin$/);
    const response = await fetch(`${url}/api/overview`, { headers: AUTH });
    expect(response.status).to.equal(200);
    expect((await fetch(url.replace(/\/actionwire\/admin$/, "/else"))).status).to.equal(404);
  });
});

describe("admin page: two nodes over a real redis-server", function () {
  this.timeout(20_000);
  let redis: RedisProcess;
  let nodes: ActionwireServer[] = [];
  let clients: WsTestClient[] = [];

  const startNode = async (nodeId: string) => {
    const node = await startDemoServer({
      nodeId,
      transports: ["ws"],
      redis: { url: redis.url, ...TIMING },
      admin: { token: TOKEN, timeoutMs: 300 },
    });
    nodes.push(node);
    return node;
  };
  const connect = async (server: ActionwireServer, room: string) => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    await client.request("roomChange", { room });
    return client;
  };

  before(async () => {
    redis = await RedisProcess.start();
  });

  after(async () => {
    await redis.stop();
  });

  afterEach(async () => {
    for (const client of clients) client.socket.terminate();
    clients = [];
    await Promise.all(nodes.map((node) => node.stop()));
    nodes = [];
  });

  it("gathers every node, merges room counts, and looks up and disconnects across nodes", async () => {
    const a = await startNode("admin-a");
    const b = await startNode("admin-b");
    await connect(a, "X");
    await connect(a, "X");
    await connect(a, "onlyA");
    const onB = await connect(b, "X");
    await connect(b, "onlyB");
    await connect(b, "onlyB");
    const overview = await api(a, "/overview");
    const totals = overview.body.totals as Record<string, unknown>;
    expect(totals).to.deep.include({ nodes: 2, answered: 2, connections: 6 });
    const byNode = Object.fromEntries(
      (overview.body.nodes as Array<{ nodeId: string; status: string; connections: object }>).map(
        (n) => [n.nodeId, [n.status, n.connections]],
      ),
    );
    expect(byNode).to.deep.equal({ "admin-a": ["ok", { ws: 3 }], "admin-b": ["ok", { ws: 3 }] });
    expect(rooms(await api(a, "/rooms"))).to.deep.equal([
      ["X", 3],
      ["onlyB", 2],
      ["onlyA", 1],
    ]);
    expect(rooms(await api(b, "/rooms?sort=name&limit=2"))).to.deep.equal([
      ["X", 3],
      ["onlyA", 1],
    ]);
    // Ranked by members, one per page: the second page is the node-B-only room.
    const first = await api(a, "/rooms?limit=1");
    const second = await api(a, `/rooms?limit=1&cursor=${first.body.next as string}`);
    expect(rooms(second)).to.deep.equal([["onlyB", 2]]);

    const id = ((await onB.request("detailsView")).data as { id: string }).id;
    const found = await api(a, `/connections?id=${id}`);
    expect((found.body.connections as Array<Record<string, unknown>>)[0]).to.deep.include({
      id,
      nodeId: "admin-b",
      room: "X",
    });
    expect(await disconnect(a, { id })).to.deep.include({ status: 200 });
    expect(await onB.next((m) => m.status === "Bye!")).to.deep.include({
      reason: "disconnected by server",
      code: "ERR_DISCONNECTED_BY_ADMIN",
      error: "disconnected by an administrator",
    });
    await onB.closed;
  });

  it("shows a node that does not answer as such, within the timeout", async () => {
    const a = await startNode("admin-a");
    await connect(a, "X");
    // A node whose heartbeat is live and that hears its channel, but answers nothing (hung).
    const raw = new Redis(redis.url);
    const hung = new Redis(redis.url);
    try {
      await hung.subscribe("actionwire:node:hung-node%231");
      await raw.zadd("actionwire:nodes", Date.now() + 60_000, "hung-node#1");
      const overview = await api(a, "/overview");
      expect(overview.status).to.equal(200);
      expect(overview.body.partial).to.equal(true);
      expect(overview.body.nodes).to.deep.include({ nodeId: "hung-node", status: "no answer" });
      expect(overview.body.totals).to.deep.include({ nodes: 2, answered: 1, connections: 1 });
      const page = await api(a, "/rooms");
      expect(rooms(page)).to.deep.equal([["X", 1]]);
      expect(page.body).to.deep.include({
        partial: true,
        missing: [{ nodeId: "hung-node", status: "no answer" }],
      });
      // A node whose heartbeat is older than nodeTimeoutMs is dead: not asked, not listed.
      await raw.zadd("actionwire:nodes", 0, "stopped-node#2");
      expect((await api(a, "/overview")).body.totals).to.deep.include({ nodes: 2 });
    } finally {
      await raw.zrem("actionwire:nodes", "hung-node#1");
      raw.disconnect();
      hung.disconnect();
    }
  });
});
