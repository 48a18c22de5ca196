import { expect } from "chai";
import { ConfigError } from "../../src/core/errors.js";
import { loadPackage } from "../../src/core/load-package.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import type { ContractClient, ContractTransport } from "../../src/testing/contract-client.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { fayeContract } from "../helpers/faye-contract-client.js";
import { socketIoContract } from "../helpers/socketio-contract-client.js";
import { wsContract } from "../helpers/ws-contract-client.js";

/** One client kind per transport, all on one server. */
const KINDS: ContractTransport[] = [
  wsContract(),
  socketIoContract("websocket"),
  fayeContract("websocket"),
];

describe("several transports on one server", () => {
  let server: ActionwireServer;
  let clients: ContractClient[];

  beforeEach(async () => {
    server = await startDemoServer({ transports: KINDS.map((k) => k.transport) });
    clients = [];
    for (const kind of KINDS) clients.push(await kind.connect(server));
  });

  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  });

  it("puts every transport's clients in one room: each say reaches all the others", async () => {
    const ids = await Promise.all(
      clients.map(async (c) => ((await c.request("detailsView")).data as { id: string }).id),
    );
    const view = (await clients[0]!.request("roomView")).data as { members: string[] };
    expect(view.members).to.have.members(ids);
    expect(server.connectionCounts()).to.deep.equal(
      Object.fromEntries(KINDS.map((k) => [k.transport, 1])),
    );
    for (const [i, speaker] of clients.entries()) {
      const text = `from ${KINDS[i]!.label}`;
      await speaker.request("say", { message: text });
      for (const [j, listener] of clients.entries()) {
        if (j === i) continue;
        expect(await listener.inbox.next((m) => m.message === text)).to.include({ from: ids[i] });
      }
    }
    for (const [i, client] of clients.entries()) {
      expect(client.inbox.received.some((m) => m.message === `from ${KINDS[i]!.label}`)).to.equal(
        false,
      );
    }
  });

  it("announces a departure on one transport to the others", async () => {
    const leaver = clients.pop()!;
    const leaverId = ((await leaver.request("detailsView")).data as { id: string }).id;
    await leaver.close();
    for (const client of clients) {
      expect(await client.inbox.next((m) => m.message === "I have left the room")).to.include({
        from: leaverId,
      });
    }
  });
});

describe("transport start-up errors", () => {
  it("refuses two transports claiming the same path, with a sentence", async () => {
    const error = await startDemoServer({
      transports: ["ws", "socketio"],
      ws: { path: "/socket.io/" },
    }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.equal(
      "Two transports claim the upgrade path /socket.io/; give one another path.",
    );
  });

  it("says which package to install when a transport's package is missing", async () => {
    const error = await loadPackage("actionwire-no-such-package", "carrier").catch(
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.equal(
      'The carrier transport needs the "actionwire-no-such-package" package. Install it with: npm install actionwire-no-such-package',
    );
  });
});
