import { expect } from "chai";
import { ActionwireError } from "../../../src/core/errors.js";
import { parseInboundText, toInboundRequest } from "../../../src/core/inbound-request.js";

/** A value nested `levels` deep (counting itself), built of arrays or objects or both. */
function nested(levels: number, kind: "array" | "object" | "mixed"): unknown {
  let value: unknown = kind === "object" ? {} : [];
  for (let level = 2; level <= levels; level++) {
    const asArray = kind === "array" || (kind === "mixed" && level % 2 === 0);
    value = asArray ? [1, "x", value] : { n: 1, inner: value };
  }
  return value;
}

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ActionwireError);
    return (error as ActionwireError).message;
  }
  return expect.fail("accepted");
};

describe("inbound requests: the nesting limit", () => {
  // The request is level 1 and its params level 2, so a value in params at depth d is at
  // level d + 2.
  for (const kind of ["array", "object", "mixed"] as const) {
    it(`counts ${kind} nesting, decoded or as text, up to the limit and not past it`, () => {
      const at = (levels: number) => ({ event: "action", params: { x: nested(levels, kind) } });
      expect(toInboundRequest(at(8), 10).event).to.equal("action");
      expect(refusal(() => toInboundRequest(at(9), 10))).to.equal(
        "bad message: nesting deeper than 10 levels",
      );
      // Text long enough to be walked (over twice the limit in characters).
      expect(parseInboundText(JSON.stringify(at(8)), 10).event).to.equal("action");
      expect(refusal(() => parseInboundText(JSON.stringify(at(9)), 10))).to.equal(
        "bad message: nesting deeper than 10 levels",
      );
    });
  }

  it("finds the deep branch among shallow siblings, and walks a 10,000-level value", () => {
    const request = {
      event: "say",
      params: { a: [1, 2, {}], b: { c: nested(20, "mixed") }, d: 1 },
    };
    expect(refusal(() => toInboundRequest(request, 21))).to.match(/nesting deeper than 21/);
    expect(toInboundRequest(request, 23).params).to.have.keys("a", "b", "d");
    const deep = { event: "say", params: { x: nested(10_000, "array") } };
    expect(refusal(() => toInboundRequest(deep, 10_000))).to.match(/nesting deeper than 10000/);
  });
});
