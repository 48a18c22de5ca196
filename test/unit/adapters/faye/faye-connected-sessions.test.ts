import { expect } from "chai";
import { FayeConnectedSessions } from "../../../../adapters/faye/faye-connected-sessions.js";

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("FayeConnectedSessions", () => {
  let ended: string[];
  let sessions: FayeConnectedSessions<string>;

  beforeEach(() => {
    ended = [];
    sessions = new FayeConnectedSessions<string>((clientId) => {
      ended.push(clientId);
      sessions.delete(clientId);
    }, 60_000);
  });

  afterEach(() => {
    for (const clientId of sessions.clientIds()) sessions.delete(clientId);
  });

  it("gives requests the connection until the session starts ending", () => {
    sessions.add("c1", "10.0.0.1").connection = "conn-1";
    expect(sessions.liveConnection("c1")).to.equal("conn-1");
    sessions.written("c1");
    sessions.beginEnding("c1");
    expect(sessions.liveConnection("c1")).to.equal(undefined);
    expect(sessions.get("c1")?.address).to.equal("10.0.0.1");
  });

  it("ends a session once faye has delivered everything written to it", async () => {
    sessions.add("c1", "10.0.0.1");
    sessions.written("c1");
    sessions.written("c1");
    expect(sessions.undelivered("c1")).to.equal(2);
    sessions.beginEnding("c1");
    sessions.delivered("c1");
    await immediate();
    expect(ended).to.deep.equal([]);
    const done = sessions.endings();
    sessions.delivered("c1");
    expect(sessions.undelivered("c1")).to.equal(0);
    await done;
    expect(ended).to.deep.equal(["c1"]);
    expect(sessions.has("c1")).to.equal(false);
  });

  it("ends a session with nothing undelivered on the next turn", async () => {
    sessions.add("c1", "10.0.0.1");
    sessions.beginEnding("c1");
    sessions.beginEnding("c1");
    await sessions.endings();
    expect(ended).to.deep.equal(["c1"]);
  });

  it("ends a session whose client never polls after the fallback", async () => {
    const quick = new FayeConnectedSessions<string>((clientId) => {
      ended.push(clientId);
      quick.delete(clientId);
    }, 20);
    quick.add("c1", "10.0.0.1");
    quick.written("c1");
    quick.beginEnding("c1");
    await quick.endings();
    expect(ended).to.deep.equal(["c1"]);
  });

  it("forgets a deleted session and settles its ending", async () => {
    sessions.add("c1", "10.0.0.1");
    sessions.written("c1");
    sessions.beginEnding("c1");
    const done = sessions.endings();
    expect(sessions.delete("c1")?.address).to.equal("10.0.0.1");
    await done;
    expect(sessions.delete("c1")).to.equal(undefined);
    sessions.delivered("c1");
    sessions.written("c1");
    expect(sessions.undelivered("c1")).to.equal(0);
    expect(ended).to.deep.equal([]);
  });
});
