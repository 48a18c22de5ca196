import { expect } from "chai";
import { MemorySessionStore } from "../../../../src/core/sessions/memory-session-store.js";
import type { SessionRecord, SessionStore } from "../../../../src/core/sessions/session-store.js";

describe("sessions in memory", () => {
  const record = (id: string): SessionRecord => ({
    id,
    tokenHash: "h",
    identity: "true",
    room: null,
    listening: [],
    params: {},
    data: {},
    attachment: 1,
    left: false,
  });
  let store: MemorySessionStore;
  afterEach(() => store.clear());

  it("keeps at most its bound, forgetting the session written longest ago", async () => {
    store = new MemorySessionStore(2);
    await store.save(record("a"), 60_000);
    await store.save(record("b"), 60_000);
    await store.save(record("a"), 60_000); // written again: now the newest
    await store.save(record("c"), 60_000);
    expect(store.size).to.equal(2);
    expect(await store.load("b")).to.equal(undefined);
    expect((await store.load("a"))?.id).to.equal("a");
  });

  it("keeps a session's last replies and alerts, numbered, within their bounds", async () => {
    store = new MemorySessionStore();
    const sessions: SessionStore = store; // through the interface, ttls and all
    await sessions.save(record("a"), 60_000);
    for (let i = 1; i <= 4; i++) await sessions.replied("a", `"c${i}"`, `{"n":${i}}`, 3, 60_000);
    expect([...(await sessions.requests("a")).keys()]).to.deep.equal(['"c2"', '"c3"', '"c4"']);
    for (let i = 1; i <= 3; i++)
      await sessions.alert("a", { context: "alert", message: `m${i}` }, 2, 60_000);
    expect(await sessions.alerts("a", 1)).to.deep.equal({
      last: 3,
      alerts: [
        '{"seq":2,"context":"alert","message":"m2"}',
        '{"seq":3,"context":"alert","message":"m3"}',
      ],
    });
    expect(await sessions.alert("nobody", { context: "alert", message: "x" }, 2, 60_000)).to.equal(
      undefined,
    );
  });

  it("takes a dropped session's recorded requests with its record, and sees what is recorded there later", async () => {
    store = new MemorySessionStore();
    await store.save(record("a"), 60_000);
    // The session's own map, handed over when its socket drops (a request still running there
    // records its reply in it afterwards).
    const recorded = new Map([['"c1"', '{"n":1}']]);
    await store.save(record("a"), 60_000, recorded);
    recorded.set('"c2"', '{"n":2}');
    expect([...(await store.requests("a")).keys()]).to.deep.equal(['"c1"', '"c2"']);
    await store.save(record("b"), 60_000, new Map([['"x"', "{}"]]));
    expect([...(await store.requests("b")).keys()]).to.deep.equal(['"x"']);
  });

  it("answers for a session that recorded nothing, and hands out copies of its record", async () => {
    store = new MemorySessionStore();
    await store.save(record("a"), 60_000);
    expect(await store.requests("a")).to.deep.equal(new Map());
    expect(await store.alerts("a", 0)).to.deep.equal({ last: 0, alerts: [] });
    const loaded = await store.load("a");
    await store.save({ ...record("a"), room: "lobby", attachment: 2 }, 60_000);
    expect(loaded?.room).to.equal(null);
    expect((await store.load("a"))?.room).to.equal("lobby");
    expect((await store.load("a"))?.attachment).to.equal(2);
  });

  it("forgets a session once its time to live passed", async () => {
    store = new MemorySessionStore();
    await store.save(record("a"), 1);
    const until = Date.now() + 5;
    while (Date.now() < until) await new Promise((resolve) => setImmediate(resolve));
    expect(await store.load("a")).to.equal(undefined);
  });
});
