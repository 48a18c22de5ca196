import { expect } from "chai";
import { RoomHistory } from "../../../../src/core/rooms/room-history.js";
import { positionOf } from "../../../../src/core/rooms/room-position.js";

describe("room history (in memory)", () => {
  let history: RoomHistory;
  afterEach(() => history.stop());

  const say = (room: string, message: string) =>
    history.append(room, { context: "user", message, room, from: "a" }, "a");

  it("numbers a room's pushes from 1 under one epoch, position first in the text", () => {
    history = new RoomHistory(10, 60_000, 1024 * 1024);
    const first = say("r", "one");
    const second = say("r", "two");
    expect([first.offset, second.offset]).to.deep.equal([1, 2]);
    const position = positionOf(second.json)!;
    expect(position.offset).to.equal(2);
    expect(JSON.parse(second.json)).to.deep.include({
      offset: 2,
      epoch: position.epoch,
      message: "two",
    });
    expect(say("other", "x").offset).to.equal(1);
  });

  it("reads what came after a position, and nothing when the client has it all", () => {
    history = new RoomHistory(10, 60_000, 1024 * 1024);
    const { epoch } = positionOf(say("r", "one").json)!;
    say("r", "two");
    say("r", "three");
    const read = history.read("r", { epoch, offset: 1 });
    expect(read.recovered).to.equal(true);
    if (read.recovered) expect(read.pushes.map((p) => p.offset)).to.deep.equal([2, 3]);
    expect(history.read("r", { epoch, offset: 3 })).to.deep.equal({ recovered: true, pushes: [] });
  });

  it("does not recover another epoch, a position ahead of the room, or pushes it trimmed", () => {
    history = new RoomHistory(3, 60_000, 1024 * 1024);
    const { epoch } = positionOf(say("r", "1").json)!;
    for (let i = 2; i <= 6; i++) say("r", String(i));
    expect(history.read("r", { epoch: "other", offset: 6 })).to.deep.equal({ recovered: false });
    expect(history.read("r", { epoch, offset: 7 })).to.deep.equal({ recovered: false });
    expect(history.read("r", { epoch, offset: 1 })).to.deep.equal({ recovered: false });
    const kept = history.read("r", { epoch, offset: 3 });
    expect(kept.recovered && kept.pushes.map((p) => p.offset)).to.deep.equal([4, 5, 6]);
  });

  it("keeps at most its bytes of text per room", () => {
    history = new RoomHistory(1_000, 60_000, 2_000);
    const { epoch } = positionOf(say("r", "x".repeat(900)).json)!;
    for (let i = 0; i < 5; i++) say("r", "x".repeat(900));
    const read = history.read("r", { epoch, offset: 4 });
    expect(read.recovered && read.pushes.length).to.equal(2);
    expect(history.read("r", { epoch, offset: 3 })).to.deep.equal({ recovered: false });
  });

  it("forgets a room no one hears once its window passed, but keeps a heard one", () => {
    history = new RoomHistory(10, 1_000, 1024 * 1024);
    say("quiet", "x");
    say("heard", "y");
    history.heard("heard", true);
    history.sweep(Date.now() + 2_000);
    expect(history.rooms).to.equal(1);
    const { epoch } = history.position("heard");
    // Its epoch survives (a client may still resume it); the old push itself aged out.
    expect(history.read("heard", { epoch, offset: 1 })).to.deep.equal({
      recovered: true,
      pushes: [],
    });
  });
});
