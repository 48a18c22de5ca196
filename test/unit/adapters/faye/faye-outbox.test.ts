import { expect } from "chai";
import { BATCH_CHARS, FayeOutbox } from "../../../../adapters/faye/faye-outbox.js";

/** A socket that records each frame it is given. */
class Frames {
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe("FayeOutbox", () => {
  it("sends what a tick adds for a socket as one Bayeux batch, in order, at the tick's end", async () => {
    const outbox = new FayeOutbox();
    const a = new Frames();
    const b = new Frames();
    outbox.add(a, "c1", '{"n":1}');
    outbox.add(b, "c2", '{"n":2}');
    outbox.add(a, "c1", '{"n":3}');
    expect(a.sent).to.deep.equal([]);
    expect(outbox.pending(a)).to.be.greaterThan(0);
    await tick();
    expect(a.sent).to.have.length(1);
    expect(JSON.parse(a.sent[0]!)).to.deep.equal([
      { channel: "/actionwire/out/c1", data: { n: 1 } },
      { channel: "/actionwire/out/c1", data: { n: 3 } },
    ]);
    expect(JSON.parse(b.sent[0]!)).to.deep.equal([
      { channel: "/actionwire/out/c2", data: { n: 2 } },
    ]);
    expect(outbox.pending(a)).to.equal(0);
  });

  it("sends a batch at once when it reaches the bound, and starts the next one", async () => {
    const outbox = new FayeOutbox();
    const socket = new Frames();
    const json = JSON.stringify({ text: "x".repeat(1000) });
    let added = 0;
    while (socket.sent.length === 0) {
      outbox.add(socket, "c1", json);
      added++;
    }
    expect(socket.sent[0]!.length).to.be.at.least(BATCH_CHARS);
    expect(outbox.pending(socket)).to.equal(0);
    outbox.add(socket, "c1", json);
    await tick();
    const batches = socket.sent.map((frame) => JSON.parse(frame) as unknown[]);
    expect(batches.map((batch) => batch.length)).to.deep.equal([added, 1]);
  });

  it("leaves nothing behind for a tick that added nothing", async () => {
    const outbox = new FayeOutbox();
    const socket = new Frames();
    await tick();
    expect(socket.sent).to.deep.equal([]);
    expect(outbox.pending(socket)).to.equal(0);
  });
});
