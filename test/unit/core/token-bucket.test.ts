import { expect } from "chai";
import { TokenBucket } from "../../../src/core/token-bucket.js";

/** How many takes at one instant succeed before the first refusal (at most 1,000). */
function takesAt(bucket: TokenBucket, now: number): number {
  let taken = 0;
  while (taken < 1_000 && bucket.take(now)) taken++;
  return taken;
}

describe("TokenBucket", () => {
  it("starts full: a burst of exactly `rate` messages, then refusal", () => {
    const bucket = new TokenBucket(5, 0);
    expect(takesAt(bucket, 0)).to.equal(5);
    expect(bucket.take(0)).to.equal(false);
  });

  it("refills at `rate` tokens per second, keeping fractions across refusals", () => {
    const bucket = new TokenBucket(4, 0);
    takesAt(bucket, 0);
    // One token every 250 ms: half a token at 125 ms is not enough, and is not lost.
    expect(bucket.take(125)).to.equal(false);
    expect(bucket.take(250)).to.equal(true);
    expect(bucket.take(250)).to.equal(false);
    expect(takesAt(bucket, 1_250)).to.equal(4);
  });

  it("holds no more than `rate` tokens, however long it was idle", () => {
    const bucket = new TokenBucket(3, 0);
    expect(takesAt(bucket, 60_000)).to.equal(3);
    expect(takesAt(bucket, 60_000 + 1_000)).to.equal(3);
  });

  it("counts limitedFor from the first refusal in a row, and resets it on an accepted take", () => {
    const bucket = new TokenBucket(1, 0);
    expect(bucket.limitedFor(0)).to.equal(0);
    expect(bucket.take(0)).to.equal(true);
    expect(bucket.limitedFor(10)).to.equal(0);
    expect(bucket.take(100)).to.equal(false);
    expect(bucket.take(300)).to.equal(false);
    expect(bucket.limitedFor(700)).to.equal(600);
    expect(bucket.take(1_100)).to.equal(true);
    expect(bucket.limitedFor(1_100)).to.equal(0);
    expect(bucket.take(1_200)).to.equal(false);
    expect(bucket.limitedFor(1_250)).to.equal(50);
  });

  it("does not count time as limited while it is not refusing", () => {
    const bucket = new TokenBucket(2, 0);
    bucket.take(0);
    expect(bucket.limitedFor(5_000)).to.equal(0);
  });
});
