import { expect } from "chai";
import { readTcpLine } from "../../../../adapters/tcp/tcp-line.js";
import { VERBS } from "../../../../src/core/verbs.js";

describe("readTcpLine", () => {
  it("reads a text verb's arguments as its declared params", () => {
    expect(readTcpLine("say hello there")).to.deep.equal({
      request: { event: "say", params: { message: "hello there" } },
    });
    expect(readTcpLine("roomChange lobby")).to.deep.equal({
      request: { event: "roomChange", params: { room: "lobby" } },
    });
    expect(readTcpLine("paramAdd key=a=b")).to.deep.equal({
      request: { event: "paramAdd", params: { key: "key", value: "a=b" } },
    });
    expect(readTcpLine("paramAdd key")).to.deep.equal({
      request: { event: "paramAdd", params: { key: "key" } },
    });
    expect(readTcpLine("setIP 10.0.0.1")).to.deep.equal({
      request: { event: "setIP", params: { ip: "10.0.0.1" } },
    });
    expect(readTcpLine("roomView ignored")).to.deep.equal({
      request: { event: "roomView", params: {} },
    });
  });

  it("knows every verb but action as a text verb", () => {
    for (const verb of VERBS) {
      const read = readTcpLine(verb) as { request: { event: string } };
      expect(read.request.event).to.equal(verb);
    }
    expect(readTcpLine("action")).to.deep.equal({
      request: { event: "action", params: { action: "action" } },
    });
  });

  it("takes any other word as an action name, own verbs only", () => {
    for (const word of ["cacheTest", "valueOf", "__proto__", "constructor"]) {
      expect(readTcpLine(`${word} x`)).to.deep.equal({
        request: { event: "action", params: { action: word } },
      });
    }
  });

  it("passes JSON through, and reads actionHero's JSON action form", () => {
    expect(readTcpLine('{"event":"say"}')).to.deep.equal({ json: '{"event":"say"}' });
    expect(readTcpLine("{not json")).to.deep.equal({ json: "{not json" });
    expect(readTcpLine('{"action":"add","params":{"a":1},"messageId":7}')).to.deep.equal({
      request: { event: "action", params: { a: 1, action: "add" }, messageId: 7 },
    });
  });
});
