import { expect } from "chai";
import { isWildcardAddress, urlHost } from "../../../src/core/url-host.js";

describe("urlHost", () => {
  it("shows a wildcard address as 127.0.0.1 and brackets IPv6", () => {
    expect(urlHost("0.0.0.0")).to.equal("127.0.0.1");
    expect(urlHost("::")).to.equal("127.0.0.1");
    expect(urlHost("10.0.0.5")).to.equal("10.0.0.5");
    expect(urlHost("::1")).to.equal("[::1]");
    expect(isWildcardAddress("127.0.0.1")).to.equal(false);
  });
});
