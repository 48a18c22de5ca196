import { expect } from "chai";
import { Server as HttpServer, type IncomingMessage } from "node:http";
import { Duplex } from "node:stream";
import { HttpListeners } from "../../../src/server/http-listeners.js";

const upgrade = (http: HttpServer, url: string) =>
  http.emit("upgrade", { url } as IncomingMessage, new Duplex(), Buffer.alloc(0));
const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe("HttpListeners: actionwire as the server's one upgrade listener", () => {
  let http: HttpServer;
  let claimed: string[];
  let listeners: HttpListeners;

  beforeEach(() => {
    http = new HttpServer();
    claimed = [];
    listeners = new HttpListeners(http, {
      request: () => false,
      upgrade: (request) => request.url === "/ws" && claimed.push("/ws") > 0,
      unclaimedRequest: () => {},
    });
  });

  afterEach(() => listeners.restore());

  it("routes a listener added after start only the upgrades no transport claimed", async () => {
    const seen: string[] = [];
    http.on("upgrade", (request: IncomingMessage) => seen.push(request.url!));
    await tick();
    expect(http.listenerCount("upgrade")).to.equal(1);
    upgrade(http, "/ws");
    upgrade(http, "/app");
    expect(claimed).to.deep.equal(["/ws"]);
    expect(seen).to.deep.equal(["/app"]);
  });

  it("leaves alone a listener removed again in the same tick (socket.io's engine at start)", async () => {
    const engine = () => {};
    http.on("upgrade", engine);
    http.off("upgrade", engine);
    await tick();
    listeners.restore();
    expect(http.listeners("upgrade")).to.deep.equal([]);
  });

  it("gives back at stop the listeners from before start and those added since, even in its tick", async () => {
    const early = () => {};
    const withEarly = new HttpServer();
    withEarly.on("upgrade", early);
    const own = new HttpListeners(withEarly, {
      request: () => false,
      upgrade: () => false,
      unclaimedRequest: () => {},
    });
    const late = () => {};
    withEarly.on("upgrade", late);
    await tick();
    expect(withEarly.listeners("upgrade")).to.not.include(late);
    const sameTick = () => {};
    withEarly.on("upgrade", sameTick);
    own.restore();
    await tick();
    expect(withEarly.listeners("upgrade")).to.have.members([early, late, sameTick]);
    expect(withEarly.listenerCount("upgrade")).to.equal(3);
  });
});
