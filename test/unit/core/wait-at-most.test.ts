import { expect } from "chai";
import { waitAtMost } from "../../../src/core/wait-at-most.js";

describe("waitAtMost", () => {
  it("is true when the work settles in time, fulfilled or rejected", async () => {
    expect(await waitAtMost(Promise.resolve(1), 10_000)).to.equal(true);
    expect(await waitAtMost(Promise.reject(new Error("no")), 10_000)).to.equal(true);
  });

  it("is false when the time runs out first", async () => {
    expect(await waitAtMost(new Promise(() => undefined), 1)).to.equal(false);
  });
});
