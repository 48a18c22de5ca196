import { expect } from "chai";
import { ActionwireError } from "../../src/core/errors.js";
import type { Connection } from "../../src/core/connection.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { connectSocketIo } from "../helpers/socketio-contract-client.js";
import { TcpTestClient, tcpPort } from "../helpers/tcp-test-client.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

/** Accepts `?token=staff-1` (as staff) or `?token=user-1`; refuses anything else. */
async function authenticate(connection: Connection): Promise<boolean | Record<string, unknown>> {
  const url = new URL(connection.request?.url ?? "/", "http://x");
  const token = url.searchParams.get("token") ?? connection.request?.headers["x-token"];
  await new Promise((resolve) => setImmediate(resolve)); // as a real lookup would
  if (token === "staff-1") return { user: "ann", role: "staff" };
  if (token === "user-1") return { user: "bob", role: "user" };
  if (token === "banned") throw new ActionwireError("ERR_NOT_AUTHORIZED", "this token is banned");
  return false;
}

describe("authentication: a connection hook that sees the handshake request", () => {
  let server: ActionwireServer;
  const closers: Array<() => unknown> = [];

  beforeEach(async () => {
    server = await startDemoServer({
      transports: ["ws", "socketio", "tcp"],
      tcp: { port: 0 },
      authenticate,
      roomRules: { staffRoom: { role: "staff" } },
    });
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await server.stop();
  });

  const ws = async (query: string) => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws${query}`);
    closers.push(() => client.close());
    return client;
  };

  it("accepts with an identity that room rules can match", async () => {
    const staff = await ws("?token=staff-1");
    expect(staff.welcome).to.include({ context: "api", room: "defaultRoom" });
    expect((await staff.request("roomChange", { room: "staffRoom" })).status).to.equal("OK");
    const user = await ws("?token=user-1");
    expect((await user.request("roomChange", { room: "staffRoom" })).code).to.equal(
      "ERR_NOT_AUTHORIZED",
    );
  });

  it("refuses with a coded goodbye, its only message, then closes", async () => {
    const other = await ws("?token=user-1");
    const refused = await ws("?token=wrong");
    expect(refused.welcome).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "not authorized",
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to connect",
    });
    await refused.closed;
    expect(refused.inbox.received).to.have.length(1);
    expect(server.connectionCount).to.equal(1);
    expect((await other.request("roomView")).data).to.deep.include({ membersCount: 1 });
  });

  it("shows the message of an ActionwireError thrown by the hook", async () => {
    const banned = await ws("?token=banned");
    expect(banned.welcome).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "this token is banned",
    });
  });

  it("holds requests sent before the verdict until it is in", async () => {
    const socket = new (await import("ws")).WebSocket(
      `${server.url.replace("http", "ws")}/ws?token=staff-1`,
    );
    closers.push(() => socket.close());
    const messages: Array<Record<string, unknown>> = [];
    const got = new Promise<void>((resolve) =>
      socket.on("message", (data) => {
        messages.push(JSON.parse(String(data)) as Record<string, unknown>);
        if (messages.length === 2) resolve();
      }),
    );
    socket.on("open", () => socket.send(JSON.stringify({ event: "detailsView" })));
    await got;
    expect(messages[0]).to.include({ context: "api", room: "defaultRoom" });
    expect(messages[1]).to.include({ context: "response", status: "OK" });
  });

  it("sees socket.io's handshake request", async () => {
    const accepted = await connectSocketIo(`${server.url}?token=user-1`, ["websocket"]);
    closers.push(() => accepted.socket.disconnect());
    expect(accepted.welcome).to.include({ room: "defaultRoom" });
    const refused = await connectSocketIo(server.url, ["websocket"]);
    closers.push(() => refused.socket.disconnect());
    expect(refused.welcome).to.include({ reason: "not authorized", code: "ERR_NOT_AUTHORIZED" });
    await refused.closed;
  });

  it("makes the client's connect() reject with ERR_NOT_AUTHORIZED, without reconnecting", async () => {
    const { createClient } = await import("../../src/client/index.js");
    const reconnects: string[] = [];
    for (const transport of ["ws", "socketio"] as const) {
      const client = createClient({ url: server.url, transport, reconnectDelayMs: 5 });
      closers.push(() => client.disconnect());
      client.on("reconnecting", () => reconnects.push(transport));
      const error = await client.connect().catch((e: unknown) => e);
      expect(error).to.include({
        code: "ERR_NOT_AUTHORIZED",
        message: "not authorized to connect",
      });
    }
    // A client schedules (and announces) a reconnect as it handles the close, so none is
    // coming; the server let each connection go when it turned it away.
    expect(reconnects).to.deep.equal([]);
    expect(server.connectionCount).to.equal(0);
  });

  it("refuses a tcp connection, which has no request to show", async () => {
    const client = await TcpTestClient.connect(tcpPort(server));
    closers.push(() => client.close());
    expect(client.welcome).to.include({ reason: "not authorized" });
    await client.closed;
  });
});
