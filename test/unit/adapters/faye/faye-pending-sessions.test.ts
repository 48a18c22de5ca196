import { expect } from "chai";
import {
  FayePendingSessions,
  TOO_MANY_FROM_ADDRESS,
  TOO_MANY_ON_SERVER,
} from "../../../../adapters/faye/faye-pending-sessions.js";

describe("FayePendingSessions", () => {
  let expired: string[];
  let pending: FayePendingSessions;

  const start = (perNode: number, perAddress: number, deadlineMs = 60_000) => {
    pending = new FayePendingSessions({ perNode, perAddress, deadlineMs }, (clientId) =>
      expired.push(clientId),
    );
  };

  beforeEach(() => {
    expired = [];
  });

  afterEach(() => pending.clear());

  it("refuses a handshake from an address holding its bound, then from anywhere at the node's", () => {
    start(3, 2);
    pending.add("a1", "10.0.0.1");
    expect(pending.refusal("10.0.0.1")).to.equal(undefined);
    pending.add("a2", "10.0.0.1");
    expect(pending.refusal("10.0.0.1")).to.equal(TOO_MANY_FROM_ADDRESS);
    expect(pending.refusal("10.0.0.2")).to.equal(undefined);
    pending.add("b1", "10.0.0.2");
    expect(pending.refusal("10.0.0.3")).to.equal(TOO_MANY_ON_SERVER);
    expect(pending.size).to.equal(3);
  });

  it("has no bound per address at 0", () => {
    start(3, 0);
    pending.add("a1", "10.0.0.1");
    pending.add("a2", "10.0.0.1");
    expect(pending.refusal("10.0.0.1")).to.equal(undefined);
  });

  it("stops counting a session that got its connection, and gives back its address", () => {
    start(10, 1);
    pending.add("a1", "10.0.0.1");
    pending.add("a1", "10.0.0.9");
    expect(pending.delete("a1")).to.equal("10.0.0.1");
    expect(pending.delete("a1")).to.equal(undefined);
    expect(pending.has("a1")).to.equal(false);
    expect(pending.refusal("10.0.0.1")).to.equal(undefined);
  });

  it("ends a session still without a connection at its deadline, and only that one", async () => {
    const expiredOnce = new Promise<void>((resolve) => {
      pending = new FayePendingSessions({ perNode: 10, perAddress: 0, deadlineMs: 20 }, (id) => {
        expired.push(id);
        resolve();
      });
    });
    pending.add("subscribed", "10.0.0.1");
    pending.add("late", "10.0.0.1");
    pending.delete("subscribed");
    await expiredOnce;
    expect(expired).to.deep.equal(["late"]);
    expect(pending.size).to.equal(0);
  });
});
