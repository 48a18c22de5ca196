import { expect } from "chai";
import { urlPath } from "../../../src/core/url-path.js";

describe("urlPath", () => {
  it("drops the query, and reads a missing URL as /", () => {
    expect(urlPath("/api/x?a=1&b=?")).to.equal("/api/x");
    expect(urlPath("/ws")).to.equal("/ws");
    expect(urlPath("?only=query")).to.equal("");
    expect(urlPath(undefined)).to.equal("/");
  });
});
