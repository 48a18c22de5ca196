import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as ws from "ws";
import {
  WS_TESTED_RANGE,
  wsInternals,
  type WsPackageInternals,
} from "../../../../adapters/ws/ws-internals.js";
import { ConfigError } from "../../../../src/core/errors.js";
import { packageVersion } from "../../../../src/core/package-version.js";

const installed = ws as unknown as WsPackageInternals;
const manifest = JSON.parse(
  readFileSync(new URL("../../../../../package.json", import.meta.url), "utf8"),
) as { peerDependencies: Record<string, string> };

describe("ws internals", () => {
  it("are all there in the installed ws, and frame a text message as ws's own send does", () => {
    const internals = wsInternals(installed, packageVersion("ws", import.meta.url));
    const frame = internals.frameText(Buffer.from("hello"));
    expect([...frame]).to.deep.equal([0x81, 0x05, ...Buffer.from("hello")]);
  });

  it("are tested with the ws range package.json asks for", () => {
    expect(manifest.peerDependencies.ws).to.equal(WS_TESTED_RANGE);
  });

  it("refuse a ws without Sender.frame, naming it, the version and the tested range", () => {
    const fake = { ...installed, Sender: {} };
    expect(() => wsInternals(fake, "8.99.0"))
      .to.throw(ConfigError)
      .with.property(
        "message",
        "The ws transport needs internals of the ws package that ws 8.99.0 does not have (Sender.frame (one unmasked text frame)). actionwire is tested with ws ~8.23.0: install it with npm install ws@~8.23.0",
      );
  });

  it("refuse a ws whose sockets keep their network socket elsewhere", () => {
    class WebSocket {
      socket = null;
    }
    expect(() => wsInternals({ ...installed, WebSocket }, "9.0.0"))
      .to.throw(ConfigError)
      .with.property("message")
      .that.includes("ws 9.0.0 does not have (WebSocket#_socket)");
  });
});
