import { expect } from "chai";
import { MemorySessionStore } from "../../../src/core/sessions/memory-session-store.js";
import { Sessions } from "../../../src/core/sessions/sessions.js";
import { Admission } from "../../../src/core/admission.js";
import { type ActionwireConfig, resolveConfig } from "../../../src/core/config.js";
import { Connection } from "../../../src/core/connection.js";
import { ConnectionTable } from "../../../src/core/connection-table.js";
import { ActionwireError } from "../../../src/core/errors.js";
import { InProcessTransport } from "../../../src/core/in-process-transport.js";
import type { Logger } from "../../../src/core/logger.js";
import type { TransportClass } from "../../../src/core/realtime-transport.js";
import type { RoomManager } from "../../../src/core/rooms/room-manager.js";
import { recordingTransport } from "../../helpers/recording-transport.js";

const WELCOME = "Hello! Welcome to the actionwire api";

/**
 * An admission with a real connection table over a recording transport, and a room manager
 * reduced to what admission asks of it (authorize the default room, join it), recorded.
 */
function setUp(
  config: ActionwireConfig = {},
  authorize: (room: string) => Promise<void> = async () => undefined,
) {
  const resolved = resolveConfig(
    { transports: ["inprocess"], ...config },
    new Map<string, TransportClass>([["inprocess", InProcessTransport]]),
  );
  const logged: string[] = [];
  const log = (message: string) => void logged.push(message);
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  const table = new ConnectionTable();
  const transport = recordingTransport("ws");
  table.addTransport(transport);
  const joins: string[] = [];
  const rooms = {
    authorize: (_kind: string, _connection: Connection, room: string) => authorize(room),
    join: async (connection: Connection, room: string) => {
      // The welcome goes out before the join's own announcements.
      expect(transport.sentTo(connection.id).at(-1)).to.include({ welcome: WELCOME, room });
      joins.push(room);
    },
  } as unknown as RoomManager;
  const sessions = new Sessions(resolved, logger, table, rooms, new MemorySessionStore());
  const admission = new Admission(resolved, logger, table, rooms, sessions);
  /** Accepts a connection as the dispatcher does: into the table, then admitted. */
  const accept = (remoteIP = "127.0.0.1") => {
    const connection = new Connection("ws", { remoteIP, remotePort: 1 });
    table.add(connection);
    return { connection, admitted: admission.admit(connection) };
  };
  const sentTo = (connection: Connection) => transport.sentTo(connection.id);
  return { admission, table, transport, accept, sentTo, joins, logged };
}

const refusedAs = (reason: string, code: string, error: string) => [
  { context: "api", status: "Bye!", reason, code, error },
];

