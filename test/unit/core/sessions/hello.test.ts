import { expect } from "chai";
import { resolveConfig } from "../../../../src/core/config.js";
import { ActionwireError } from "../../../../src/core/errors.js";
import { parseHello } from "../../../../src/core/sessions/hello.js";
import {
  hashToken,
  identityOf,
  newToken,
  tokenMatches,
} from "../../../../src/core/sessions/session-token.js";

describe("the hello", () => {
  const limits = resolveConfig(
    { limits: { maxListenedRooms: 2, maxParamsBytes: 100 } },
    new Map(),
  ).limits;
  const refused = (params: Record<string, unknown>) => {
    try {
      parseHello(params, limits);
    } catch (error) {
      expect(error).to.be.instanceOf(ActionwireError);
      expect((error as ActionwireError).code).to.equal("ERR_BAD_MESSAGE");
      return (error as Error).message;
    }
    throw new Error("accepted");
  };
  const resume = { session: "s", token: "t" };

  it("takes auth and a resume request, with positions per room and the last alert", () => {
    const hello = parseHello(
      {
        auth: { user: "a" },
        resume: { ...resume, rooms: { r: { epoch: "e", offset: 3 } }, alerts: 2 },
      },
      limits,
    );
    expect(hello.auth).to.deep.equal({ user: "a" });
    expect(hello.resume?.rooms.get("r")).to.deep.equal({ epoch: "e", offset: 3 });
    expect(hello.resume?.alerts).to.equal(2);
    expect(parseHello({}, limits)).to.deep.equal({});
  });

  it("refuses each malformed part with a sentence that names it", () => {
    expect(refused({ auth: "token" })).to.equal("bad hello: auth must be an object");
    expect(refused({ auth: { big: "x".repeat(100) } })).to.match(
      /auth is larger than limits.maxParamsBytes/,
    );
    expect(refused({ resume: [] })).to.equal("bad hello: resume must be an object");
    expect(refused({ resume: { token: "t" } })).to.equal(
      "bad hello: resume.session must be a session id",
    );
    expect(refused({ resume: { session: "s", token: 5 } })).to.equal(
      "bad hello: resume.token must be a resume token",
    );
    expect(refused({ resume: { ...resume, rooms: { r: { epoch: "e", offset: -1 } } } })).to.match(
      /offset/,
    );
    expect(refused({ resume: { ...resume, rooms: { r: { epoch: 1, offset: 1 } } } })).to.match(
      /epoch/,
    );
    expect(refused({ resume: { ...resume, alerts: 1.5 } })).to.match(/alerts/);
    const rooms = {
      a: { epoch: "e", offset: 0 },
      b: { epoch: "e", offset: 0 },
      c: { epoch: "e", offset: 0 },
      d: { epoch: "e", offset: 0 },
    };
    expect(refused({ resume: { ...resume, rooms } })).to.match(/more than 3 rooms/);
  });

  it("issues unguessable tokens, keeps only their hash, and compares identities whatever the key order", () => {
    const token = newToken();
    expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).to.not.equal(token);
    expect(tokenMatches(token, hashToken(token))).to.equal(true);
    expect(tokenMatches(newToken(), hashToken(token))).to.equal(false);
    expect(identityOf({ a: 1, b: { d: 2, c: 3 } })).to.equal(
      identityOf({ b: { c: 3, d: 2 }, a: 1 }),
    );
    expect(identityOf({ user: "a" })).to.not.equal(identityOf({ user: "b" }));
  });
});
