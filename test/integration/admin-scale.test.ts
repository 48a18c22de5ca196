import { expect } from "chai";
import { get as httpGet } from "node:http";
import type { InProcessClient, InProcessTransport } from "../../src/core/in-process-transport.js";
import type { ServerMessage } from "../../src/core/prepared-message.js";
import { type ActionwireServer, createServer } from "../../src/server/actionwire-server.js";

const TOKEN = "admin-token-for-the-scale-test-0123";
/** Connections at full size (ADMIN_SCALE_CONNECTIONS overrides, for a quicker local run). */
const CONNECTIONS = Number(process.env.ADMIN_SCALE_CONNECTIONS ?? 100_000);
const ROOMS = CONNECTIONS / 20;
const USERS = 100;

/** A JSON value with every number and string blanked: what stays when only values change. */
function shape(value: unknown): unknown {
  if (typeof value === "number") return 0;
  if (typeof value === "string") return "";
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, shape(v)]));
  }
  return value;
}

/**
 * The admin API with 100,000 in-process connections in 5,000 rooms: every answer stays the
 * same size as with 1,000 (lists are paged and capped, counts are aggregates), and the counts
 * are right.
 */
describe("admin page at 100,000 connections (in-process)", function () {
  this.timeout(300_000);
  let server: ActionwireServer;
  let transport: InProcessTransport;
  const clients: InProcessClient[] = [];
  let opened = 0;

  /** A request on a connection of its own (a kept-alive one may time out while the test grows). */
  const get = async (path: string) => {
    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const request = httpGet(
          `${server.url}/actionwire/admin/api${path}`,
          { agent: false, headers: { authorization: `Bearer ${TOKEN}` } },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
          },
        );
        request.on("error", reject);
      },
    );
    expect(status, text).to.equal(200);
    return { bytes: Buffer.byteLength(text), body: JSON.parse(text) as Record<string, unknown> };
  };

  /** Opens connections until there are `count`, each joining room `room<i % ROOMS>`. */
  const grow = async (count: number) => {
    while (opened < count) {
      const batch: Array<Promise<ServerMessage>> = [];
      for (let n = 0; n < 1_000 && opened < count; n++, opened++) {
        const client = transport.connect();
        clients.push(client);
        client.send({
          event: "roomChange",
          params: { room: `room${opened % ROOMS}` },
          messageId: 1,
        });
        // A refused connection gets a goodbye instead: the test fails on it, not hangs.
        batch.push(
          client.next(
            (m) => (m.context === "response" && m.messageId === 1) || m.status === "Bye!",
          ),
        );
      }
      for (const reply of await Promise.all(batch)) {
        expect(reply).to.include({ context: "response" }).and.not.have.property("error");
      }
    }
  };

  before(async () => {
    let next = 0;
    server = createServer({
      transports: ["inprocess"],
      port: 0,
      host: "127.0.0.1",
      defaultRoom: null,
      limits: { maxConnections: CONNECTIONS + 1_000 },
      roomNotices: false,
      admin: { token: TOKEN },
      authenticate: () => ({ user: `user${next++ % USERS}` }),
    });
    await server.start();
    transport = server.transport<InProcessTransport>("inprocess");
  });

  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  it("answers the same sizes at 1,000 and at 100,000 connections, with the right counts", async () => {
    await grow(1_000);
    const small = {
      overview: await get("/overview"),
      rooms: await get("/rooms?limit=100"),
      search: await get("/rooms?q=room1&limit=100&sort=name"),
      user: await get("/connections?user=user7&limit=100"),
    };
    const started = process.hrtime.bigint();
    await grow(CONNECTIONS);
    const grownMs = Number(process.hrtime.bigint() - started) / 1e6;
    const large = {
      overview: await get("/overview"),
      rooms: await get("/rooms?limit=100"),
      search: await get("/rooms?q=room1&limit=100&sort=name"),
      user: await get("/connections?user=user7&limit=100"),
    };
    const totals = large.overview.body.totals as { connections: number; byTransport: object };
    expect(totals.connections).to.equal(CONNECTIONS);
    expect(totals.byTransport).to.deep.equal({ inprocess: CONNECTIONS });
    const top = large.rooms.body.rooms as Array<{ name: string; members: number }>;
    expect(top).to.have.length(100);
    expect(top.every((room) => room.members === 20)).to.equal(true);
    expect(large.rooms.body.matched).to.equal(ROOMS);
    expect(large.search.body.rooms).to.have.length(100);
    expect(large.search.body.next).to.be.a("string");
    const perUser = CONNECTIONS / USERS;
    expect(large.user.body.connections).to.have.length(Math.min(perUser, 100));
    expect(large.user.body.more).to.equal(perUser > 100);
    const sizes = Object.fromEntries(
      Object.entries(large).map(([name, reply]) => [
        name,
        { at1000: small[name as keyof typeof small].bytes, atFull: reply.bytes },
      ]),
    );
    // The same structure at both sizes (the same keys, the same list lengths): only the values
    // differ (counts, rates, names). A user's lookup grows from 10 connections to its cap of 100.
    for (const name of ["overview", "rooms", "search"] as const) {
      expect(shape(large[name].body), name).to.deep.equal(shape(small[name].body));
      expect(large[name].bytes, name).to.be.below(8 * 1024);
    }
    expect(large.user.bytes).to.be.below(48 * 1024);
    // A user's connections at 1,000: ten; at full size (1,000 each), the lookup is capped at 100.
    expect((small.user.body.connections as unknown[]).length).to.equal(10);
    console.log(
      `      ${CONNECTIONS} connections opened in ${Math.round(grownMs)} ms; answer bytes ${JSON.stringify(sizes)}`,
    );
  });

  it("times each route at full size (reported, not asserted)", async () => {
    const timings: Record<string, number> = {};
    for (const path of [
      "/overview",
      "/rooms?limit=100",
      "/rooms?q=room4&match=prefix&limit=100",
      "/rooms?sort=name&limit=100",
      "/connections?user=user7&limit=100",
      // No such user: the lookup walks every connection of the node.
      "/connections?user=nobody",
      `/connections?id=${clients[clients.length - 1]!.connection.id}`,
    ]) {
      const runs: number[] = [];
      for (let run = 0; run < 3; run++) {
        const started = process.hrtime.bigint();
        await get(path);
        runs.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      timings[path] = Math.round(Math.min(...runs) * 10) / 10;
    }
    console.log(`      ms per request (best of 3): ${JSON.stringify(timings)}`);
  });
});
