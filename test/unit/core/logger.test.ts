import { expect } from "chai";
import { Writable } from "node:stream";
import { pino } from "pino";
import { defineAction } from "../../../src/core/actions/define-action.js";
import { isPinoStyle, type Logger, toLogger } from "../../../src/core/logger.js";
import { connected, request, startInProcessServer } from "../../helpers/in-process-server.js";

/** A pino logger writing JSON lines into an array. */
function pinoInto(lines: Array<Record<string, unknown>>) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return pino({ level: "debug", base: { app: "chat" } }, stream);
}

describe("config.logger", () => {
  it("writes through a pino logger as JSON lines: the details as fields, the message as msg", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pinoInto(lines);
    expect(isPinoStyle(logger)).to.equal(true);
    const { server, connect } = await startInProcessServer({
      logger,
      logActions: "info",
      actions: [
        defineAction({
          name: "boom",
          inputs: { password: { secret: true } },
          run: () => {
            throw new Error("kaput");
          },
        }),
      ],
    });
    try {
      const client = await connected(connect);
      expect(
        (await request(client, "action", { action: "boom", password: "hunter2" })).code,
      ).to.equal("ERR_ACTION_FAILED");
    } finally {
      await server.stop();
    }
    const failed = lines.find((line) => line.msg === "action boom failed");
    expect(failed).to.include({
      level: 50,
      app: "chat",
      component: "actionwire",
      error: "Error: kaput",
    });
    expect(failed!.params).to.deep.equal({ password: "[FILTERED]" });
    expect(typeof failed!.connection).to.equal("string");
  });

  it("calls any other logger (message, details)", () => {
    const calls: unknown[][] = [];
    const plain: Logger = {
      debug: (...args) => void calls.push(["debug", ...args]),
      info: (...args) => void calls.push(["info", ...args]),
      warn: (...args) => void calls.push(["warn", ...args]),
      error: (...args) => void calls.push(["error", ...args]),
    };
    expect(isPinoStyle(plain)).to.equal(false);
    const logger = toLogger(plain);
    expect(logger).to.equal(plain);
    logger.warn("careful", { n: 1 });
    expect(calls).to.deep.equal([["warn", "careful", { n: 1 }]]);
  });

  it("defaults to the debug logger", () => {
    const logger = toLogger(undefined);
    expect(Object.keys(logger)).to.deep.equal(["debug", "info", "warn", "error"]);
  });
});
