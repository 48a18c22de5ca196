import { expect } from "chai";
import { readFileSync } from "node:fs";
import { ERROR_CODES } from "../../../src/core/errors.js";
import { HTTP_STATUS } from "../../../src/server/http-actions.js";

/** The rows of docs/errors.md's first table (before its first `## ` heading): code → cells. */
function serverCodesTable(): Map<string, string[]> {
  const text = readFileSync(new URL("../../../../docs/errors.md", import.meta.url), "utf8");
  const section = text.split(/^## /m)[0]!;
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const code = /^`(ERR_[A-Z_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (code !== undefined) rows.set(code, cells.slice(2));
  }
  return rows;
}

describe("docs/errors.md and the error codes", () => {
  it("lists every server error code once, and no other, with its HTTP status", () => {
    const rows = serverCodesTable();
    expect([...rows.keys()].sort()).to.deep.equal([...ERROR_CODES].sort());
    for (const [code, [status]] of rows) {
      expect(Number(status), code).to.equal(HTTP_STATUS[code as keyof typeof HTTP_STATUS]);
    }
  });
});
