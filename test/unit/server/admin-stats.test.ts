import { expect } from "chai";
import { channel } from "node:diagnostics_channel";
import { CHANNELS } from "../../../src/core/instrumentation.js";
import {
  AdminStats,
  LATENCY_BOUNDS_MS,
  LatencyRing,
  percentiles,
  SecondRing,
  WINDOW_SECONDS,
} from "../../../src/server/admin-stats.js";

describe("AdminStats: rates and latency from rings of per-second buckets", () => {
  it("counts per second, forgets what left the window, and sums complete seconds", () => {
    const ring = new SecondRing();
    ring.add(100, 3);
    ring.add(100, 2);
    ring.add(101, 7);
    expect(ring.at(100)).to.equal(5);
    expect(ring.sum(102, 2)).to.equal(12);
    expect(ring.sum(101, 2)).to.equal(5); // second 101 is still filling
    // A whole window later the slot holds a new second: the old count is gone, not added.
    ring.add(100 + WINDOW_SECONDS, 1);
    expect(ring.at(100)).to.equal(0);
    expect(ring.at(100 + WINDOW_SECONDS)).to.equal(1);
    expect(ring.series(102 + WINDOW_SECONDS)).to.have.length(WINDOW_SECONDS - 1);
  });

  it("reads percentiles as the upper bound of the bucket they fall in", () => {
    expect(percentiles([])).to.deep.equal({ count: 0, p50: null, p90: null, p99: null });
    const ring = new LatencyRing();
    for (let i = 0; i < 90; i++) ring.observe(10, 1); // 1 ms
    for (let i = 0; i < 9; i++) ring.observe(11, 20); // 20 ms
    ring.observe(12, 500_000); // past the last bound
    const histogram = ring.histogram(12);
    expect(histogram.reduce((a, b) => a + b)).to.equal(100);
    const bound = (ms: number) => LATENCY_BOUNDS_MS.find((b) => b >= ms);
    expect(percentiles(histogram)).to.deep.equal({
      count: 100,
      p50: bound(1),
      p90: bound(1),
      p99: bound(20),
    });
    expect(bound(1)! / 1).to.be.within(1, 1.25);
    // Out of the window: those seconds are not counted.
    expect(ring.histogram(12 + WINDOW_SECONDS).reduce((a, b) => a + b)).to.equal(0);
  });

  it("takes this node's events from the diagnostics channels, and none once stopped", () => {
    let now = 1_000_000;
    const stats = new AdminStats("node-s", () => now);
    stats.start();
    const actionEnd = channel(CHANNELS.actionEnd);
    const errors = channel(CHANNELS.error);
    const received = channel(CHANNELS.messageReceived);
    for (let i = 0; i < 10; i++) {
      received.publish({ nodeId: "node-s", transport: "ws", count: 1 });
      actionEnd.publish({ nodeId: "node-s", action: "echo", durationMs: 2 });
    }
    received.publish({ nodeId: "another-node", transport: "ws", count: 1 });
    errors.publish({ nodeId: "node-s", code: "ERR_UNKNOWN_ACTION" });
    now += 1_000;
    const snapshot = stats.snapshot();
    expect(snapshot.rates).to.deep.include({ received: 1, actions: 1, errors: 0.1 });
    expect(snapshot.errors).to.deep.equal({ ERR_UNKNOWN_ACTION: 1 });
    expect(snapshot.recentErrors).to.deep.equal({ ERR_UNKNOWN_ACTION: 1 });
    expect(snapshot.latency.count).to.equal(10);
    stats.stop();
    received.publish({ nodeId: "node-s", transport: "ws", count: 1 });
    expect(stats.snapshot().rates.received).to.equal(1);
  });
});
