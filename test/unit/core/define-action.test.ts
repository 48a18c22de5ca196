import { expect } from "chai";
import { defineAction } from "../../../src/core/actions/define-action.js";
import { ActionRegistry } from "../../../src/core/actions/action-registry.js";

describe("defineAction and input processing", () => {
  const add = defineAction({
    name: "add",
    inputs: {
      a: { required: true, formatter: Number },
      b: { default: 1 },
      note: { formatter: String },
    },
    run: ({ a, b, note }) => {
      // Compile-time checks: the types flow from the inputs.
      const sum: number = a + b;
      const maybe: string | undefined = note;
      // @ts-expect-error note may be undefined
      const sure: string = note;
      return { sum, maybe, sure };
    },
  });

  it("applies formatter, default and required in declaration order", () => {
    const registry = new ActionRegistry();
    registry.add(add);
    expect({ ...registry.processParams(add, {}, { a: "2", extra: true }) }).to.deep.equal({
      a: 2,
      b: 1,
    });
    expect({ ...registry.processParams(add, {}, { a: 2, b: null }) }).to.deep.equal({ a: 2, b: 1 });
    expect(() => registry.processParams(add, {}, { a: "" })).to.throw(
      "a is a required parameter for this action",
    );
  });

  it("turns a validator's false, string or throw into ERR_INVALID_PARAM", () => {
    const registry = new ActionRegistry();
    const action = defineAction({
      name: "v",
      inputs: {
        f: { validator: () => false },
        s: { validator: () => "too odd" },
        t: {
          validator: () => {
            throw new Error("exploded");
          },
        },
      },
      run: () => ({}),
    });
    expect(() => registry.processParams(action, {}, { f: 1 })).to.throw(
      "f is not valid: rejected by its validator",
    );
    expect(() => registry.processParams(action, {}, { s: 1 })).to.throw("s is not valid: too odd");
    expect(() => registry.processParams(action, {}, { t: 1 })).to.throw("t is not valid: exploded");
  });

  it("refuses an action without a valid name or run", () => {
    const registry = new ActionRegistry();
    expect(() => registry.add({ name: "has space", run: () => ({}) })).to.throw(/needs a name/);
    expect(() => registry.add({ name: "x" } as never)).to.throw('Action "x" has no run function.');
  });
});
