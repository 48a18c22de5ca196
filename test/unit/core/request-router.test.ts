import { expect } from "chai";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "../../../src/core/errors.js";
import { type RequestHandler, RequestRouter } from "../../../src/core/request-router.js";

/** A request as the router reads it: only its URL. */
const requestFor = (url: string | undefined) => ({ url }) as IncomingMessage;
const response = {} as ServerResponse;

/** A router with a recording handler per prefix; `route(url)` says which prefix answered. */
function routerWith(...prefixes: string[]) {
  const router = new RequestRouter();
  let answered: string | null = null;
  const handler =
    (prefix: string): RequestHandler =>
    (_request, res) => {
      expect(res).to.equal(response);
      answered = prefix;
    };
  for (const prefix of prefixes) router.add(prefix, handler(prefix));
  const route = (url: string | undefined): string | null => {
    answered = null;
    const handled = router.handle(requestFor(url), response);
    expect(handled).to.equal(answered !== null);
    return answered;
  };
  return { router, route };
}

describe("RequestRouter", () => {
  it("claims the prefix itself and paths under it, not paths that merely start with it", () => {
    const { route } = routerWith("/faye");
    expect(route("/faye")).to.equal("/faye");
    expect(route("/faye/")).to.equal("/faye");
    expect(route("/faye/client.js")).to.equal("/faye");
    expect(route("/fayex")).to.equal(null);
    expect(route("/fa")).to.equal(null);
    expect(route("/other/faye")).to.equal(null);
  });

  it("matches the path without its query", () => {
    const { route } = routerWith("/faye");
    expect(route("/faye?message=%7B%7D&jsonp=cb")).to.equal("/faye");
    expect(route("/faye/client.js?v=1")).to.equal("/faye");
    expect(route("/api?path=/faye")).to.equal(null);
    expect(route("/fayex?/faye")).to.equal(null);
  });

  it("gives a path to the longest claiming prefix, whatever order they were added in", () => {
    for (const order of [
      ["/rt", "/rt/faye"],
      ["/rt/faye", "/rt"],
    ]) {
      const { route } = routerWith(...order);
      expect(route("/rt/faye"), order.join()).to.equal("/rt/faye");
      expect(route("/rt/faye/client.js"), order.join()).to.equal("/rt/faye");
      expect(route("/rt/fayex"), order.join()).to.equal("/rt");
      expect(route("/rt"), order.join()).to.equal("/rt");
    }
  });

  it("treats trailing slashes as the same prefix", () => {
    const { route } = routerWith("/faye/");
    expect(route("/faye")).to.equal("/faye/");
    expect(route("/faye/x")).to.equal("/faye/");
  });

  it("lets a root prefix claim every path, after any longer one", () => {
    const { route } = routerWith("/", "/faye");
    expect(route("/faye/x")).to.equal("/faye");
    expect(route("/anything")).to.equal("/");
    expect(route(undefined)).to.equal("/");
    expect(routerWith("//").route("/x")).to.equal("//");
  });

  it("reads a request without a URL as /", () => {
    expect(routerWith("/faye").route(undefined)).to.equal(null);
  });

  it("refuses a second claim on the same path with a ConfigError", () => {
    const { router } = routerWith("/faye");
    for (const prefix of ["/faye", "/faye/", "/faye//"]) {
      expect(() => router.add(prefix, () => undefined))
        .to.throw(ConfigError)
        .with.property(
          "message",
          "Two transports claim the HTTP path /faye; give one another path.",
        );
    }
  });

  it("forgets a removed prefix (given with or without its slash), and ignores an unknown one", () => {
    const { router, route } = routerWith("/faye", "/faye/deep");
    router.remove("/faye/deep/");
    expect(route("/faye/deep/x")).to.equal("/faye");
    router.remove("/nothing");
    router.remove("/faye");
    expect(route("/faye")).to.equal(null);
    router.add("/faye", () => undefined);
    expect(router.handle(requestFor("/faye"), response)).to.equal(true);
  });
});
