import { expect } from "chai";
import { resolveConfig } from "../../../src/core/config.js";
import { Connection } from "../../../src/core/connection.js";
import { ActionwireError } from "../../../src/core/errors.js";
import { InProcessTransport } from "../../../src/core/in-process-transport.js";
import type { TransportClass } from "../../../src/core/realtime-transport.js";
import { VERB_HANDLERS, type VerbContext, checkParams } from "../../../src/core/verb-handlers.js";
import { MAX_ROOM_LENGTH, VERB_PARAMS, VERBS, type Verb } from "../../../src/core/verbs.js";

/** The code and message a call throws with; fails if it returns. */
function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ActionwireError);
    const { code, message } = error as ActionwireError;
    return { code, message };
  }
  return expect.fail("accepted");
}

/** The verbs with a required param of a kind, with that param's name. */
function verbsWith(kind: "string" | "room" | "any"): Array<[Verb, string]> {
  return VERBS.flatMap((verb) =>
    (VERB_PARAMS[verb] as readonly { name: string; kind: string; required: boolean }[])
      .filter((p) => p.required && p.kind === kind)
      .map((p): [Verb, string] => [verb, p.name]),
  );
}

describe("checkParams", () => {
  it("has verbs with required params of every kind to check", () => {
    expect(verbsWith("string").map(([verb]) => verb)).to.include.members(["say", "paramAdd"]);
    expect(verbsWith("room").map(([verb]) => verb)).to.have.members([
      "roomChange",
      "listenToRoom",
      "silenceRoom",
    ]);
    expect(verbsWith("any")).to.deep.equal([["action", "action"]]);
  });

  for (const kind of ["string", "room", "any"] as const) {
    it(`refuses a required ${kind} param that is absent, undefined, null or "" as missing`, () => {
      for (const [verb, name] of verbsWith(kind)) {
        for (const params of [{}, { [name]: undefined }, { [name]: null }, { [name]: "" }]) {
          expect(
            refusal(() => checkParams(verb, params)),
            `${verb} ${JSON.stringify(params)}`,
          ).to.deep.equal({
            code: "ERR_MISSING_PARAM",
            message: `${name} is a required parameter`,
          });
        }
      }
    });
  }

  it("refuses a string or room param of another type as invalid", () => {
    for (const [verb, name] of [...verbsWith("string"), ...verbsWith("room")]) {
      for (const value of [0, 1, false, true, {}, [], ["lobby"], { room: "lobby" }]) {
        expect(
          refusal(() => checkParams(verb, { [name]: value })),
          `${verb} ${String(value)}`,
        ).to.deep.equal({
          code: "ERR_INVALID_PARAM",
          message: `${name} is not valid: must be a string`,
        });
      }
    }
  });

  it(`takes a room name of up to ${MAX_ROOM_LENGTH} characters, and refuses a longer one`, () => {
    const longest = "r".repeat(MAX_ROOM_LENGTH);
    for (const [verb, name] of verbsWith("room")) {
      expect(checkParams(verb, { [name]: longest })).to.deep.equal({ [name]: longest });
      expect(refusal(() => checkParams(verb, { [name]: `${longest}r` }))).to.deep.equal({
        code: "ERR_INVALID_PARAM",
        message: `${name} is not valid: longer than ${MAX_ROOM_LENGTH} characters`,
      });
    }
    // A string param that is no room has no such bound here.
    const long = "m".repeat(MAX_ROOM_LENGTH * 4);
    expect(checkParams("say", { message: long }).message).to.equal(long);
  });

  it("takes any present value for an any param, falsy ones included", () => {
    for (const action of ["echo", 0, false, {}, [], { nested: [1] }]) {
      expect(checkParams("action", { action }).action).to.equal(action);
    }
  });

  it("lets an optional param be absent or null, and takes any value for it", () => {
    expect(checkParams("paramAdd", { key: "k" })).to.deep.equal({ key: "k" });
    for (const value of [null, "", 0, false, { a: 1 }, "text"]) {
      expect(checkParams("paramAdd", { key: "k", value }).value).to.equal(value);
    }
  });

  it("reports the first failing param in declaration order", () => {
    expect(refusal(() => checkParams("paramAdd", { value: 1 })).message).to.equal(
      "key is a required parameter",
    );
    expect(refusal(() => checkParams("paramAdd", { key: 5, value: undefined })).message).to.equal(
      "key is not valid: must be a string",
    );
  });

  it("returns the request's params as they are, undeclared ones included", () => {
    const params = { action: "cacheTest", key: "k", value: 1 };
    expect(checkParams("action", params)).to.equal(params);
    const view = { anything: [1], else: null };
    expect(checkParams("roomView", view)).to.equal(view);
  });
});

