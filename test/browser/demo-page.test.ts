import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { launchChromium, PageConsole } from "../helpers/chromium.js";

const TRANSPORTS = ["ws", "socketio", "faye"] as const;

/** Waits until the element's text is exactly `text`. */
async function textIs(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel!)?.textContent === want,
    [selector, text],
  );
}

/** The demo page's value for a connection detail (`#details dd[data-key=…]`). */
function detail(page: Page, key: string): Promise<string | null> {
  return page.locator(`#details dd[data-key="${key}"]`).textContent();
}

/** Types into an input of the demo page and submits its form. */
async function submit(page: Page, input: string, value: string): Promise<void> {
  await page.fill(input, value);
  await page.press(input, "Enter");
}

describe("the demo page in Chromium", function () {
  this.timeout(30_000);
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  for (const transport of TRANSPORTS)
    describe(`over ${transport}`, () => {
      let server: ActionwireServer;
      const pages: Array<{ page: Page; console: PageConsole }> = [];
      // A closed page never polls for its goodbye: the faye transport would wait for it up to
      // shutdownTimeoutMs (default 5 s) at every stop.
      const start = (config: ActionwireConfig = {}) =>
        startDemoServer({
          transports: ["ws", "socketio", "faye"],
          demoPage: true,
          shutdownTimeoutMs: 200,
          ...config,
        });

      /** Opens the demo on this transport and waits until it is connected. */
      const open = async (): Promise<Page> => {
        const page = await browser.newPage();
        pages.push({ page, console: new PageConsole(page) });
        await page.goto(`${server.url}/?transport=${transport}`);
        await page.locator('#status[data-state="connected"]').waitFor();
        expect(await detail(page, "transport")).to.equal(transport);
        return page;
      };

      beforeEach(async () => {
        server = await start();
      });

      afterEach(async () => {
        for (const { page, console } of pages.splice(0)) {
          await page.close();
          expect(console.errors, "page errors").to.deep.equal([]);
        }
        await server.stop();
      });

      it("offers the transports the server runs, this one selected", async () => {
        const page = await open();
        const options = await page.$$eval("#transport option", (all) =>
          all.map((option) => (option as HTMLOptionElement).value),
        );
        expect(options).to.deep.equal(["faye", "socketio", "ws"]);
        expect(await page.inputValue("#transport")).to.equal(transport);
        expect(await page.textContent("#reconnect-info")).to.equal(`via ${transport}`);
      });

      it("lets two pages join a room and chat both ways", async () => {
        const a = await open();
        const b = await open();
        await submit(a, "#room-input", "lounge");
        await textIs(a, "#current-room", "lounge");
        await submit(b, "#room-input", "lounge");
        await textIs(b, "#current-room", "lounge");
        await textIs(a, "#members-count", "2");
        await textIs(b, "#members-count", "2");
        await submit(a, "#say-input", "hello from a");
        await b.locator("#log .chat:not(.own) .text", { hasText: "hello from a" }).waitFor();
        await submit(b, "#say-input", "hello from b");
        await a.locator("#log .chat:not(.own) .text", { hasText: "hello from b" }).waitFor();
        // Each page shows its own line once, marked as its own.
        expect(await a.locator("#log .chat.own .text").allTextContents()).to.deep.equal([
          "hello from a",
        ]);
        const fromA = await b
          .locator("#log .chat:not(.own)", { hasText: "hello from a" })
          .locator(".room")
          .textContent();
        expect(fromA).to.equal("#lounge");
      });

      it("runs an action and shows its reply with the round trip", async () => {
        const page = await open();
        await page.locator('#action-select option[value="cacheTest"]').waitFor({
          state: "attached",
        });
        await page.selectOption("#action-select", "cacheTest");
        await page.fill("#action-input-key", "colour");
        await page.fill("#action-input-value", "teal");
        await page.click("#action-run");
        const result = page.locator("#action-results .result").first();
        await result.waitFor();
        expect(await result.getAttribute("class")).to.equal("result");
        expect(await result.locator("strong").textContent()).to.equal("cacheTest");
        expect(await result.locator(".ms").textContent()).to.match(/^\d+ ms$/);
        const reply = JSON.parse((await result.locator("pre").textContent())!) as {
          cacheTestResults: unknown;
        };
        expect(reply.cacheTestResults).to.deep.equal({
          saveResp: true,
          loadResp: { key: "cacheTest_colour", value: "teal" },
          deleteResp: true,
        });
        // A failing action shows its code.
        await page.selectOption("#action-select", "failTest");
        await page.click("#action-run");
        const failed = page.locator("#action-results .result.err").first();
        await failed.waitFor();
        expect(await failed.textContent()).to.contain("ERR_ACTION_FAILED");
      });

      it("shows the other page's room change", async () => {
        const a = await open();
        const b = await open();
        await textIs(a, "#members-count", "2");
        await textIs(b, "#members-count", "2");
        const aId = (await detail(a, "id"))!;
        await submit(a, "#room-input", "kitchen");
        await textIs(a, "#current-room", "kitchen");
        const left = b.locator("#log .notice", { hasText: "I have left the room" });
        await left.waitFor();
        expect(await left.locator(".from").getAttribute("title")).to.equal(aId);
        await textIs(b, "#members-count", "1");
        expect(await b.locator("#members li").allTextContents()).to.have.length(1);
      });

      it("reconnects after the server restarts on its port and is back in its rooms", async () => {
        const page = await open();
        const firstId = await detail(page, "id");
        await submit(page, "#room-input", "kitchen");
        await textIs(page, "#current-room", "kitchen");
        await submit(page, "#listen-input", "garden");
        await page.locator("#listening li", { hasText: "#garden" }).waitFor();
        const { port } = server.address;
        await server.stop();
        server = await start({ port });
        await page.locator("#log .sys", { hasText: "reconnected: back in #kitchen" }).waitFor();
        await page.locator('#status[data-state="connected"]').waitFor();
        await textIs(page, "#current-room", "kitchen");
        await textIs(page, '#details dd[data-key="room"]', "kitchen");
        expect(await detail(page, "id")).not.to.equal(firstId);
        expect(await detail(page, "listeningRooms")).to.equal("garden");
        expect(
          await page.locator("#log .sys", { hasText: "reconnecting, with backoff" }).count(),
        ).to.equal(1);
        expect(server.connectionCounts()).to.include({ [transport]: 1 });
        // The page works on the new server: a chat line reaches a second page in the room.
        const other = await open();
        await submit(other, "#room-input", "kitchen");
        await textIs(page, "#members-count", "2");
        await submit(other, "#say-input", "welcome back");
        await page.locator("#log .chat .text", { hasText: "welcome back" }).waitFor();
      });
    });
});
