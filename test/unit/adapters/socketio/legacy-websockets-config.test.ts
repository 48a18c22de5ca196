import { expect } from "chai";
import { ConfigError } from "../../../../src/core/errors.js";
import { createServer } from "../../../../src/server/actionwire-server.js";

describe("socketio: the seeds' webSockets config block", () => {
  it("works as written in the seed, translated to socket.io 4, with warnings by name", () => {
    const { config } = createServer({
      transports: ["ws"],
      webSockets: {
        enable: true,
        logLevel: 1,
        settings: ["browser client minification", "browser client etag", "browser client gzip"],
        options: { transports: ["xhr-polling"], "polling duration": 10 },
      },
    });
    expect(config.transports).to.deep.equal(["ws", "socketio"]);
    expect(config.transportOptions.socketio).to.deep.include({
      transports: ["polling"],
      pingInterval: 10_000,
    });
    expect(config.warnings).to.deep.equal([
      "config.webSockets.logLevel is ignored: socket.io 4 logs through DEBUG=socket.io:*.",
      'config.webSockets.settings "browser client minification" is ignored: socket.io 4 always serves a minified client (/socket.io/socket.io.min.js).',
      'config.webSockets.settings "browser client etag" is ignored: socket.io 4 always sends an ETag for its client.',
      'config.webSockets.settings "browser client gzip" is ignored: socket.io 4 does not compress its client; compress in a proxy in front.',
    ]);
  });

  it("translates heartbeats, resource and origins; explicit socketio options win", () => {
    const { config } = createServer({
      webSockets: {
        options: {
          "heartbeat interval": 15,
          "heartbeat timeout": 30,
          resource: "/io",
          origins: "*:*",
          transports: ["websocket", "flashsocket", "jsonp-polling"],
          "close timeout": 60,
        },
      },
      socketio: { pingTimeout: 5000 },
    });
    expect(config.transportOptions.socketio).to.deep.include({
      pingInterval: 15_000,
      pingTimeout: 5000,
      path: "/io",
      cors: { origin: "*" },
      transports: ["websocket", "polling"],
    });
    expect(config.warnings).to.include.members([
      'config.webSockets.options["transports"] "flashsocket" is ignored: socket.io 4 has no Flash transport.',
      'config.webSockets.options["close timeout"] is ignored: socket.io 4 closes after pingInterval + pingTimeout without a pong.',
    ]);
  });

  it("reads the value of an options['browser client'] flag, and ignores an unset block", () => {
    const off = createServer({ webSockets: { options: { "browser client": false } } });
    expect(off.config.transportOptions.socketio).to.deep.include({ serveClient: false });
    expect(createServer({ webSockets: undefined }).config.transports).to.deep.equal(["ws"]);
  });

  it("turns socket.io off with enable: false", () => {
    const { config } = createServer({
      transports: ["ws", "socketio"],
      webSockets: { enable: false },
    });
    expect(config.transports).to.deep.equal(["ws"]);
  });

  it("rejects what has no meaning and is not known, by name", () => {
    const fails = (webSockets: unknown) => {
      try {
        createServer({ webSockets });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(fails({ settings: ["browser client teleport"] })).to.equal(
      'config.webSockets.settings has "browser client teleport", which socket.io 4 has no equivalent for; remove it.',
    );
    expect(fails({ options: { "flux capacitor": 1 } })).to.equal(
      'config.webSockets.options["flux capacitor"] is not a socket.io option actionwire knows; remove it.',
    );
    expect(fails({ options: { transports: ["carrier-pigeon"] } })).to.equal(
      'config.webSockets.options["transports"] has "carrier-pigeon"; use websocket, xhr-polling, jsonp-polling, htmlfile or flashsocket.',
    );
    expect(fails({ enabled: true })).to.equal(
      "config.webSockets.enabled is not a known option; remove it or check its spelling.",
    );
    expect(fails({ options: { "polling duration": -1 } })).to.equal(
      'config.webSockets.options["polling duration"] must be a number of seconds greater than 0.',
    );
  });
});
