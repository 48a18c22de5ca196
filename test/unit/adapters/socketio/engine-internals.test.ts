import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
  engineInternals,
  loadEnginePackages,
  SOCKET_IO_TESTED_RANGE,
  type EnginePackages,
} from "../../../../adapters/socketio/engine-internals.js";
import { ConfigError } from "../../../../src/core/errors.js";

const manifest = JSON.parse(
  readFileSync(new URL("../../../../../package.json", import.meta.url), "utf8"),
) as { peerDependencies: Record<string, string> };

/** The installed packages, with engine.io's classes replaced by `change`. */
function withEngine(change: Partial<EnginePackages["engine"]>): EnginePackages {
  const installed = loadEnginePackages();
  return { ...installed, engine: { ...installed.engine, ...change } };
}

describe("engine.io internals (socket.io transport)", () => {
  it("are all there in the installed engine.io, as socket.io loads it", () => {
    const packages = loadEnginePackages();
    expect(packages.versions.socketIo).to.match(/^4\.8\./);
    expect(packages.versions.engineIo).to.match(/^6\.6\./);
    const internals = engineInternals(packages);
    expect(internals.backlog({ writeBuffer: [1, 2] })).to.equal(2);
  });

  it("are tested with the socket.io ranges package.json asks for", () => {
    expect(manifest.peerDependencies["socket.io"]).to.equal(SOCKET_IO_TESTED_RANGE);
    expect(manifest.peerDependencies["socket.io-client"]).to.equal(SOCKET_IO_TESTED_RANGE);
  });

  it("refuse an engine.io whose sockets keep no writeBuffer, naming it and the versions", () => {
    const { Socket } = loadEnginePackages().engine;
    const NoWriteBuffer = class extends Socket {
      constructor(...args: ConstructorParameters<typeof Socket>) {
        super(...args);
        delete this.writeBuffer;
      }
    };
    const packages = withEngine({ Socket: NoWriteBuffer });
    packages.versions = { socketIo: "4.9.0", engineIo: "6.7.0" };
    expect(() => engineInternals(packages))
      .to.throw(ConfigError)
      .with.property(
        "message",
        "The socketio transport needs internals of engine.io that engine.io 6.7.0 (with socket.io 4.9.0) does not have (Socket#writeBuffer). actionwire is tested with socket.io ~4.8.0 (engine.io ~6.6.0): install it with npm install socket.io@~4.8.0",
      );
  });

  it("refuse an engine.io whose polling close is not pending, or whose websocket keeps ws elsewhere", () => {
    const { polling, websocket } = loadEnginePackages().engine.transports;
    const ClosesAtOnce = class extends polling {
      constructor(request: unknown) {
        super(request);
        this.close = (fn) => fn?.();
      }
    };
    const KeepsWsElsewhere = class extends websocket {
      constructor(request: unknown) {
        super(request);
        Object.defineProperty(this, "socket", { value: undefined });
      }
    };
    const packages = withEngine({
      transports: { polling: ClosesAtOnce, websocket: KeepsWsElsewhere },
    });
    expect(() => engineInternals(packages))
      .to.throw(ConfigError)
      .with.property("message")
      .that.includes("(polling Transport#shouldClose, websocket Transport#send and #socket)");
  });
});
