import { expect } from "chai";
import { VERB_HANDLERS } from "../../../src/core/verb-handlers.js";
import { QUIT_VERBS, VERB_PARAMS, VERBS, isVerb } from "../../../src/core/verbs.js";

describe("the verb table", () => {
  it("lists every verb once, each either answered by a handler or a quit verb", () => {
    expect(VERBS).to.deep.equal(Object.keys(VERB_PARAMS));
    expect([...QUIT_VERBS]).to.have.members(["quit", "exit", "close"]);
    const answered = VERBS.filter((verb) => !QUIT_VERBS.has(verb));
    expect(Object.keys(VERB_HANDLERS)).to.have.members(answered);
  });

  it("knows its own verbs only, not names an object inherits", () => {
    for (const verb of VERBS) expect(isVerb(verb), verb).to.equal(true);
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "", "Say"]) {
      expect(isVerb(name), name).to.equal(false);
    }
  });
});
