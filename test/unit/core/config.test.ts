import { expect } from "chai";
import { ConfigError } from "../../../src/core/errors.js";
import { createServer } from "../../../src/server/actionwire-server.js";

describe("config validation", () => {
  const fails = (config: Record<string, unknown>) => {
    try {
      createServer(config);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("checks browserClient: paths start with /, a trailing / is dropped, demoPage needs it", () => {
    const { config } = createServer({ port: null, transports: ["inprocess"] });
    expect(config.browserClient).to.deep.equal({
      enabled: true,
      path: "/actionwire",
      seedScript: "/public/javascript/actionHeroWebSocket.js",
    });
    const moved = createServer({
      port: null,
      transports: ["inprocess"],
      browserClient: { path: "/rt/", seedScript: false },
    }).config.browserClient;
    expect(moved).to.deep.equal({ enabled: true, path: "/rt", seedScript: false });
    expect(fails({ browserClient: { path: "rt" } })).to.equal(
      'config.browserClient.path must match the format starts_with (start with "/").',
    );
    expect(fails({ browserClient: { seedScript: true } })).to.match(
      /^config\.browserClient\.seedScript /,
    );
    expect(fails({ browserClient: { enabled: false }, demoPage: true })).to.equal(
      "config.demoPage needs the browser client: remove browserClient.enabled: false, or demoPage.",
    );
  });

  it("fills defaults and freezes the result", () => {
    const { config } = createServer({ port: null, transports: ["inprocess"] });
    expect(config).to.include({
      host: "0.0.0.0",
      defaultRoom: "defaultRoom",
      roomNotices: true,
      shutdownTimeoutMs: 5000,
    });
    expect(config.limits).to.deep.equal({
      maxMessageBytes: 1024 * 1024,
      maxDepth: 64,
      maxPendingActions: 5,
      maxParams: 64,
      maxParamsBytes: 64 * 1024,
      maxListenedRooms: 128,
      actionTimeoutMs: 30_000,
      rate: 500,
      rateAbuseMs: 10_000,
      maxSayLength: 65_536,
      maxConnections: 50_000,
      maxConnectionsPerIP: 0,
      maxBufferedBytes: 4 * 1024 * 1024,
      maxBufferedMessages: 10_000,
      slowConsumer: "disconnect",
    });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.limits)).to.equal(true);
    expect(createServer().config.transports).to.deep.equal(["ws"]);
  });

  it("rejects an unknown key, naming it", () => {
    expect(fails({ prot: 80 })).to.equal(
      "config.prot is not a known option; remove it or check its spelling.",
    );
    expect(fails({ limits: { rates: 5 } })).to.equal(
      "config.limits.rates is not a known option; remove it or check its spelling.",
    );
    expect(fails({ ws: { pth: "/x" } })).to.equal(
      "config.ws.pth is not a known option; remove it or check its spelling.",
    );
  });

  it("checks ranges and types with a sentence that says what to fix", () => {
    expect(fails({ port: 70000 })).to.equal("config.port must be at most 65535.");
    expect(fails({ limits: { maxPendingActions: 0 } })).to.equal(
      "config.limits.maxPendingActions must be at least 1.",
    );
    expect(fails({ limits: { rate: 1.5 } })).to.equal("config.limits.rate must be an integer.");
    expect(fails({ roomNotices: "yes" })).to.equal("config.roomNotices must be a boolean.");
    expect(fails({ allowedVerbs: { ws: ["fly"] } })).to.match(
      /^config\.allowedVerbs\.ws\.0 must be one of "action", "say"/,
    );
  });

  it("checks hooks, middleware and the logger by shape", () => {
    expect(fails({ roomHooks: null })).to.equal(
      "config.roomHooks must be an object of hook functions (authorizeJoin, authorizeListen, authorizeSay).",
    );
    expect(fails({ middleware: [null] })).to.equal(
      "config.middleware.0 must be a middleware: { name, before?(call), after?(call, result) }.",
    );
    expect(fails({ logger: console.log })).to.equal(
      "config.logger must be a logger with debug, info, warn and error functions.",
    );
    expect(fails({ transports: [] })).to.equal("config.transports must have at least 1 entry.");
    expect(fails({ host: "" })).to.equal("config.host must not be empty.");
    expect(fails({ limits: "none" })).to.equal("config.limits must be an object.");
  });

  it("refuses tls beside an embedded server, which would silently ignore it", () => {
    expect(fails({ server: { listen() {} }, tls: {} })).to.match(
      /^config\.tls has no effect with config\.server/,
    );
  });

  it("freezes nested config data", () => {
    const { config } = createServer({ roomRules: { vip: { vip: true } }, port: null });
    expect(Object.isFrozen(config.roomRules)).to.equal(true);
    expect(Object.isFrozen(config.roomRules.vip)).to.equal(true);
  });

  it("turns an empty default room into no default room", () => {
    expect(createServer({ defaultRoom: "" }).config.defaultRoom).to.equal(null);
  });

  it("names an unknown transport and the known ones", () => {
    const unknown = fails({ transports: ["carrier-pigeon"] });
    expect(unknown).to.match(
      /^config\.transports names "carrier-pigeon", which is not a registered transport \(known: .*\)\. Register it with registerTransport\("carrier-pigeon", YourClass\) or pass the class itself\.$/,
    );
    for (const name of ["ws", "socketio", "inprocess"]) expect(unknown).to.contain(name);
    expect(fails({ transports: ["ws", "ws"] })).to.equal(
      'config.transports lists "ws" twice; list it once.',
    );
  });

  it("refuses two actions with the same name", () => {
    const action = { name: "twice", run: () => ({}) };
    expect(fails({ actions: [action, action] })).to.equal(
      'Action "twice" is defined twice; give one of them another name.',
    );
  });
});
