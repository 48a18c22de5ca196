import { expect } from "chai";
import { isMissing } from "../../../src/core/is-missing.js";

describe("isMissing", () => {
  it("counts absent, null and the empty string as missing, and nothing else", () => {
    expect([undefined, null, ""].map(isMissing)).to.deep.equal([true, true, true]);
    expect([0, false, " ", [], {}, "0"].map(isMissing)).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
