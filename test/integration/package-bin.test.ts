import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

// What `npx actionwire` runs: the packed package's bin, from the package alone (dist/ as
// `npm run build` left it, and only the files `files` ships), not from this repository's build/.
describe("the packed package's bin (npx actionwire)", function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "actionwire-pack-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("starts the demo server from the package and stops on SIGTERM", async () => {
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: root,
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const pkg = join(dir, "node_modules", "actionwire");
    mkdirSync(pkg, { recursive: true });
    await run("tar", ["-xzf", join(dir, filename), "-C", pkg, "--strip-components=1"]);
    // The dependencies and the optional transport peers, as an install would provide them.
    symlinkSync(join(root, "node_modules"), join(pkg, "node_modules"), "dir");

    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    const bin = join(pkg, manifest.bin.actionwire!);
    expect(readFileSync(bin, "utf8").split("\n")[0]).to.equal("#!/usr/bin/env node");

    const child = spawn(process.execPath, [bin], {
      cwd: dir,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", REDIS_URL: "", TCP_PORT: "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    let base = "";
    for await (const line of createInterface({ input: child.stdout! })) {
      const demo = /^actionwire demo on (\S+)\/ /.exec(line);
      if (demo) {
        base = demo[1]!;
        break;
      }
    }
    expect(base).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The demo page (public/) and the browser client it loads (dist/browser/) came in the package.
    const page = await fetch(`${base}/`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.contain("<html");
    const client = await fetch(`${base}/actionwire/client.js`);
    expect(client.status).to.equal(200);
    expect(await client.text()).to.contain("ActionwireClient");

    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).to.equal(0);
  });
});
