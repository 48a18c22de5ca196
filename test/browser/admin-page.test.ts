import { expect } from "chai";
import type { Browser, ConsoleMessage, Page } from "playwright-core";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { launchChromium, PageConsole } from "../helpers/chromium.js";
import { WsTestClient } from "../helpers/ws-test-client.js";

const TOKEN = "admin-token-for-the-browser-0123456";
/** A room name that would run script if the page rendered it as markup. */
const XSS_ROOM = `<img src=x onerror="window.__xss=1">"'&`;

/** Waits until the element's text is exactly `text`. */
async function textIs(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel!)?.textContent === want,
    [selector, text],
  );
}

describe("the admin page in Chromium", function () {
  this.timeout(30_000);
  let browser: Browser;
  let server: ActionwireServer;
  let clients: WsTestClient[] = [];
  const pages: Array<{ page: Page; console: PageConsole; errors: string[] }> = [];

  const connect = async (room: string) => {
    const client = await WsTestClient.connect(`${server.url.replace("http", "ws")}/ws`);
    clients.push(client);
    await client.request("roomChange", { room });
    return client;
  };
  /** Opens the page; `errors` collects console errors (a failed fetch logs one too). */
  const open = async (hash = `#token=${TOKEN}`) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("console", (message: ConsoleMessage) => {
      if (message.type() === "error") errors.push(message.text());
    });
    pages.push({ page, console: new PageConsole(page), errors });
    await page.goto(`${server.url}/actionwire/admin${hash}`);
    return { page, errors };
  };

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    server = await startDemoServer({
      nodeId: "browser-node",
      transports: ["ws"],
      admin: { token: TOKEN },
    });
  });

  afterEach(async () => {
    for (const { page, console } of pages.splice(0)) {
      await page.close();
      expect(console.errors, "page errors").to.deep.equal([]);
    }
    for (const client of clients) client.socket.terminate();
    clients = [];
    await server.stop();
  });

  it("loads without errors, shows the counts after known traffic, escapes room names, and disconnects a client", async () => {
    const inX = [await connect("X"), await connect("X"), await connect("X")];
    await connect(XSS_ROOM);
    await inX[0]!.action("echo", { message: "hi" });
    await inX[0]!.action("noSuchAction");
    const { page, errors } = await open();
    await textIs(page, '#rooms tr[data-room="X"] td.members', "3");
    await textIs(page, "#total-connections", "4");
    await textIs(page, '#transports tr[data-transport="ws"] td.count', "4");
    await textIs(page, "#nodes-answered", "1 / 1");
    expect(await page.textContent('#nodes tr[data-node="browser-node"] td.name')).to.equal(
      "browser-node",
    );
    expect(await page.textContent('#errors tr[data-code="ERR_UNKNOWN_ACTION"] td')).to.equal(
      "ERR_UNKNOWN_ACTION",
    );
    // The token came in the fragment: it is kept for the tab and gone from the address bar.
    expect(page.url()).to.equal(`${server.url}/actionwire/admin`);

    // The room name is shown as text: no element made of it, no script run.
    const names = await page.$$eval("#rooms td.name", (cells) => cells.map((c) => c.textContent));
    expect(names).to.include(XSS_ROOM);
    expect(await page.$$("#rooms img")).to.have.length(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).to.equal(
      undefined,
    );

    // Look the first client up by id and disconnect it from the page.
    const id = ((await inX[0]!.request("detailsView")).data as { id: string }).id;
    await page.selectOption("#lookup-by", "id");
    await page.fill("#lookup-value", id);
    await page.fill("#disconnect-reason", "kicked from the page");
    await page.click('#lookup-form button[type="submit"]');
    const row = page.locator(`#connections tr[data-connection="${id}"]`);
    await row.waitFor();
    expect(await row.locator("td").nth(3).textContent()).to.match(/^X/);
    await row.locator("button.danger").click();
    expect(await inX[0]!.next((m) => m.status === "Bye!")).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "disconnected by server",
      code: "ERR_DISCONNECTED_BY_ADMIN",
      error: "kicked from the page",
    });
    await textIs(page, "#lookup-status", `disconnected ${id}`);
    // The live view follows: room X is down to two members, three connections in all.
    await textIs(page, '#rooms tr[data-room="X"] td.members', "2");
    await textIs(page, "#total-connections", "3");
    expect(errors, "console errors").to.deep.equal([]);
  });

  it("asks for the token when it has none, then shows the data", async () => {
    await connect("X");
    const { page } = await open("");
    await page.locator("#login:not([hidden])").waitFor();
    expect(await page.textContent("#login-message")).to.equal(
      "the admin API needs its token: Authorization: Bearer <admin.token>",
    );
    await page.fill("#token-input", "not-the-admin-token");
    await page.click('#login button[type="submit"]');
    await textIs(page, "#login-message", "wrong admin token");
    await page.fill("#token-input", TOKEN);
    await page.click('#login button[type="submit"]');
    await textIs(page, '#rooms tr[data-room="X"] td.members', "1");
    expect(await page.isHidden("#login")).to.equal(true);
  });
});
