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

describe("inbound requests: shape", () => {
  it("refuses anything but a JSON object", () => {
    for (const text of ["[]", '[{"event":"say"}]', "null", "42", '"say"', "true"]) {
      expect(
        refusal(() => parseInboundText(text, 64)),
        text,
      ).to.equal("bad message: a request must be a JSON object");
    }
    for (const text of ["", "{", "{event:'say'}", '{"event":"say"}x', "undefined"]) {
      expect(
        refusal(() => parseInboundText(text, 64)),
        text,
      ).to.equal("bad message: the message is not valid JSON");
    }
  });

  it("needs a non-empty string event", () => {
    for (const event of [undefined, null, "", 1, ["say"], { name: "say" }]) {
      expect(
        refusal(() => toInboundRequest({ event }, 64)),
        String(event),
      ).to.equal("bad message: event must be a non-empty string");
    }
  });

  it("reads absent or null params as {}, and refuses params that are no object", () => {
    expect(toInboundRequest({ event: "roomView" }, 64)).to.deep.equal({
      event: "roomView",
      params: {},
    });
    expect(toInboundRequest({ event: "roomView", params: null }, 64).params).to.deep.equal({});
    for (const params of [[], [1], "x", 0, false]) {
      expect(refusal(() => toInboundRequest({ event: "say", params }, 64))).to.equal(
        "bad message: params must be an object",
      );
    }
  });

  it("keeps a string or finite number messageId, drops a null one, refuses any other", () => {
    for (const messageId of ["", "m1", 0, -1.5, 2 ** 53]) {
      expect(toInboundRequest({ event: "roomView", messageId }, 64).messageId).to.equal(messageId);
    }
    expect(toInboundRequest({ event: "roomView", messageId: null }, 64)).not.to.have.property(
      "messageId",
    );
    for (const messageId of [NaN, Infinity, -Infinity, true, {}, ["m1"]]) {
      expect(refusal(() => toInboundRequest({ event: "roomView", messageId }, 64))).to.equal(
        "bad message: messageId must be a string or a finite number",
      );
    }
  });

  it("keeps an ack of up to 64 messageIds, drops a null one, refuses any other", () => {
    const ack = ["c1", 2, "c3"];
    expect(toInboundRequest({ event: "roomView", ack }, 64).ack).to.deep.equal(ack);
    const full = Array.from({ length: 64 }, (_, i) => i);
    expect(toInboundRequest({ event: "roomView", ack: full }, 64).ack).to.have.length(64);
    expect(toInboundRequest({ event: "roomView", ack: null }, 64)).not.to.have.property("ack");
    for (const bad of ["c1", 1, {}, [NaN], [null], [["c1"]], [...full, 64]]) {
      expect(refusal(() => toInboundRequest({ event: "roomView", ack: bad }, 64))).to.equal(
        "bad message: ack must be an array of at most 64 messageIds",
      );
    }
  });

  it("copies params into an object that inherits nothing, and ignores other fields", () => {
    const decoded = JSON.parse(
      '{"event":"paramAdd","params":{"__proto__":{"x":1},"constructor":"c","key":"k"},"extra":1}',
    ) as Record<string, unknown>;
    const request = toInboundRequest(decoded, 64);
    expect(request).to.have.keys("event", "params");
    expect(request.params).not.to.equal(decoded.params);
    expect(Object.keys(request.params)).to.deep.equal(["__proto__", "constructor", "key"]);
    expect(request.params.__proto__).to.deep.equal({ x: 1 });
    expect(request.params.constructor).to.equal("c");
    expect(request.params.toString).to.equal(undefined);
    expect((request.params as { x?: unknown }).x).to.equal(undefined);
  });
});
