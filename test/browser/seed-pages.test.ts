import { expect } from "chai";
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { Browser, Page } from "playwright-core";
import { ActionwireClient, type ServerPayload } from "../../src/client/index.js";
import type { ActionHeroWebSocket } from "../../src/client/action-hero-web-socket.js";
import type { AHsocket } from "../../src/client/ah-socket.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { launchChromium, PageConsole } from "../helpers/chromium.js";

/** The pages, read from the source tree (the build does not copy them). */
const FIXTURES = new URL("../../../test/browser/fixtures/", import.meta.url);

/** What the seed pages leave on `window`. */
interface SeedWindow {
  A: ActionHeroWebSocket;
  s: AHsocket;
  heard: ServerPayload[];
}

/**
 * An application's own HTTP server that serves the seed pages, with actionwire attached to it:
 * the pages load `/faye/client.js`, `/socket.io/socket.io.js` and
 * `/public/javascript/actionHeroWebSocket.js` from it, as they would from actionHero.
 */
class SeedSite {
  private constructor(
    readonly http: HttpServer,
    readonly server: ActionwireServer,
  ) {}

  static async start(transports: string[]): Promise<SeedSite> {
    const http = createHttpServer((request, response) => {
      const page = /^\/(seed-00[01]\.html)$/.exec(request.url ?? "")?.[1];
      if (page === undefined) {
        response.writeHead(404).end();
        return;
      }
      readFile(new URL(page, FIXTURES)).then(
        (body) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(body),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    // A closed page never polls for its goodbye: faye would wait for it up to this long at stop.
    const server = await startDemoServer({ server: http, transports, shutdownTimeoutMs: 200 });
    return new SeedSite(http, server);
  }

  get url(): string {
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}

/** Each server setup, and the transport the seeds' script must pick on it. */
const SETUPS = [
  { transports: ["ws", "socketio", "faye"], picks: "faye" },
  { transports: ["ws", "socketio"], picks: "socketio" },
  { transports: ["ws"], picks: "ws" },
];

describe("the seeds' pages in Chromium", function () {
  this.timeout(30_000);
  let browser: Browser;
  let site: SeedSite;
  const pages: Page[] = [];
  const clients: ActionwireClient[] = [];

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    for (const page of pages.splice(0)) await page.close();
    await site.stop();
  });

  const open = async (name: string): Promise<{ page: Page; console: PageConsole }> => {
    const page = await browser.newPage();
    pages.push(page);
    const console = new PageConsole(page);
    await page.goto(`${site.url}/${name}`);
    return { page, console };
  };

  /** A Node client in the default room, to talk to the page. */
  const nodeClient = async (): Promise<ActionwireClient> => {
    const client = new ActionwireClient({ url: site.url, transport: "ws" });
    clients.push(client);
    await client.connect();
    return client;
  };

  for (const { transports, picks } of SETUPS) {
    describe(`on a server running ${transports.join(", ")}`, () => {
      beforeEach(async () => {
        site = await SeedSite.start(transports);
      });

      it(`runs seed 000's page unmodified: it connects over ${picks}, gets its details, hears say and alert`, async () => {
        const { page, console } = await open("seed-000.html");
        await console.next(([text]) => typeof text === "string" && text.endsWith("] CONNECTED"));
        const [, details] = (await console.next(
          ([, value]) => typeof value === "object" && value !== null && "connectedAt" in value,
        )) as [string, Record<string, unknown>];
        expect(details).to.include({
          transport: picks,
          room: "defaultRoom",
          remoteIP: "127.0.0.1",
        });
        expect(await page.evaluate(() => (window as unknown as SeedWindow).A.details.id)).to.equal(
          details.id,
        );

        const other = await nodeClient();
        await other.say("hello seed page");
        const [, said] = (await console.next(
          ([, value]) => (value as ServerPayload | undefined)?.message === "hello seed page",
        )) as [string, ServerPayload];
        expect(said).to.include({ context: "user", room: "defaultRoom", from: other.details.id });
        expect(console.calls.some(([text]) => String(text).endsWith("] SAY:"))).to.equal(true);

        await server(site).alert(String(details.id), "heads up");
        const [, alert] = (await console.next(
          ([, value]) => (value as ServerPayload | undefined)?.context === "alert",
        )) as [string, ServerPayload];
        expect(alert).to.include({ message: "heads up" });
        expect(console.calls.some(([text]) => String(text).endsWith("] ALERT:"))).to.equal(true);
        expect(console.errors).to.deep.equal([]);
      });
    });
  }

  for (const { transports, picks } of [SETUPS[0]!, SETUPS[1]!]) {
    describe(`AHsocket on a server running ${transports.join(", ")}`, () => {
      beforeEach(async () => {
        site = await SeedSite.start(transports);
      });

      it(`is used the way seed 001 uses it, over ${picks}`, async () => {
        const { page, console } = await open("seed-001.html");
        const [, details] = (await console.next(([text]) => text === "CONNECTED")) as [
          string,
          Record<string, unknown>,
        ];
        expect(details).to.include({ transport: picks, room: "defaultRoom" });
        expect(
          await page.evaluate(() => (window as unknown as SeedWindow).s.details),
        ).to.deep.equal(details);

        // s.action("cacheTest", {key: "key", value: "value"}, function(err, response, delta){…})
        const [error, response, delta] = await page.evaluate(
          () =>
            new Promise<[string | null, ServerPayload, number]>((resolve) =>
              (window as unknown as SeedWindow).s.action(
                "cacheTest",
                { key: "key", value: "value" },
                (err, res, d) => resolve([err, res, d]),
              ),
            ),
        );
        expect(error).to.equal(null);
        expect(response).to.include({ context: "response", messageCount: 2 });
        expect(response.cacheTestResults).to.deep.include({ saveResp: true });
        expect(delta).to.be.a("number").and.at.least(0);
        const [missing, failed] = await page.evaluate(
          () =>
            new Promise<[string | null, ServerPayload]>((resolve) =>
              (window as unknown as SeedWindow).s.action("cacheTest", {}, (err, res) =>
                resolve([err, res]),
              ),
            ),
        );
        expect(missing).to.equal("key is a required parameter for this action");
        expect(failed).to.include({ code: "ERR_MISSING_PARAM" });

        // s.on('say', …) hears another client.
        const other = await nodeClient();
        await other.say("hello there");
        const [said] = (await console.next(
          ([value]) => (value as ServerPayload | undefined)?.message === "hello there",
        )) as [ServerPayload];
        expect(said).to.include({ context: "user", room: "defaultRoom", from: other.details.id });

        // Room verbs with callbacks.
        const view = await page.evaluate(
          () =>
            new Promise<ServerPayload>((resolve) => {
              const s = (window as unknown as SeedWindow).s;
              s.roomChange("otherRoom", () => s.roomView((_err, res) => resolve(res)));
            }),
        );
        expect(view.data).to.deep.equal({
          room: "otherRoom",
          members: [details.id],
          membersCount: 1,
        });

        // s.quit(): the server says goodbye and forgets the connection.
        const reason = await page.evaluate(
          () =>
            new Promise<string>((resolve) => {
              const s = (window as unknown as SeedWindow).s;
              s.on("disconnected", resolve);
              s.quit();
            }),
        );
        expect(reason).to.equal("client disconnect");
        expect(console.errors).to.deep.equal([]);
      });
    });
  }
});

/** The actionwire server of a site (for server-side pushes). */
function server(site: SeedSite): ActionwireServer {
  return site.server;
}
