import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { chromium } from "playwright-core";
import { ActionwireClient } from "../../src/client/index.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium, PageConsole } from "../helpers/chromium.js";
import { RoundRobinProxy } from "../helpers/round-robin-proxy.js";

type BrowserModule = typeof import("../../src/client/browser.js");

/** What the page's client saw, kept on the page's global object. */
interface Seen {
  client: InstanceType<BrowserModule["ActionwireClient"]>;
  heard: string[];
  resumed: unknown[];
  disconnects: number;
}

describe("the browser client in Chromium", function () {
  this.timeout(30_000);
  let browser: Browser;
  let server: ActionwireServer;
  let page: Page;
  let console: PageConsole;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    // A closed page never polls for its goodbye: faye would wait for it up to this long at stop.
    server = await startDemoServer({
      transports: ["ws", "socketio", "faye"],
      shutdownTimeoutMs: 200,
    });
    page = await browser.newPage();
    console = new PageConsole(page);
    // Any page of the server's origin will do: the client defaults to the page's server.
    await page.goto(`${server.url}/actionwire/transports`);
  });

  afterEach(async () => {
    await page.close();
    expect(console.errors, "page errors").to.deep.equal([]);
    await server.stop();
  });

  it("loads as an ES module and picks the best transport the server offers", async () => {
    const result = await page.evaluate(async () => {
      const { ActionwireClient, RequestError, TRANSPORT_PREFERENCE } = (await import(
        "/actionwire/client.mjs" as string
      )) as BrowserModule;
      const client = new ActionwireClient();
      const details = await client.connect();
      const reply = await client.action("echo", { a: 1 });
      const error = await client.action("nope").catch((e: unknown) => e);
      client.disconnect();
      return {
        picked: client.transport,
        details,
        echo: reply.echo,
        preference: TRANSPORT_PREFERENCE,
        isRequestError: error instanceof RequestError,
        code: (error as InstanceType<typeof RequestError>).code,
      };
    });
    expect(result.preference).to.deep.equal(["faye", "socketio", "ws"]);
    expect(result.picked).to.equal("faye");
    expect(result.details).to.include({ transport: "faye", room: "defaultRoom" });
    expect(result.echo).to.deep.equal({ a: 1 });
    expect(result).to.include({ isRequestError: true, code: "ERR_UNKNOWN_ACTION" });
  });

  it("defines the global ActionwireClient, which lists the server's transports", async () => {
    await page.addScriptTag({ url: "/actionwire/client.js" });
    const offered = await page.evaluate(() =>
      (
        globalThis as unknown as { ActionwireClient: BrowserModule["ActionwireClient"] }
      ).ActionwireClient.transports(),
    );
    expect(offered).to.deep.equal([
      { name: "faye", path: "/faye" },
      { name: "socketio", path: "/socket.io" },
      { name: "ws", path: "/ws" },
    ]);
  });

  for (const [transport, global, script] of [
    ["socketio", "io", "/socket.io/socket.io.min.js"],
    ["faye", "Faye", "/faye/client.js"],
  ] as const) {
    it(`loads ${transport}'s browser client from the server once, when ${transport} is picked`, async () => {
      await page.addScriptTag({ url: "/actionwire/client.js" });
      const result = await page.evaluate(
        async ([name, globalName, src]) => {
          const { ActionwireClient } = globalThis as unknown as {
            ActionwireClient: BrowserModule["ActionwireClient"];
          };
          const before = globalName in globalThis;
          const clients = [0, 1].map(() => new ActionwireClient({ transport: name }));
          const details = await Promise.all(clients.map((client) => client.connect()));
          const heard = new Promise<unknown>((resolve) => clients[1]!.on("say", resolve));
          await clients[0]!.say("over the loaded library");
          const message = await heard;
          for (const client of clients) client.disconnect();
          return {
            before,
            after: globalName in globalThis,
            tags: document.querySelectorAll(`script[src$="${src}"]`).length,
            transports: details.map((d) => d.transport),
            message,
          };
        },
        [transport, global, script] as const,
      );
      expect(result).to.include({ before: false, after: true, tags: 1 });
      expect(result.transports).to.deep.equal([transport, transport]);
      expect(result.message).to.include({ context: "user", message: "over the loaded library" });
    });
  }

  it("finds the transports beside the bundle it came from when the server moved them", async () => {
    await server.stop();
    server = await startDemoServer({
      transports: ["ws", "socketio"],
      shutdownTimeoutMs: 200,
      browserClient: { path: "/rt/aw" },
    });
    await page.goto(`${server.url}/rt/aw/transports`);
    const picked = await page.evaluate(async () => {
      const { ActionwireClient } = (await import("/rt/aw/client.mjs" as string)) as BrowserModule;
      const client = new ActionwireClient();
      await client.connect();
      client.disconnect();
      return client.transport;
    });
    expect(picked).to.equal("socketio");
    await page.addScriptTag({ url: "/rt/aw/client.js" });
    const offered = await page.evaluate(() =>
      (
        globalThis as unknown as { ActionwireClient: BrowserModule["ActionwireClient"] }
      ).ActionwireClient.transports(),
    );
    expect(offered).to.deep.equal([
      { name: "socketio", path: "/socket.io" },
      { name: "ws", path: "/ws" },
    ]);
  });

  it("times a request out, emits timeout, and stays connected", async () => {
    await page.addScriptTag({ url: "/actionwire/client.js" });
    const result = await page.evaluate(async () => {
      const { ActionwireClient } = globalThis as unknown as {
        ActionwireClient: BrowserModule["ActionwireClient"];
      };
      const client = new ActionwireClient({ transport: "ws", timeoutMs: 200 });
      await client.connect();
      const timeouts: string[] = [];
      client.on("timeout", (event) => timeouts.push(event));
      // An action far longer than the timeout: it cannot answer in time, however slow the machine.
      const slow = await client
        .action("sleepTest", { sleepDuration: 20_000 })
        .catch((e: { code: string }) => e.code);
      const connected = client.connected;
      client.disconnect();
      return { slow, timeouts, connected };
    });
    expect(result).to.deep.equal({ slow: "ERR_TIMEOUT", timeouts: ["action"], connected: true });
  });

  for (const transport of ["ws", "socketio", "faye"] as const)
    it(`resumes over ${transport} after the network dropped it: same id, what it missed once and in order`, async () => {
      // The page reaches the server through a proxy that drops every connection when told.
      const proxy = await RoundRobinProxy.start([server.url]);
      const witness = new ActionwireClient({ url: server.url });
      try {
        await page.goto(`${proxy.url}/actionwire/transports`);
        const id = await page.evaluate(async (transport) => {
          const { ActionwireClient } = (await import(
            "/actionwire/client.mjs" as string
          )) as BrowserModule;
          const client = new ActionwireClient({ transport, reconnectDelayMs: 100 });
          const seen: Seen = { client, heard: [], resumed: [], disconnects: 0 };
          (globalThis as unknown as { seen: Seen }).seen = seen;
          client.on("say", (m) => seen.heard.push(String(m.message)));
          client.on("resumed", (info) => seen.resumed.push(info));
          client.on("disconnected", () => seen.disconnects++);
          return (await client.connect()).id;
        }, transport);
        // Waits until `check` holds of what the page's client saw (its source runs in the page).
        const until = (check: (seen: Seen) => boolean) =>
          page.waitForFunction(`(${check.toString()})(globalThis.seen)`);
        await witness.connect();
        await witness.say("before");
        await until((s) => s.heard.includes("before"));
        await proxy.dropAll();
        await until((s) => s.disconnects > 0);
        for (const m of ["missed 1", "missed 2"]) await witness.say(m);
        await until((s) => s.resumed.length > 0);
        await witness.say("live");
        await until((s) => s.heard.includes("live"));
        const result = await page.evaluate(() => {
          const { client, heard, resumed } = (globalThis as unknown as { seen: Seen }).seen;
          client.disconnect();
          return { id: client.details.id, heard, resumed, transport: client.transport };
        });
        expect(result.transport).to.equal(transport);
        expect(result.id).to.equal(id);
        expect(result.resumed).to.have.length(1);
        expect(result.resumed[0]).to.deep.include({ resumed: true, recovered: true });
        expect(result.heard.filter((m) => !m.startsWith("I have"))).to.deep.equal([
          "before",
          "missed 1",
          "missed 2",
          "live",
        ]);
      } finally {
        witness.disconnect();
        await proxy.close();
      }
    });

  it("reaches a server on 127.0.0.1 from a page Chromium counts as public (the launch flags)", async () => {
    // Chromium told that the page's server is on the public internet: a socket from that page
    // to 127.0.0.1 is a local-network access, blocked unless the launch flags turn the checks
    // off (without them: net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS).
    const target = await startDemoServer({ transports: ["ws"] });
    const override = `--ip-address-space-overrides=127.0.0.1:${server.address.port}=public`;
    const strict = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, override],
    });
    try {
      const publicPage = await strict.newPage();
      await publicPage.goto(`${server.url}/actionwire/transports`);
      await publicPage.addScriptTag({ url: "/actionwire/client.js" });
      const details = await publicPage.evaluate(async (url) => {
        const { ActionwireClient } = globalThis as unknown as {
          ActionwireClient: BrowserModule["ActionwireClient"];
        };
        const client = new ActionwireClient({ url, reconnect: false });
        const connected = await client.connect();
        client.disconnect();
        return connected;
      }, target.url);
      expect(details).to.include({ transport: "ws", room: "defaultRoom" });
    } finally {
      await strict.close();
      await target.stop();
    }
  });
});
