import { expect } from "chai";
import { createClient } from "../../src/client/index.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

describe("connection limits per node and per address", () => {
  let server: ActionwireServer;
  const clients: WsTestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  const connect = async () => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    return client;
  };

  it("turns away one connection over maxConnections with a coded goodbye", async () => {
    server = await startDemoServer({
      transports: ["ws", "socketio"],
      limits: { maxConnections: 2 },
    });
    const first = await connect();
    await connect();
    const third = await connect();
    expect(third.welcome).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "too many connections",
      code: "ERR_TOO_MANY_CONNECTIONS",
      error: "too many connections",
    });
    await third.closed;
    expect(server.connectionCount).to.equal(2);
    expect((await first.request("roomView")).data).to.deep.include({ membersCount: 2 });
    // The client's connect() says why, with the code.
    const client = createClient({ url: server.url, transport: "socketio", reconnect: false });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).to.include({ code: "ERR_TOO_MANY_CONNECTIONS" });
    // A place frees up: the next one is welcome.
    await first.close();
    const fourth = await connect();
    expect(fourth.welcome).to.include({ room: "defaultRoom" });
  });

  it("limits connections from one address with maxConnectionsPerIP", async () => {
    server = await startDemoServer({ transports: ["ws"], limits: { maxConnectionsPerIP: 1 } });
    await connect();
    const second = await connect();
    expect(second.welcome).to.include({ code: "ERR_TOO_MANY_CONNECTIONS" });
    await second.closed;
    expect(server.connectionCount).to.equal(1);
  });
});
