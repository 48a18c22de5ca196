import { expect } from "chai";
import { request as httpRequest } from "node:http";
import { WebSocket } from "ws";
import { WsTestClient } from "../helpers/ws-test-client.js";
import { WsFixture } from "../helpers/ws-server.js";

describe("ws transport (real server, real ws clients)", () => {
  let fixture: WsFixture;

  beforeEach(async () => {
    fixture = await WsFixture.start();
  });

  afterEach(async () => {
    await fixture.stop();
  });

  it("welcomes a new connection with context api and the default room", async () => {
    const client = await fixture.connect();
    expect(client.welcome).to.deep.equal({
      context: "api",
      welcome: "Hello! Welcome to the actionwire api",
      room: "defaultRoom",
    });
  });

  it("tells the others that someone entered the room", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    const notice = await a.nextSay("I have entered the room");
    const bDetails = (await b.request("detailsView")).data as { id: string };
    expect(notice).to.include({ context: "user", room: "defaultRoom", from: bDetails.id });
    expect(notice.sentAt).to.be.a("number");
  });

  it("shows the connection's details", async () => {
    const before = Date.now();
    const client = await fixture.connect();
    const reply = await client.request("detailsView");
    const details = reply.data as Record<string, unknown>;
    expect(reply).to.include({ context: "response", status: "OK", messageCount: 1 });
    expect(details.connectedAt).to.be.within(before - 1, Date.now());
    expect(details).to.include({
      room: "defaultRoom",
      remoteIP: "127.0.0.1",
      transport: "ws",
      claimedIP: null,
      messageCount: 1,
      totalActions: 0,
      pendingActions: 0,
    });
    expect(details.id).to.match(/^[0-9a-f-]{36}$/);
    expect(details.listeningRooms).to.deep.equal([]);
  });

  it("lets two clients talk, and the sender does not hear itself", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    await a.nextSay("I have entered the room");
    expect((await a.request("say", { message: "hello b" })).status).to.equal("OK");
    const heard = await b.nextSay("hello b");
    const aId = ((await a.request("detailsView")).data as { id: string }).id;
    expect(heard).to.include({ context: "user", room: "defaultRoom", from: aId });
    await b.request("say", { message: "hello a" });
    await a.nextSay("hello a");
    expect(a.inbox.received.filter((m) => m.message === "hello b")).to.have.length(0);
  });

  it("runs cacheTest: missing key is ERR_MISSING_PARAM, key and value load back", async () => {
    const client = await fixture.connect();
    const missing = await client.action("cacheTest", { value: "v" });
    expect(missing).to.include({ code: "ERR_MISSING_PARAM" });
    expect(missing.error).to.equal("key is a required parameter for this action");
    const ok = await client.action("cacheTest", { key: "testKey", value: "abc123" });
    expect(ok).not.to.have.property("error");
    expect(ok.cacheTestResults).to.deep.equal({
      saveResp: true,
      loadResp: { key: "cacheTest_testKey", value: "abc123" },
      deleteResp: true,
    });
  });

  it("keeps sticky params for later actions", async () => {
    const client = await fixture.connect();
    await client.request("paramAdd", { key: "key", value: "stuck" });
    await client.request("paramAdd", { key: "value", value: "v" });
    const reply = await client.action("cacheTest");
    expect((reply.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: "cacheTest_stuck",
      value: "v",
    });
  });

  it("answers six sleepTests at once with exactly one ERR_TOO_MANY_PENDING", async () => {
    const client = await fixture.connect();
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => client.action("sleepTest", { sleepDuration: 100 })),
    );
    expect(replies.filter((r) => r.code === "ERR_TOO_MANY_PENDING")).to.have.length(1);
    for (const reply of replies.filter((r) => r.code === undefined)) {
      expect(reply.sleepDelta).to.be.at.least(90);
    }
  });

  it("changes rooms: members and counts change in both rooms", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    const aId = ((await a.request("detailsView")).data as { id: string }).id;
    const bId = ((await b.request("detailsView")).data as { id: string }).id;
    const before = (await a.request("roomView")).data as {
      members: string[];
      membersCount: number;
    };
    expect(before.membersCount).to.equal(2);
    expect(before.members).to.have.members([aId, bId]);
    expect(await b.request("roomChange", { room: "otherRoom" })).to.deep.include({
      status: "OK",
      data: { room: "otherRoom" },
    });
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

  it("hears a listened room, and nothing after silencing it", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    await b.request("roomChange", { room: "otherRoom" });
    expect((await a.request("listenToRoom", { room: "otherRoom" })).data).to.deep.equal({
      room: "otherRoom",
    });
    await b.request("say", { message: "in other room" });
    expect(await a.nextSay("in other room")).to.include({ room: "otherRoom" });
    expect((await a.request("listenToRoom", { room: "otherRoom" })).code).to.equal(
      "ERR_ALREADY_LISTENING",
    );
    expect((await a.request("listenToRoom", { room: "defaultRoom" })).code).to.equal(
      "ERR_ALREADY_LISTENING",
    );
    await a.request("silenceRoom", { room: "otherRoom" });
    expect((await a.request("silenceRoom", { room: "otherRoom" })).code).to.equal(
      "ERR_NOT_LISTENING",
    );
    await b.request("say", { message: "unheard" });
    // A marker after the unheard message proves it was not delivered (same socket, in order).
    await b.request("roomChange", { room: "defaultRoom" });
    await a.nextSay("I have entered the room");
    expect(a.inbox.received.some((m) => m.message === "unheard")).to.equal(false);
  });

  it("announces leaving on a room change and on disconnect", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    const c = await fixture.connect();
    const bId = ((await b.request("detailsView")).data as { id: string }).id;
    const cId = ((await c.request("detailsView")).data as { id: string }).id;
    await b.request("roomChange", { room: "elsewhere" });
    expect(await a.nextSay("I have left the room")).to.include({ from: bId, room: "defaultRoom" });
    await c.close();
    expect(await a.nextSay("I have left the room")).to.include({ from: cId, room: "defaultRoom" });
    expect(((await a.request("roomView")).data as { membersCount: number }).membersCount).to.equal(
      1,
    );
  });

  it("refuses a room by rule until the connection is authorized", async () => {
    const client = await fixture.connect();
    const refused = await client.request("roomChange", { room: "secureRoom" });
    expect(refused).to.include({
      code: "ERR_NOT_AUTHORIZED",
      error: "not authorized to join room",
    });
    expect((await client.request("listenToRoom", { room: "secureRoom" })).code).to.equal(
      "ERR_NOT_AUTHORIZED",
    );
    await client.action("authorizeTest");
    expect((await client.request("roomChange", { room: "secureRoom" })).status).to.equal("OK");
  });

  it("says goodbye and closes on quit", async () => {
    const client = await fixture.connect();
    client.sendRaw(JSON.stringify({ event: "quit" }));
    const bye = await client.next((m) => m.context === "api");
    expect(bye).to.deep.equal({ context: "api", status: "Bye!", reason: "quit" });
    expect((await client.closed).code).to.equal(1000);
  });

  it("disconnects a connection from the server side", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    const bId = ((await b.request("detailsView")).data as { id: string }).id;
    expect(fixture.server.disconnect(bId)).to.equal(true);
    expect(await b.next((m) => m.context === "api")).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "disconnected by server",
    });
    await b.closed;
    expect(await a.nextSay("I have left the room")).to.include({ from: bId });
    expect(fixture.server.disconnect(bId)).to.equal(false);
  });

  it("pushes alerts to a connection", async () => {
    const a = await fixture.connect();
    const b = await fixture.connect();
    const bId = ((await b.request("detailsView")).data as { id: string }).id;
    await a.action("alertTest", { connectionId: bId, message: "wake up" });
    expect(await b.next((m) => m.context === "alert")).to.include({ message: "wake up" });
  });

  it("answers bad frames with coded errors and keeps serving it and its neighbours", async () => {
    const client = await fixture.connect();
    const neighbour = await fixture.connect();
    const cases: Array<[string, string]> = [
      ['{"event":"fly"}', "ERR_UNKNOWN_VERB"],
      ['{"event":"action","params":{"action":"nope"}}', "ERR_UNKNOWN_ACTION"],
      ["this is not json", "ERR_BAD_MESSAGE"],
      ["[1,2,3]", "ERR_BAD_MESSAGE"],
    ];
    let count = 0;
    for (const [frame, code] of cases) {
      client.sendRaw(frame);
      count++;
      const reply = await client.next((m) => m.messageCount === count);
      expect(reply.code, frame).to.equal(code);
      expect(reply.error).to.equal(reply.status);
    }
    client.sendRaw(Buffer.from('{"event":"roomView"}'), true);
    const binaryCount = ++count;
    expect((await client.next((m) => m.messageCount === binaryCount)).code).to.equal(
      "ERR_BAD_MESSAGE",
    );
    expect((await client.request("roomView")).status).to.equal("OK");
    expect((await neighbour.request("roomView")).status).to.equal("OK");
  });

  it("closes an oversized frame with 1009 and keeps serving the others", async () => {
    await fixture.stop();
    fixture = await WsFixture.start({ limits: { maxMessageBytes: 1024 } });
    const big = await fixture.connect();
    const neighbour = await fixture.connect();
    big.sendRaw(JSON.stringify({ event: "say", params: { message: "x".repeat(2000) } }));
    expect((await big.closed).code).to.equal(1009);
    expect((await neighbour.request("roomView")).status).to.equal("OK");
    expect(
      neighbour.inbox.received.some(
        (m) => typeof m.message === "string" && m.message.startsWith("xxx"),
      ),
    ).to.equal(false);
  });

  it("closes a text frame with invalid UTF-8 with 1007", async () => {
    const client = await fixture.connect();
    // ws refuses to send invalid UTF-8 as text, so write a raw masked frame on the socket.
    const payload = Buffer.from([0xc3, 0x28]);
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
    (client.socket as unknown as { _socket: { write(b: Buffer): void } })._socket.write(frame);
    expect((await client.closed).code).to.equal(1007);
  });

  it("matches replies by messageCount when they arrive out of order", async () => {
    const client = await fixture.connect();
    client.sendRaw(
      JSON.stringify({ event: "action", params: { action: "sleepTest", sleepDuration: 150 } }),
    );
    client.sendRaw(
      JSON.stringify({ event: "action", params: { action: "sleepTest", sleepDuration: 10 } }),
    );
    client.sendRaw(JSON.stringify({ event: "detailsView" }));
    const order: number[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await client.next((m) => m.context === "response");
      order.push(reply.messageCount as number);
      if (reply.messageCount === 1) expect(reply.sleepDuration).to.equal(150);
      if (reply.messageCount === 2) expect(reply.sleepDuration).to.equal(10);
    }
    expect(order).to.deep.equal([3, 2, 1]);
  });

  it("reaps a socket that stops answering pings", async () => {
    await fixture.stop();
    fixture = await WsFixture.start({ ws: { heartbeatMs: 50 } });
    const watcher = await fixture.connect();
    const silent = await WsTestClient.connect(fixture.wsUrl, { autoPong: false });
    const silentId = ((await silent.request("detailsView")).data as { id: string }).id;
    expect((await silent.closed).code).to.equal(1006);
    expect(await watcher.nextSay("I have left the room")).to.include({ from: silentId });
  });

  it("answers an upgrade on an unclaimed path with 404", async () => {
    const socket = new WebSocket(`${fixture.server.url.replace("http", "ws")}/nope`);
    const status = await new Promise<number>((resolve) =>
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).to.equal(404);
  });

  it("answers plain HTTP requests it does not serve with 404", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      httpRequest(`${fixture.server.url}/nothing`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });
    expect(status).to.equal(404);
  });
});