describe("Admission", () => {
  it("welcomes a connection after the current task, then puts it in the default room", async () => {
    const { accept, sentTo, joins } = setUp();
    const { connection, admitted } = accept();
    // The transport that accepted it still has the task to keep its socket under its id.
    expect(sentTo(connection)).to.deep.equal([]);
    expect(connection.state).to.equal("opening");
    expect(connection.admission).to.equal(admitted);
    expect(await admitted).to.equal(true);
    expect(connection.state).to.equal("open");
    expect(connection.admission).to.equal(undefined);
    expect(sentTo(connection)).to.deep.equal([
      { context: "api", welcome: WELCOME, room: "defaultRoom" },
    ]);
    expect(joins).to.deep.equal(["defaultRoom"]);
  });

  it("welcomes into no room when there is no default room", async () => {
    const { accept, sentTo, joins } = setUp({ defaultRoom: null }, async () =>
      expect.fail("nothing to authorize"),
    );
    const { connection, admitted } = accept();
    expect(await admitted).to.equal(true);
    expect(sentTo(connection)).to.deep.equal([{ context: "api", welcome: WELCOME, room: null }]);
    expect(joins).to.deep.equal([]);
  });

  it("turns away a connection over maxConnections, counting the ones accepted in the same task", async () => {
    const { accept, sentTo, joins } = setUp({ limits: { maxConnections: 2 } });
    const accepted = [accept(), accept(), accept()];
    // Turned away after the current task too: the transport has yet to keep its socket.
    expect(sentTo(accepted[2]!.connection)).to.deep.equal([]);
    const verdicts = await Promise.all(accepted.map(({ admitted }) => admitted));
    expect(verdicts).to.deep.equal([true, true, false]);
    const turnedAway = accepted[2]!.connection;
    expect(turnedAway.state).to.equal("closing");
    expect(sentTo(turnedAway)).to.deep.equal(
      refusedAs("too many connections", "ERR_TOO_MANY_CONNECTIONS", "too many connections"),
    );
    expect(joins).to.have.length(2);
  });

  it("turns away a connection over maxConnectionsPerIP, and counts an address down on release", async () => {
    const { admission, table, accept, sentTo } = setUp({ limits: { maxConnectionsPerIP: 2 } });
    const first = [accept("10.0.0.1"), accept("10.0.0.1"), accept("10.0.0.1"), accept("10.0.0.2")];
    expect(await Promise.all(first.map(({ admitted }) => admitted))).to.deep.equal([
      true,
      true,
      false,
      true,
    ]);
    expect(sentTo(first[2]!.connection)).to.deep.equal(
      refusedAs("too many connections", "ERR_TOO_MANY_CONNECTIONS", "too many connections"),
    );
    // The turned-away one and one of the first two go: one more from that address fits.
    for (const { connection } of [first[2]!, first[0]!]) {
      table.remove(connection);
      admission.release(connection);
    }
    expect(await accept("10.0.0.1").admitted).to.equal(true);
    expect(await accept("10.0.0.1").admitted).to.equal(false);
    // An address whose last connection goes starts again from nothing.
    table.remove(first[3]!.connection);
    admission.release(first[3]!.connection);
    expect(await accept("10.0.0.2").admitted).to.equal(true);
    expect(await accept("10.0.0.2").admitted).to.equal(true);
  });

  describe("config.authenticate", () => {
    for (const [label, verdict] of [
      ["false", false],
      ["undefined", undefined],
      ['"yes"', "yes"],
      ["1", 1],
      ["an array", [{ user: "ada" }]],
      ["null", null],
    ] as const) {
      it(`refuses a connection when it returns ${label}`, async () => {
        const { accept, sentTo, joins } = setUp({ authenticate: () => verdict });
        const { connection, admitted } = accept();
        expect(await admitted).to.equal(false);
        expect(connection.state).to.equal("closing");
        expect(sentTo(connection)).to.deep.equal(
          refusedAs("not authorized", "ERR_NOT_AUTHORIZED", "not authorized to connect"),
        );
        expect(joins).to.deep.equal([]);
      });
    }

    it("merges an identity it returns into connection.data", async () => {
      const { accept } = setUp({ authenticate: async () => ({ user: "ada", role: "staff" }) });
      const { connection, admitted } = accept();
      connection.data.kept = true;
      expect(await admitted).to.equal(true);
      expect(connection.data).to.deep.equal({ kept: true, user: "ada", role: "staff" });
    });

    it("shows an ActionwireError's message, and logs any other throw behind the generic text", async () => {
      const banned = setUp({
        authenticate: () => {
          throw new ActionwireError("ERR_NOT_AUTHORIZED", "this token is banned");
        },
      });
      const refused = banned.accept();
      expect(await refused.admitted).to.equal(false);
      expect(banned.sentTo(refused.connection)).to.deep.equal(
        refusedAs("not authorized", "ERR_NOT_AUTHORIZED", "this token is banned"),
      );
      expect(banned.logged).to.deep.equal([]);

      const broken = setUp({ authenticate: () => Promise.reject(new Error("db down")) });
      const failed = broken.accept();
      expect(await failed.admitted).to.equal(false);
      expect(broken.sentTo(failed.connection)).to.deep.equal(
        refusedAs("not authorized", "ERR_NOT_AUTHORIZED", "not authorized to connect"),
      );
      expect(broken.logged).to.deep.equal(["authenticate threw"]);
    });

    it("welcomes no connection that closed while it ran", async () => {
      for (const end of ["server", "transport"] as const) {
        let verdict: (accepted: boolean) => void = () => undefined;
        let reached: () => void = () => undefined;
        const asked = new Promise<void>((resolve) => (reached = resolve));
        const { table, accept, sentTo, joins } = setUp({
          authenticate: () => {
            reached();
            return new Promise<boolean>((resolve) => (verdict = resolve));
          },
        });
        const { connection, admitted } = accept();
        await asked;
        if (end === "server") table.close(connection, "disconnected by server");
        else table.remove(connection);
        verdict(true);
        expect(await admitted, end).to.equal(false);
        expect(
          sentTo(connection).some((m) => "welcome" in m),
          end,
        ).to.equal(false);
        expect(joins, end).to.deep.equal([]);
      }
    });

    it("is not asked about a connection its transport let go before admission began", async () => {
      let asked = 0;
      const { table, accept, sentTo, logged } = setUp({ authenticate: () => ++asked > 0 });
      const { connection, admitted } = accept();
      table.remove(connection);
      expect(await admitted).to.equal(false);
      expect(asked).to.equal(0);
      expect(sentTo(connection)).to.deep.equal([]);
      expect(logged).to.deep.equal([]);
    });
  });

  it("starts a connection in no room when the default room is refused, logging only a failing hook", async () => {
    for (const [refusal, logged] of [
      [new ActionwireError("ERR_NOT_AUTHORIZED", "not for you"), []],
      [new Error("hook crashed"), ["authorizing the default room failed"]],
    ] as const) {
      const setup = setUp({}, () => Promise.reject(refusal));
      const { connection, admitted } = setup.accept();
      expect(await admitted).to.equal(true);
      expect(connection.state).to.equal("open");
      expect(setup.sentTo(connection)).to.deep.equal([
        { context: "api", welcome: WELCOME, room: null },
      ]);
      expect(setup.joins).to.deep.equal([]);
      expect(setup.logged).to.deep.equal(logged);
    }
  });
});
