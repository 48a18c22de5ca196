import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

/** The repository (this file runs from build/test/unit/lint). */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The layer messages eslint gives `source` as if it were the file at `path`. */
async function violations(path: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(source, { filePath: `${ROOT}${path}` });
  return result!.messages
    .filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax")
    .map((m) => `${m.line}: ${m.message}`);
}

describe("lint: the layers hold (eslint.config.js)", function () {
  this.timeout(30_000);

  it("src/core imports no adapter, src/server, src/client, nor a transport or Redis package", async () => {
    const found = await violations(
      "src/core/rooms/layer-probe.ts",
      [
        'import "../../../adapters/ws/ws-transport.js";',
        'import type { Redis } from "ioredis";',
        'import { WebSocketServer } from "ws";',
        'import "socket.io/dist/index.js";',
        'import "../../server/actionwire-server.js";',
        'import "../../client/index.js";',
        'export { x } from "faye";',
        'await import("socket.io-client");',
        'import "../errors.js";',
        'import "zod";',
      ].join("\n"),
    );
    expect(found.map((line) => Number(line.split(":")[0]))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(found[0]).to.equal(
      "1: '../../../adapters/ws/ws-transport.js' import is restricted from being used by a pattern. src/core imports no adapter.",
    );
  });

  it("an adapter imports no other adapter (its own folder and src/core are fine)", async () => {
    const found = await violations(
      "adapters/ws/layer-probe.ts",
      [
        'import "../redis/redis-options.js";',
        'import "../../adapters/tcp/tcp-line.js";',
        'import "./ws-options.js";',
        'import "../ws/ws-options.js";',
        'import "../../src/core/errors.js";',
      ].join("\n"),
    );
    expect(found.map((line) => Number(line.split(":")[0]))).to.deep.equal([1, 2]);
  });

  it("the faye adapter imports nothing from the Redis adapter", async () => {
    const probe =
      'import "../redis/redis-options.js";\nimport type { RedisOptions } from "../redis/index.js";';
    expect(await violations("adapters/faye/faye-transport.ts", probe)).to.have.length(2);
  });

  it("src/client imports neither src/server nor adapters; the rest of src/ no adapter but in the composition root", async () => {
    expect(
      await violations(
        "src/client/layer-probe.ts",
        'import "../server/actionwire-server.js";\nimport "../../adapters/faye/index.js";\nimport "faye";\nimport "../core/verbs.js";\nimport "../../adapters/faye/faye-channels.js";',
      ),
    ).to.have.length(2);
    expect(
      await violations("src/server/layer-probe.ts", 'import "../../adapters/ws/index.js";'),
    ).to.have.length(1);
    expect(
      await violations("src/testing/layer-probe.ts", 'import "../../adapters/tcp/index.js";'),
    ).to.have.length(1);
    expect(
      await violations("src/server/composition-root.ts", 'import "../../adapters/ws/index.js";'),
    ).to.deep.equal([]);
  });
});