describe("the sticky param verbs", () => {
  const context = (limits: { maxParams?: number; maxParamsBytes?: number }) =>
    ({
      config: resolveConfig(
        { transports: ["inprocess"], limits },
        new Map<string, TransportClass>([["inprocess", InProcessTransport]]),
      ),
    }) as VerbContext;
  const connection = () => new Connection("inprocess", { remoteIP: "127.0.0.1", remotePort: 1 });
  const add = (ctx: VerbContext, c: Connection, key: string, value?: unknown) =>
    VERB_HANDLERS.paramAdd(ctx, c, { key, value }, { key, value });
  const remove = (ctx: VerbContext, c: Connection, key: string) =>
    VERB_HANDLERS.paramDelete(ctx, c, { key }, { key });

  it("stores an absent value as null", () => {
    const c = connection();
    expect(add(context({}), c, "k")).to.deep.equal({ status: "OK" });
    expect(c.params).to.deep.equal({ k: null });
    expect(c.paramsSize).to.equal(Connection.paramBytes("k", null));
  });

  it("counts keys against maxParams, letting a key at the limit be replaced", () => {
    const ctx = context({ maxParams: 2 });
    const c = connection();
    add(ctx, c, "a", 1);
    add(ctx, c, "b", 2);
    expect(refusal(() => add(ctx, c, "c", 3))).to.deep.equal({
      code: "ERR_LIMIT_EXCEEDED",
      message: "too many sticky params: limits.maxParams is 2",
    });
    add(ctx, c, "b", "two");
    expect(c.params).to.deep.equal({ a: 1, b: "two" });
    remove(ctx, c, "a");
    add(ctx, c, "c", 3);
    expect(c.params).to.deep.equal({ b: "two", c: 3 });
  });

  it("counts key and JSON value in UTF-8 bytes against maxParamsBytes, a replaced value once", () => {
    // "k" plus "\"éé\"" is 1 + 6 bytes; the limit is two of them.
    const ctx = context({ maxParamsBytes: 14 });
    const c = connection();
    add(ctx, c, "k", "éé");
    expect(c.paramsSize).to.equal(7);
    add(ctx, c, "k", "éé"); // replaced, not added to
    add(ctx, c, "j", "éé");
    expect(c.paramsSize).to.equal(14);
    expect(refusal(() => add(ctx, c, "k", "ééé"))).to.deep.equal({
      code: "ERR_LIMIT_EXCEEDED",
      message: "sticky params too large: limits.maxParamsBytes is 14 bytes",
    });
    expect(c.params).to.deep.equal({ k: "éé", j: "éé" });
    expect(c.paramsSize).to.equal(14);
  });

  it("gives the bytes back on delete, and all of them on paramsDelete", () => {
    const ctx = context({ maxParamsBytes: 14 });
    const c = connection();
    add(ctx, c, "k", "éé");
    add(ctx, c, "j", "éé");
    remove(ctx, c, "k");
    remove(ctx, c, "missing");
    expect(c.paramsSize).to.equal(7);
    add(ctx, c, "k", "éé");
    VERB_HANDLERS.paramsDelete(ctx, c, {}, {});
    expect(c.params).to.deep.equal({});
    expect(c.paramsSize).to.equal(0);
    add(ctx, c, "a", "éé");
    add(ctx, c, "b", "éé");
    expect(c.paramsSize).to.equal(14);
  });

  it("keeps a key named like an inherited member as plain data", () => {
    const ctx = context({});
    const c = connection();
    expect(VERB_HANDLERS.paramView(ctx, c, { key: "toString" }, {})).to.deep.equal({
      status: "OK",
      data: null,
    });
    add(ctx, c, "__proto__", { polluted: true });
    expect(VERB_HANDLERS.paramView(ctx, c, { key: "__proto__" }, {})).to.deep.equal({
      status: "OK",
      data: { polluted: true },
    });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
