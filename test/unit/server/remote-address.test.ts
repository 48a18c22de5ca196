import { expect } from "chai";
import type { IncomingMessage } from "node:http";
import { remoteAddress } from "../../../src/server/remote-address.js";

describe("remoteAddress", () => {
  const request = (peer: string, xff?: string) =>
    ({
      socket: { remoteAddress: peer, remotePort: 5000 },
      headers: xff === undefined ? {} : { "x-forwarded-for": xff },
    }) as unknown as IncomingMessage;

  it("uses the peer address, IPv4-mapped IPv6 shown as IPv4", () => {
    expect(remoteAddress(request("::ffff:10.0.0.1"), new Set())).to.deep.equal({
      ip: "10.0.0.1",
      port: 5000,
    });
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(remoteAddress(request("10.0.0.9", "1.2.3.4"), new Set(["10.0.0.1"])).ip).to.equal(
      "10.0.0.9",
    );
  });

  it("takes the right-most untrusted hop from a trusted proxy", () => {
    const trusted = new Set(["10.0.0.1", "10.0.0.2"]);
    expect(remoteAddress(request("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2"), trusted).ip).to.equal(
      "1.2.3.4",
    );
  });
});
