import { expect } from "chai";
import type { ActionwireConfig } from "../core/config.js";
import type { ActionwireServer } from "../server/actionwire-server.js";
import { startDemoServer } from "./demo-server.js";
import type { ContractClient, ContractTransport, Message } from "./contract-client.js";

/**
 * Every protocol behaviour, once, run against one transport through its client factory. A
 * transport is done when this passes.
 */
export function describeTransportContract(t: ContractTransport): void {
  describe(`transport contract: ${t.label}`, function () {
    this.timeout(15_000);
    const remoteIP = t.remoteIP ?? "127.0.0.1";
    let server: ActionwireServer;
    let clients: ContractClient[] = [];

    const start = async (config: ActionwireConfig = {}) => {
      server = await startDemoServer({ ...t.serverConfig, ...config });
    };
    const restart = async (config: ActionwireConfig) => {
      await stopAll();
      await start(config);
    };
    const connect = async () => {
      const client = await t.connect(server);
      clients.push(client);
      return client;
    };
    const idOf = async (client: ContractClient) =>
      ((await client.request("detailsView")).data as { id: string }).id;
    const nextSay = (client: ContractClient, message: string) =>
      client.inbox.next((m) => m.context === "user" && m.message === message);
    const stopAll = async () => {
      await Promise.all(clients.map((client) => client.close()));
      clients = [];
      await server.stop();
    };

    beforeEach(() => start());
    afterEach(() => stopAll());

    describe("connection", () => {
      it("welcomes first, with context api and the default room", async () => {
        const client = await connect();
        expect(client.welcome).to.deep.equal({
          context: "api",
          welcome: "Hello! Welcome to the actionwire api",
          room: "defaultRoom",
        });
      });

      it("shows the connection's details", async () => {
        const before = Date.now();
        const client = await connect();
        const reply = await client.request("detailsView");
        expect(reply).to.include({ context: "response", status: "OK", messageCount: 1 });
        const details = reply.data as Record<string, unknown>;
        expect(details.connectedAt).to.be.within(before - 1, Date.now());
        expect(details).to.include({
          transport: t.transport,
          room: "defaultRoom",
          remoteIP,
          claimedIP: null,
          messageCount: 1,
          totalActions: 0,
          pendingActions: 0,
        });
        expect(details.id).to.match(/^[0-9a-f-]{36}$/);
        expect(details.remotePort).to.be.a("number");
        expect(details.listeningRooms).to.deep.equal([]);
        expect(details.params).to.deep.equal({});
      });

      it("stores setIP as claimedIP only", async () => {
        const client = await connect();
        expect((await client.request("setIP", { ip: "10.9.8.7" })).status).to.equal("OK");
        const details = (await client.request("detailsView")).data as Record<string, unknown>;
        expect(details).to.include({ claimedIP: "10.9.8.7", remoteIP });
      });

      it("says goodbye and ends the connection on quit", async () => {
        const client = await connect();
        const other = await connect();
        const id = await idOf(client);
        client.send("quit");
        expect(await client.inbox.next((m) => m.context === "api")).to.deep.equal({
          context: "api",
          status: "Bye!",
          reason: "quit",
        });
        await client.closed;
        expect((await nextSay(other, "I have left the room")).from).to.equal(id);
      });

      it("disconnects a connection from the server side", async () => {
        const a = await connect();
        const b = await connect();
        const bId = await idOf(b);
        expect(await server.disconnect(bId)).to.equal(true);
        expect(await b.inbox.next((m) => m.context === "api")).to.deep.equal({
          context: "api",
          status: "Bye!",
          reason: "disconnected by server",
        });
        await b.closed;
        expect((await nextSay(a, "I have left the room")).from).to.equal(bId);
        expect(server.connectionCount).to.equal(1);
      });

      // The requests go out in one tick: one write (or one batch, one poll) on most transports,
      // so the server reads them together with the quit.
      it("runs nothing a connection sent after its quit, even in the same write", async () => {
        const quitter = await connect();
        const other = await connect();
        const otherId = await idOf(other);
        quitter.send("quit");
        quitter.send("roomChange", { room: "ghostRoom" });
        quitter.send("listenToRoom", { room: "ghostRoom" });
        quitter.send("say", { message: "said after quit" });
        quitter.send("paramAdd", { key: "k", value: "v" });
        await quitter.closed;
        expect(quitter.inbox.received.at(-1)).to.deep.equal({
          context: "api",
          status: "Bye!",
          reason: "quit",
        });
        expect(quitter.inbox.received.filter((m) => m.context === "response")).to.deep.equal([]);
        await other.request("roomChange", { room: "ghostRoom" });
        const view = await other.request("roomView");
        expect(view.data).to.deep.equal({
          room: "ghostRoom",
          members: [otherId],
          membersCount: 1,
        });
        expect(other.inbox.received.some((m) => m.message === "said after quit")).to.equal(false);
        expect(server.connectionCount).to.equal(1);
      });

      it("runs nothing a connection sends once the server closes it", async () => {
        const a = await connect();
        const b = await connect();
        const aId = await idOf(a);
        const closing = server.disconnect(await idOf(b));
        b.send("roomChange", { room: "ghostRoom" });
        expect(await closing).to.equal(true);
        await b.closed;
        await a.request("roomChange", { room: "ghostRoom" });
        expect((await a.request("roomView")).data).to.deep.equal({
          room: "ghostRoom",
          members: [aId],
          membersCount: 1,
        });
      });

      it("pushes alerts", async () => {
        const a = await connect();
        const b = await connect();
        await a.request("action", {
          action: "alertTest",
          connectionId: await idOf(b),
          message: "hey",
        });
        expect(await b.inbox.next((m) => m.context === "alert")).to.include({ message: "hey" });
      });
    });

    describe("actions", () => {
      it("replies flat; missing and invalid params have their codes", async () => {
        const client = await connect();
        const missing = await client.request("action", { action: "cacheTest", value: "v" });
        expect(missing).to.include({
          context: "response",
          code: "ERR_MISSING_PARAM",
          error: "key is a required parameter for this action",
          status: "key is a required parameter for this action",
        });
        const ok = await client.request("action", { action: "cacheTest", key: "k", value: "v" });
        expect(ok).not.to.have.property("error");
        expect(ok.cacheTestResults).to.deep.equal({
          saveResp: true,
          loadResp: { key: "cacheTest_k", value: "v" },
          deleteResp: true,
        });
        expect(await client.request("action", { action: "validateTest", n: 0 })).to.include({
          code: "ERR_INVALID_PARAM",
          error: "n is not valid: must be an integer from 1 to 10",
        });
        expect(await client.request("action", { action: "failTest" })).to.include({
          code: "ERR_ACTION_FAILED",
          error: "failTest failed, as it always does",
        });
        expect(await client.request("action", { action: "nope" })).to.include({
          code: "ERR_UNKNOWN_ACTION",
          error: "nope is not a known action",
        });
      });

      it("keeps sticky params, overlaid by the request's own", async () => {
        const client = await connect();
        await client.request("paramAdd", { key: "key", value: "sticky" });
        await client.request("paramAdd", { key: "value", value: 1 });
        expect((await client.request("paramView", { key: "key" })).data).to.equal("sticky");
        expect((await client.request("paramsView")).data).to.deep.equal({
          key: "sticky",
          value: 1,
        });
        const a = await client.request("action", { action: "cacheTest" });
        expect((a.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
          key: "cacheTest_sticky",
          value: 1,
        });
        const b = await client.request("action", { action: "cacheTest", key: "own" });
        expect((b.cacheTestResults as { loadResp: { key: string } }).loadResp.key).to.equal(
          "cacheTest_own",
        );
        await client.request("paramDelete", { key: "key" });
        expect((await client.request("paramView", { key: "key" })).data).to.equal(null);
        await client.request("paramsDelete");
        expect((await client.request("paramsView")).data).to.deep.equal({});
      });

      it("allows five actions in flight: the sixth is ERR_TOO_MANY_PENDING", async () => {
        const client = await connect();
        const replies = await Promise.all(
          Array.from({ length: 6 }, () =>
            client.request("action", { action: "sleepTest", sleepDuration: 150 }),
          ),
        );
        const refused = replies.filter((r) => r.code === "ERR_TOO_MANY_PENDING");
        expect(refused).to.have.length(1);
        expect(refused[0]!.error).to.equal("you have too many pending requests");
        expect(replies.filter((r) => r.error === undefined)).to.have.length(5);
      });

      it("matches replies by messageCount when they arrive out of order", async () => {
        const client = await connect();
        client.send("action", { action: "sleepTest", sleepDuration: 200 });
        client.send("action", { action: "sleepTest", sleepDuration: 20 });
        client.send("detailsView");
        const order: number[] = [];
        for (let i = 0; i < 3; i++) {
          const reply = await client.inbox.next((m) => m.context === "response");
          order.push(reply.messageCount as number);
          if (reply.messageCount === 1) expect(reply.sleepDuration).to.equal(200);
          if (reply.messageCount === 2) expect(reply.sleepDuration).to.equal(20);
        }
        expect(order).to.deep.equal([3, 2, 1]);
      });

      it("lists the actions with documentation", async () => {
        const client = await connect();
        const docs = (await client.request("documentation")).data as Array<{ name: string }>;
        expect(docs.map((d) => d.name)).to.include.members([
          "status",
          "cacheTest",
          "sleepTest",
          "echo",
        ]);
      });

      it("times an action out at its deadline", async () => {
        await restart({ limits: { actionTimeoutMs: 50 } });
        const client = await connect();
        expect(
          await client.request("action", { action: "sleepTest", sleepDuration: 5000 }),
        ).to.include({ code: "ERR_ACTION_TIMEOUT", error: "the action timed out" });
        const details = (await client.request("detailsView")).data as { pendingActions: number };
        expect(details.pendingActions).to.equal(0);
      });
    });

    describe("rooms", () => {
      it("announces an arrival to the others, not to the newcomer", async () => {
        const a = await connect();
        const b = await connect();
        const notice = await nextSay(a, "I have entered the room");
        expect(notice).to.include({ context: "user", room: "defaultRoom", from: await idOf(b) });
        expect(notice.sentAt).to.be.a("number");
        await b.request("say", { message: "marker" });
        await nextSay(a, "marker");
        expect(b.inbox.received.some((m) => m.message === "I have entered the room")).to.equal(
          false,
        );
      });

      it("lets two clients talk; the sender does not hear itself", async () => {
        const a = await connect();
        const b = await connect();
        expect((await a.request("say", { message: "hello b" })).status).to.equal("OK");
        expect(await nextSay(b, "hello b")).to.include({
          room: "defaultRoom",
          from: await idOf(a),
        });
        await b.request("say", { message: "hello a" });
        await nextSay(a, "hello a");
        expect(a.inbox.received.some((m) => m.message === "hello b")).to.equal(false);
      });

      it("changes rooms: members and counts change in both", async () => {
        const a = await connect();
        const b = await connect();
        const [aId, bId] = [await idOf(a), await idOf(b)];
        const before = (await a.request("roomView")).data as {
          members: string[];
          membersCount: number;
        };
        expect(before.membersCount).to.equal(2);
        expect(before.members).to.have.members([aId, bId]);
        expect((await b.request("roomChange", { room: "otherRoom" })).data).to.deep.equal({
          room: "otherRoom",
        });
        expect(await nextSay(a, "I have left the room")).to.include({ from: bId });
        expect((await a.request("roomView")).data).to.deep.equal({
          room: "defaultRoom",
          members: [aId],
          membersCount: 1,
        });
        expect((await b.request("roomView")).data).to.deep.equal({
          room: "otherRoom",
          members: [bId],
          membersCount: 1,
        });
      });

      it("hears a listened room, and nothing once silenced", async () => {
        const a = await connect();
        const b = await connect();
        await b.request("roomChange", { room: "otherRoom" });
        expect((await a.request("listenToRoom", { room: "otherRoom" })).data).to.deep.equal({
          room: "otherRoom",
        });
        await b.request("say", { message: "over here" });
        expect(await nextSay(a, "over here")).to.include({ room: "otherRoom" });
        expect(await a.request("listenToRoom", { room: "otherRoom" })).to.include({
          code: "ERR_ALREADY_LISTENING",
          error: "you are already listening to this room",
        });
        expect((await a.request("listenToRoom", { room: "defaultRoom" })).code).to.equal(
          "ERR_ALREADY_LISTENING",
        );
        await a.request("silenceRoom", { room: "otherRoom" });
        expect(await a.request("silenceRoom", { room: "otherRoom" })).to.include({
          code: "ERR_NOT_LISTENING",
          error: "you are not listening to this room",
        });
        await b.request("say", { message: "unheard" });
        await b.request("roomChange", { room: "defaultRoom" });
        await nextSay(a, "I have entered the room");
        expect(a.inbox.received.some((m) => m.message === "unheard")).to.equal(false);
      });

      it("announces a departure on disconnect, and counts go down", async () => {
        const a = await connect();
        const b = await connect();
        const bId = await idOf(b);
        await b.close();
        expect(await nextSay(a, "I have left the room")).to.include({ from: bId });
        expect(
          ((await a.request("roomView")).data as { membersCount: number }).membersCount,
        ).to.equal(1);
      });

      it("refuses a room by rule until the connection is authorized", async () => {
        const client = await connect();
        expect(await client.request("roomChange", { room: "secureRoom" })).to.include({
          code: "ERR_NOT_AUTHORIZED",
          error: "not authorized to join room",
        });
        await client.request("action", { action: "authorizeTest" });
        expect((await client.request("roomChange", { room: "secureRoom" })).status).to.equal("OK");
      });

      it("answers say and roomView outside any room with ERR_NOT_IN_ROOM", async () => {
        await restart({ defaultRoom: null });
        const client = await connect();
        expect(client.welcome.room).to.equal(null);
        expect(await client.request("say", { message: "hi" })).to.include({
          code: "ERR_NOT_IN_ROOM",
          error: "you are not in a room",
        });
        expect((await client.request("roomView")).code).to.equal("ERR_NOT_IN_ROOM");
      });
    });

    describe("bad input", () => {
      it("answers each bad request with its code and keeps serving it and its neighbours", async () => {
        const client = await connect();
        const neighbour = await connect();
        const cases: Array<[() => void, string]> = [
          [() => client.send("fly", {}), "ERR_UNKNOWN_VERB"],
          [() => client.sendMalformed(), "ERR_BAD_MESSAGE"],
          [() => client.send("say", [1, 2]), "ERR_BAD_MESSAGE"],
          [() => client.send("roomView", {}, { not: "an id" }), "ERR_BAD_MESSAGE"],
          [() => client.send("action", { action: "nope" }), "ERR_UNKNOWN_ACTION"],
        ];
        let count = 0;
        for (const [send, code] of cases) {
          send();
          const expected = ++count;
          const reply: Message = await client.inbox.next((m) => m.messageCount === expected);
          expect(reply.code, code).to.equal(code);
          expect(reply.error).to.equal(reply.status);
          expect(reply.context).to.equal("response");
        }
        expect((await client.request("roomView")).status).to.equal("OK");
        expect((await neighbour.request("roomView")).status).to.equal("OK");
      });

      it("echoes messageId with its type, string or number", async () => {
        const client = await connect();
        client.send("roomView", {}, "id-1");
        expect((await client.inbox.next((m) => m.messageCount === 1)).messageId).to.equal("id-1");
        client.send("roomView", {}, 42);
        expect((await client.inbox.next((m) => m.messageCount === 2)).messageId).to.equal(42);
      });

      it("rate-limits a flood with ERR_RATE_LIMITED", async () => {
        await restart({ limits: { rate: 3 } });
        const client = await connect();
        for (let i = 0; i < 8; i++) client.send("roomView");
        const replies = await Promise.all(
          Array.from({ length: 8 }, (_, i) => client.inbox.next((m) => m.messageCount === i + 1)),
        );
        const limited = replies.filter((r) => r.code === "ERR_RATE_LIMITED");
        expect(limited.length).to.be.at.least(4);
        expect(limited[0]!.error).to.equal("too many messages");
      });

      it("answers ERR_SHUTTING_DOWN while the server drains", async () => {
        const client = await connect();
        const slow = client.request("action", { action: "sleepTest", sleepDuration: 300 });
        await client.request("roomView"); // the action is in flight
        const stopping = server.stop();
        expect((await client.request("roomView")).code).to.equal("ERR_SHUTTING_DOWN");
        expect((await slow).error).to.equal(undefined);
        expect(await client.inbox.next((m) => m.context === "api")).to.include({
          reason: "server shutdown",
        });
        await stopping;
      });
    });
  });
}
