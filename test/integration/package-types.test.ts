import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

/** What an application installs besides actionwire: its dependencies, and Node's types. */
const INSTALLED = ["debug", "ms", "reflect-metadata", "tsyringe", "tslib", "zod"];

/**
 * The packed package's declarations in a fresh NodeNext project with `skipLibCheck: false`
 * and none of the optional peers (ws, socket.io, socket.io-client, faye, ioredis, mocha, chai)
 * installed: `import type` of every entry point but `actionwire/testing` (which is mocha's and
 * chai's) compiles.
 */
describe("the packed package's types without the optional peers", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "actionwire-types-"));
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: root,
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    const modules = join(dir, "node_modules");
    const pkg = join(modules, "actionwire");
    mkdirSync(pkg, { recursive: true });
    await run("tar", ["-xzf", join(dir, filename), "-C", pkg, "--strip-components=1"]);
    mkdirSync(join(modules, "@types"), { recursive: true });
    for (const name of [...INSTALLED, "@types/node", "undici-types"]) {
      symlinkSync(join(root, "node_modules", name), join(modules, name), "dir");
    }
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Typechecks `code` as the project's one file; returns the errors. */
  function typecheck(code: string): string[] {
    const file = join(dir, "app.ts");
    writeFileSync(file, code);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const where = diagnostic.file?.fileName.replace(dir, "") ?? "";
      return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    });
  }

  it("compiles import type of every entry point but testing, actionwire/ws, /socketio and /redis included", () => {
    expect(
      typecheck(`
        import type { ActionwireServer } from "actionwire";
        import type { ActionwireClient } from "actionwire/client";
        import type { FayeOptions } from "actionwire/faye";
        import type { TcpOptions } from "actionwire/tcp";
        import type { WsOptions, WsSocket, WsTransport } from "actionwire/ws";
        import type { SocketIoOptions, SocketIoSocket, SocketIoTransport } from "actionwire/socketio";
        import type {
          RedisBusStats,
          RedisClient,
          RedisClusterBus,
          RedisOptions,
          RedisOptionsInput,
        } from "actionwire/redis";
        export type Used = [
          ActionwireClient,
          FayeOptions,
          TcpOptions,
          WsOptions,
          WsSocket,
          SocketIoOptions,
          SocketIoSocket,
          RedisOptions,
          RedisOptionsInput,
          RedisClient,
        ];
        export function transports(server: ActionwireServer): [WsTransport, SocketIoTransport] {
          return [server.transport<WsTransport>("ws"), server.transport<SocketIoTransport>("socketio")];
        }
        export function stats(bus: RedisClusterBus): RedisBusStats {
          return bus.stats;
        }
      `),
    ).to.deep.equal([]);
  });
});
