import { expect } from "chai";
import { request as httpRequest } from "node:http";
import { WebSocket } from "ws";
import { WsTestClient } from "../helpers/ws-test-client.js";
import { WsFixture } from "../helpers/ws-server.js";

describe("ws transport: what only ws does (the rest is the contract suite)", () => {
  let fixture: WsFixture;

  beforeEach(async () => {
    fixture = await WsFixture.start();
  });

  afterEach(async () => {
    await fixture.stop();
  });

  it("answers array and binary frames with ERR_BAD_MESSAGE and keeps serving", async () => {
    const client = await fixture.connect();
    const neighbour = await fixture.connect();
    client.sendRaw("[1,2,3]");
    expect((await client.next((m) => m.messageCount === 1)).code).to.equal("ERR_BAD_MESSAGE");
    client.sendRaw(Buffer.from('{"event":"roomView"}'), true);
    expect(await client.next((m) => m.messageCount === 2)).to.include({
      code: "ERR_BAD_MESSAGE",
      error: "bad message: binary frames are not accepted",
    });
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
