import { expect } from "chai";
import { resolveConfig } from "../../../src/core/config.js";
import { Connection } from "../../../src/core/connection.js";
import { ConnectionTable } from "../../../src/core/connection-table.js";
import { InProcessTransport } from "../../../src/core/in-process-transport.js";
import { MemoryClusterBus } from "../../../src/core/memory-cluster-bus.js";
import type { TransportClass } from "../../../src/core/realtime-transport.js";
import { RoomManager } from "../../../src/core/rooms/room-manager.js";
import { type RecordingTransport, recordingTransport } from "../../helpers/recording-transport.js";

/** The ids of each `send` a transport got, in order. */
function sends(transport: RecordingTransport): string[][] {
  return transport.calls.flatMap((call) => (call.kind === "send" ? [call.ids] : []));
}

/** Counts how often the room manager asks for a grouping. */
class CountingTable extends ConnectionTable {
  groupings = 0;
  override group(ids: Iterable<string>): ReturnType<ConnectionTable["group"]> {
    this.groupings++;
    return super.group(ids);
  }
}

describe("room fan-out (room manager and connection table)", () => {
  const setUp = async () => {
    // The room manager reads roomNotices and the room rules; the transports it sends through
    // are the two recording ones below, whatever config names.
    const config = resolveConfig(
      { transports: ["inprocess"], roomNotices: false },
      new Map<string, TransportClass>([["inprocess", InProcessTransport]]),
    );
    const table = new CountingTable();
    const ws = recordingTransport("ws");
    const tcp = recordingTransport("tcp");
    table.addTransport(ws);
    table.addTransport(tcp);
    const bus = new MemoryClusterBus();
    const rooms = new RoomManager(config, bus, table, {});
    await bus.start({
      roomMessage: (envelope) => rooms.roomMessage(envelope),
      membersReaped: () => undefined,
      command: () => undefined,
    });
    const connect = async (transport: string) => {
      const connection = new Connection(transport, { remoteIP: "127.0.0.1", remotePort: 1 });
      table.add(connection);
      await rooms.join(connection, "lobby");
      return connection;
    };
    return { table, ws, tcp, rooms, connect };
  };

  it("sends a room message to each transport once, with its members but the sender", async () => {
    const { ws, tcp, rooms, connect } = await setUp();
    const [a, b, c] = [await connect("ws"), await connect("ws"), await connect("tcp")];
    await rooms.say(a, "hello");
    expect(sends(ws)).to.deep.equal([[b.id]]);
    expect(sends(tcp)).to.deep.equal([[c.id]]);
    await rooms.say(c, "back");
    expect(sends(ws).at(-1)).to.have.members([a.id, b.id]);
    expect(sends(tcp)).to.have.length(1); // c was the only tcp member: nothing to send there
  });

  it("groups a room's audience once, and again only after it changes", async () => {
    const { table, ws, rooms, connect } = await setUp();
    const a = await connect("ws");
    const b = await connect("ws");
    for (let i = 0; i < 3; i++) await rooms.say(a, `message ${i}`);
    expect(table.groupings).to.equal(1);
    const c = await connect("ws");
    await rooms.say(a, "after a join");
    expect(table.groupings).to.equal(2);
    expect(sends(ws).at(-1)).to.have.members([b.id, c.id]);
    await rooms.drop(b);
    await rooms.say(a, "after a leave");
    expect(table.groupings).to.equal(3);
    expect(sends(ws).at(-1)).to.deep.equal([c.id]);
  });

  it("does not change the shared grouping when it leaves the sender out", async () => {
    const { ws, rooms, connect } = await setUp();
    const a = await connect("ws");
    const b = await connect("ws");
    await rooms.say(a, "from a");
    await rooms.say(b, "from b");
    await rooms.say(a, "from a again");
    expect(sends(ws)).to.deep.equal([[b.id], [a.id], [b.id]]);
  });
});
