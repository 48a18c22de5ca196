import { expect } from "chai";
import { request as httpRequest } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import { MessageInbox } from "../../src/core/message-inbox.js";
import { WebSocket } from "ws";
import { burstTexts, heardBurst } from "../helpers/burst.js";
import { countServerWrites } from "../helpers/server-writes.js";
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

  for (const perMessageDeflate of [false, true]) {
    it(`delivers a burst to a room whole and in order, replies in between (perMessageDeflate ${perMessageDeflate})`, async () => {
      await fixture.stop();
      fixture = await WsFixture.start({ ws: { perMessageDeflate } });
      const members = await Promise.all([1, 2, 3].map(() => fixture.connect()));
      const sender = await fixture.connect();
      const texts = burstTexts(200);
      for (const [i, text] of texts.entries()) {
        sender.sendRaw(JSON.stringify({ event: "say", params: { message: text }, messageId: i }));
      }
      // A member's own request in the middle of the burst is answered in its place.
      const reply = members[0]!.request("roomView");
      for (const member of members) await member.nextSay(texts.at(-1));
      expect((await reply).status).to.equal("OK");
      for (const member of members) expect(heardBurst(member.inbox)).to.deep.equal(texts);
    });
  }

  it("writes a room's burst to each member in one system call (50 messages: 1 write, not 50)", async () => {
    const member = await fixture.connect();
    const other = await fixture.connect();
    const sender = await fixture.connect();
    const { remotePort } = (await member.request("detailsView")).data as { remotePort: number };
    const texts = burstTexts(50);
    const writes = countServerWrites(remotePort);
    try {
      // The 50 frames leave the sender in one TCP write, so the server reads them in one go
      // and sends the 50 room messages in one tick.
      const raw = (sender.socket as unknown as { _socket: Socket })._socket;
      raw.cork();
      for (const text of texts)
        sender.sendRaw(JSON.stringify({ event: "say", params: { message: text } }));
      raw.uncork();
      for (const m of [member, other]) await m.nextSay(texts.at(-1));
    } finally {
      writes.restore();
    }
    expect(heardBurst(member.inbox)).to.deep.equal(texts);
    expect(writes.count, "server writes on the member's socket").to.be.at.most(2);
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

  it("says goodbye (timeout) to a socket that stops answering pings, then closes it", async () => {
    await fixture.stop();
    // No other client: with a 50 ms heartbeat, a stalled event loop could time out a good one.
    fixture = await WsFixture.start({ ws: { heartbeatMs: 50 } });
    const silent = await WsTestClient.connect(fixture.wsUrl, { autoPong: false });
    expect(await silent.next((m) => m.context === "api")).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "timeout",
    });
    expect((await silent.closed).code).to.equal(1000);
    expect(fixture.server.connectionCount).to.equal(0);
  });

  it("terminates a timed-out peer that never answers the close frame (half-open)", async () => {
    await fixture.stop();
    fixture = await WsFixture.start({ ws: { heartbeatMs: 50 } });
    const peer = await DeafPeer.open(fixture.server.url, "/ws");
    const welcome = await peer.nextFrame(TEXT);
    expect(JSON.parse(welcome.toString())).to.include({ context: "api", room: "defaultRoom" });
    expect(JSON.parse((await peer.nextFrame(TEXT)).toString())).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "timeout",
    });
    expect((await peer.nextFrame(CLOSE)).readUInt16BE(0)).to.equal(1000);
    // It sent no close frame back, so only the server's terminate ends the TCP connection.
    await peer.ended;
    expect(peer.frames.received.some((frame) => frame.opcode === PING)).to.equal(true);
    expect(fixture.server.connectionCount).to.equal(0);
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

const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;

/**
 * A WebSocket peer written by hand on a TCP socket: it completes the upgrade, then reads the
 * server's frames and never answers one (no pong, no close frame), as a peer that is gone
 * looks to the server while the kernel still acknowledges its bytes.
 */
class DeafPeer {
  /** Every frame received, in order. */
  readonly frames = new MessageInbox<{ opcode: number; payload: Buffer }>();
  /** Resolves when the server ends the TCP connection. */
  readonly ended: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.ended = new Promise((resolve) => socket.once("end", resolve));
  }

  static async open(baseUrl: string, path: string): Promise<DeafPeer> {
    const { hostname, port } = new URL(baseUrl);
    const socket = netConnect(Number(port), hostname);
    const peer = new DeafPeer(socket);
    socket.on("error", () => undefined);
    socket.write(
      [
        `GET ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        "",
        "",
      ].join("\r\n"),
    );
    let buffer: Buffer = Buffer.alloc(0);
    let upgraded = false;
    await new Promise<void>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (!upgraded) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end === -1) return;
          const head = buffer.subarray(0, end).toString();
          if (!head.startsWith("HTTP/1.1 101")) reject(new Error(head));
          upgraded = true;
          buffer = buffer.subarray(end + 4);
          resolve();
        }
        buffer = peer.#read(buffer);
      });
    });
    return peer;
  }

  /** The payload of the next frame with this opcode (frames of other kinds are skipped). */
  async nextFrame(opcode: number): Promise<Buffer> {
    return (await this.frames.next((frame) => frame.opcode === opcode)).payload;
  }

  /** Takes the complete (unmasked, server-sent) frames off the front of `buffer`. */
  #read(buffer: Buffer): Buffer {
    for (;;) {
      if (buffer.length < 2) return buffer;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return buffer;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return buffer;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return buffer;
      this.frames.push({ opcode, payload: buffer.subarray(offset, offset + length) });
      buffer = buffer.subarray(offset + length);
    }
  }
}
