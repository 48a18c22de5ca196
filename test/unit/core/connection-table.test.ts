import { expect } from "chai";
import { Connection } from "../../../src/core/connection.js";
import { ConnectionTable } from "../../../src/core/connection-table.js";
import { PreparedMessage } from "../../../src/core/prepared-message.js";
import { recordingTransport } from "../../helpers/recording-transport.js";

describe("ConnectionTable: one record per connection, its lifecycle", () => {
  const setUp = () => {
    const table = new ConnectionTable();
    const ws = recordingTransport("ws");
    const tcp = recordingTransport("tcp");
    table.addTransport(ws);
    table.addTransport(tcp);
    const add = (transport = "ws", remoteIP = "127.0.0.1") => {
      const connection = new Connection(transport, { remoteIP, remotePort: 1 });
      table.add(connection);
      return connection;
    };
    return { table, ws, tcp, add };
  };

  it("refuses a connection of a transport it does not know", () => {
    const { table } = setUp();
    const stray = new Connection("sse", { remoteIP: "127.0.0.1", remotePort: 1 });
    expect(() => table.add(stray)).to.throw("no transport named sse");
    expect(table.size).to.equal(0);
  });

  it("holds an added connection as opening, and forgets it as closed on remove, once", () => {
    const { table, ws, add } = setUp();
    const connection = add();
    expect(connection.state).to.equal("opening");
    expect(connection.open).to.equal(true);
    expect(table.get(connection.id)).to.equal(connection);
    expect(table.remove(connection)).to.equal(true);
    expect(connection.state).to.equal("closed");
    expect(connection.open).to.equal(false);
    expect(table.get(connection.id)).to.equal(undefined);
    expect(table.size).to.equal(0);
    expect(table.remove(connection)).to.equal(false);
    expect(ws.calls).to.deep.equal([]);
  });

  it("keeps its counts per transport as connections come, go, and take a resumed session's id", () => {
    const { table, add } = setUp();
    expect(table.countsByTransport()).to.deep.equal({ ws: 0, tcp: 0 });
    const a = add("ws");
    const b = add("tcp");
    const c = add("ws");
    expect(table.countsByTransport()).to.deep.equal({ ws: 2, tcp: 1 });
    // A tcp socket resumes the session of ws connection `a`, whose socket is still here.
    table.rekey(b, a.id);
    expect(table.get(a.id)).to.equal(b);
    expect(table.size).to.equal(2);
    expect(table.countsByTransport()).to.deep.equal({ ws: 1, tcp: 1 });
    // The old socket goes later: it no longer holds the id, nothing more is taken off.
    table.remove(a);
    expect(table.countsByTransport()).to.deep.equal({ ws: 1, tcp: 1 });
    table.remove(b);
    table.remove(c);
    table.remove(c);
    expect(table.countsByTransport()).to.deep.equal({ ws: 0, tcp: 0 });
    expect(table.size).to.equal(0);
  });

  it("closes from the server side once: closing, then the goodbye, then the disconnect", () => {
    const { table, ws, add } = setUp();
    const connection = add();
    connection.state = "open";
    expect(table.close(connection, "rate limit")).to.equal(true);
    expect(connection.state).to.equal("closing");
    expect(connection.open).to.equal(false);
    expect(ws.calls).to.deep.equal([
      {
        kind: "send",
        ids: [connection.id],
        payload: { context: "api", status: "Bye!", reason: "rate limit" },
      },
      { kind: "disconnect", id: connection.id },
    ]);
    expect(table.close(connection, "slow consumer")).to.equal(false);
    expect(ws.calls).to.have.length(2);
    // Closing is not gone: the record stays until its transport lets it go.
    expect(table.get(connection.id)).to.equal(connection);
    expect(table.remove(connection)).to.equal(true);
    expect(table.close(connection, "timeout")).to.equal(false);
    expect(ws.calls).to.have.length(2);
  });

  it("puts a refusal's code and text in the goodbye", () => {
    const { table, ws, add } = setUp();
    const connection = add();
    table.close(connection, "not authorized", {
      code: "ERR_NOT_AUTHORIZED",
      error: "this token is banned",
    });
    expect(ws.sentTo(connection.id)).to.deep.equal([
      {
        context: "api",
        status: "Bye!",
        reason: "not authorized",
        code: "ERR_NOT_AUTHORIZED",
        error: "this token is banned",
      },
    ]);
  });

  it("says goodbye to a connection already closing (a quit), but not to a closed one", () => {
    const { table, ws, add } = setUp();
    const quitting = add();
    quitting.state = "closing";
    table.sayGoodbye(quitting, "quit");
    expect(ws.calls).to.deep.equal([
      {
        kind: "send",
        ids: [quitting.id],
        payload: { context: "api", status: "Bye!", reason: "quit" },
      },
      { kind: "disconnect", id: quitting.id },
    ]);
    table.remove(quitting);
    table.sayGoodbye(quitting, "quit");
    expect(ws.calls).to.have.length(2);
  });

  it("sends through the transport holding the connection, and nowhere for an unknown id", () => {
    const { table, ws, tcp, add } = setUp();
    const onTcp = add("tcp");
    const message = PreparedMessage.fromPayload({ context: "alert", message: "hi" });
    table.sendTo(onTcp.id, message);
    table.sendTo("no-such-id", message);
    expect(ws.calls).to.deep.equal([]);
    expect(tcp.sentTo(onTcp.id)).to.deep.equal([{ context: "alert", message: "hi" }]);
    expect(tcp.calls).to.have.length(1);
  });

  it("counts connections per transport, naming the ones with none", () => {
    const { table, add } = setUp();
    add("tcp");
    add("tcp");
    const gone = add("tcp");
    table.remove(gone);
    expect(table.countsByTransport()).to.deep.equal({ ws: 0, tcp: 2 });
    expect([...table.values()].map((c) => c.transport)).to.deep.equal(["tcp", "tcp"]);
  });

  it("groups ids by transport, leaving out ids it does not hold", () => {
    const { table, ws, tcp, add } = setUp();
    const [a, b, c] = [add("ws"), add("tcp"), add("ws")];
    const gone = add("tcp");
    table.remove(gone);
    const groups = table.group([a.id, b.id, "elsewhere", c.id, gone.id]);
    expect(groups).to.deep.equal([
      { transport: ws, ids: [a.id, c.id] },
      { transport: tcp, ids: [b.id] },
    ]);
  });
});
