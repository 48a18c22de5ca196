import { expect } from "chai";
import faye, { type NodeAdapter } from "faye";
import { ConfigError } from "../../../../src/core/errors.js";
import { fayeInternals, TESTED_FAYE_VERSIONS } from "../../../../adapters/faye/faye-internals.js";

/** A stand-in for a NodeAdapter, made of the internals the adapter uses. */
interface Fake {
  _server: Record<string, unknown> & { _engine: Record<string, unknown> };
  _concatStream?: unknown;
}

/** A stand-in for a NodeAdapter with every internal the adapter uses. */
function completeFake(): Fake {
  const noop = () => undefined;
  return {
    _server: {
      openSocket: noop,
      closeSocket: noop,
      process: noop,
      _engine: { timeout: 45, publish: noop, destroyClient: noop },
    },
    _concatStream: noop,
  };
}

/** A stand-in for faye-websocket: a constructor with a `Client`. */
function webSocketStandIn(): unknown {
  return Object.assign(function () {}, { Client: class {} });
}

/** Each internal, and how to take it away from {@link completeFake}. */
const INTERNALS: Array<[string, (fake: Fake) => void]> = [
  ["NodeAdapter._server.openSocket()", (fake) => delete fake._server.openSocket],
  ["NodeAdapter._server.closeSocket()", (fake) => delete fake._server.closeSocket],
  ["NodeAdapter._server.process()", (fake) => delete fake._server.process],
  ["NodeAdapter._server._engine.publish()", (fake) => delete fake._server._engine.publish],
  [
    "NodeAdapter._server._engine.destroyClient()",
    (fake) => delete fake._server._engine.destroyClient,
  ],
  ["NodeAdapter._server._engine.timeout", (fake) => (fake._server._engine.timeout = "45")],
  ["NodeAdapter._concatStream()", (fake) => delete fake._concatStream],
];

describe("faye internals: the start-up check", () => {
  it(`finds everything it needs in the installed faye (${faye.VERSION})`, () => {
    const bayeux = new faye.NodeAdapter({ mount: "/faye", timeout: 7 });
    try {
      const internals = fayeInternals(bayeux, faye.VERSION);
      expect(internals.timeoutSeconds).to.equal(7);
      expect(internals.WebSocket).to.be.a("function");
      expect(internals.WebSocketClient).to.be.a("function");
    } finally {
      bayeux.close();
    }
  });

  it("is tested with the installed faye", () => {
    expect(TESTED_FAYE_VERSIONS).to.equal(faye.VERSION);
  });

  for (const [name, remove] of INTERNALS) {
    it(`fails with a ConfigError naming ${name} and the versions tested when it is missing`, () => {
      const fake = completeFake();
      remove(fake);
      expect(() =>
        fayeInternals(fake as unknown as NodeAdapter, "9.9.9", webSocketStandIn()),
      ).to.throw(
        ConfigError,
        `The faye transport cannot run with faye 9.9.9: it lacks ${name}, which the transport uses. It is tested with faye ${TESTED_FAYE_VERSIONS}: install that version (npm install faye@${TESTED_FAYE_VERSIONS}).`,
      );
    });
  }

  it("names faye-websocket when faye does not resolve it, and every missing part at once", () => {
    const fake = { _server: {} } as unknown as NodeAdapter;
    expect(() => fayeInternals(fake, "2.0.0", null)).to.throw(
      ConfigError,
      "it lacks NodeAdapter._server.openSocket(), NodeAdapter._server.closeSocket(), NodeAdapter._server.process(), NodeAdapter._server._engine.publish(), NodeAdapter._server._engine.destroyClient(), NodeAdapter._server._engine.timeout, NodeAdapter._concatStream(), faye-websocket (as faye resolves it),",
    );
  });

  it("names faye-websocket's Client when faye-websocket has none", () => {
    expect(() =>
      fayeInternals(completeFake() as unknown as NodeAdapter, "9.9.9", function () {}),
    ).to.throw(ConfigError, "it lacks faye-websocket's Client, which the transport uses.");
  });

  it("passes a complete stand-in", () => {
    const internals = fayeInternals(
      completeFake() as unknown as NodeAdapter,
      "1.4.3",
      webSocketStandIn(),
    );
    expect(internals.timeoutSeconds).to.equal(45);
  });
});
