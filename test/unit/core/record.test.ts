import { expect } from "chai";
import { emptyRecord } from "../../../src/core/record.js";

describe("emptyRecord", () => {
  it("inherits no key, and keeps __proto__ and constructor as plain data", () => {
    const record = emptyRecord();
    expect("toString" in record).to.equal(false);
    expect("constructor" in record).to.equal(false);
    expect(record.__proto__).to.equal(undefined);
    record["__proto__"] = { polluted: true };
    record["constructor"] = "c";
    expect(Object.keys(record)).to.deep.equal(["__proto__", "constructor"]);
    expect(JSON.stringify(record)).to.equal('{"__proto__":{"polluted":true},"constructor":"c"}');
    expect((emptyRecord() as { polluted?: unknown }).polluted).to.equal(undefined);
    expect(({} as { polluted?: unknown }).polluted).to.equal(undefined);
  });

  it("shares a frozen prototype that nothing can add keys to", () => {
    const proto = Object.getPrototypeOf(emptyRecord()) as object;
    expect(Object.isFrozen(proto)).to.equal(true);
    expect(Object.getPrototypeOf(proto)).to.equal(null);
    expect(Object.getPrototypeOf(emptyRecord())).to.equal(proto);
  });
});
