import { expect } from "chai";
import { ActionwireError } from "../../src/core/errors.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";

describe("HTTP actions", () => {
  let server: ActionwireServer;

  const call = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${server.url}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const post = (path: string, body: unknown, type = "application/json") =>
    call(path, {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  beforeEach(async () => {
    server = await startDemoServer({ transports: ["ws"] });
  });

  afterEach(async () => {
    await server.stop();
  });

  it("runs an action with GET and answers its flat result", async () => {
    const { status, body } = await call("/api/status");
    expect(status).to.equal(200);
    expect(body).to.include({ id: "test-node" });
    expect(body).not.to.have.property("context");
  });

  it("takes params from the query string overlaid by a JSON body", async () => {
    const { status, body } = await post("/api/cacheTest?key=fromQuery&value=q", {
      value: "fromBody",
    });
    expect(status).to.equal(200);
    expect((body.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: "cacheTest_fromQuery",
      value: "fromBody",
    });
    const form = await post("/api/cacheTest", "key=a&value=b", "application/x-www-form-urlencoded");
    expect((form.body.cacheTestResults as { loadResp: unknown }).loadResp).to.deep.equal({
      key: "cacheTest_a",
      value: "b",
    });
  });

  it("finds the action in ?action= too", async () => {
    const { status, body } = await call("/api?action=echo&x=1");
    expect(status).to.equal(200);
    expect(body.echo).to.deep.equal({ x: "1" });
  });

  it("answers each error with its status and { error, code }", async () => {
    expect(await call("/api/cacheTest?value=1")).to.deep.equal({
      status: 422,
      body: { error: "key is a required parameter for this action", code: "ERR_MISSING_PARAM" },
    });
    expect(await call("/api/validateTest?n=99")).to.deep.equal({
      status: 422,
      body: { error: "n is not valid: must be an integer from 1 to 10", code: "ERR_INVALID_PARAM" },
    });
    expect(await call("/api/nope")).to.deep.equal({
      status: 404,
      body: { error: "nope is not a known action", code: "ERR_UNKNOWN_ACTION" },
    });
    expect(await call("/api/failTest")).to.deep.equal({
      status: 500,
      body: { error: "failTest failed, as it always does", code: "ERR_ACTION_FAILED" },
    });
    expect((await post("/api/echo", "{not json")).status).to.equal(400);
    expect(await post("/api/echo", [1, 2])).to.deep.equal({
      status: 400,
      body: { error: "bad message: the body must be a JSON object", code: "ERR_BAD_MESSAGE" },
    });
    expect((await call("/api/echo", { method: "PUT" })).status).to.equal(405);
    expect(await post("/api", {})).to.deep.equal({
      status: 422,
      body: { error: "action is a required parameter", code: "ERR_MISSING_PARAM" },
    });
  });

  it("refuses a body over the frame limit with 413", async () => {
    await server.stop();
    server = await startDemoServer({ transports: ["ws"], limits: { maxMessageBytes: 1024 } });
    const { status, body } = await post("/api/echo", { x: "y".repeat(4096) });
    expect(status).to.equal(413);
    expect(body.code).to.equal("ERR_MESSAGE_TOO_LARGE");
  });

  it("times out with 504", async () => {
    await server.stop();
    server = await startDemoServer({ transports: ["ws"], limits: { actionTimeoutMs: 30 } });
    expect(await call("/api/sleepTest?sleepDuration=5000")).to.deep.equal({
      status: 504,
      body: { error: "the action timed out", code: "ERR_ACTION_TIMEOUT" },
    });
  });

  it("limits actions in flight per address with 429", async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => call("/api/sleepTest?sleepDuration=150")),
    );
    const refused = replies.filter((r) => r.status === 429);
    expect(refused).to.have.length(1);
    expect(refused[0]!.body.code).to.equal("ERR_TOO_MANY_PENDING");
  });

  it("rate-limits per address with 429", async () => {
    await server.stop();
    server = await startDemoServer({ transports: ["ws"], limits: { rate: 2 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call("/api/echo")).status);
    expect(statuses.filter((s) => s === 429).length).to.be.at.least(2);
  });

  it("runs middleware: a refusal has its status", async () => {
    await server.stop();
    server = await startDemoServer({
      transports: ["ws"],
      middleware: [
        {
          name: "locked",
          before: (call) => {
            if (call.connection.transport === "http" && call.action.name === "echo") {
              throw new ActionwireError("ERR_NOT_AUTHORIZED", "not over http");
            }
          },
        },
      ],
    });
    expect(await call("/api/echo")).to.deep.equal({
      status: 403,
      body: { error: "not over http", code: "ERR_NOT_AUTHORIZED" },
    });
  });

  it("lists the actions and the requester at GET /api", async () => {
    const { status, body } = await call("/api");
    expect(status).to.equal(200);
    expect(body.requesterInformation).to.deep.equal({ remoteIP: "127.0.0.1" });
    expect((body.actions as Array<{ name: string }>).map((a) => a.name)).to.include("cacheTest");
  });

  it("runs the authenticate hook: refused is 401", async () => {
    await server.stop();
    server = await startDemoServer({
      transports: ["ws"],
      authenticate: (connection) =>
        connection.request?.headers.authorization === "Bearer ok" ? { user: "ann" } : false,
    });
    expect(await call("/api/status")).to.deep.equal({
      status: 401,
      body: { error: "not authorized to connect", code: "ERR_NOT_AUTHORIZED" },
    });
    const ok = await call("/api/status", { headers: { authorization: "Bearer ok" } });
    expect(ok.status).to.equal(200);
  });

  it("answers a path that is not valid percent-encoding with 400", async () => {
    expect((await call("/api/%E0%A4%A")).status).to.equal(400);
  });

  it("can be turned off", async () => {
    await server.stop();
    server = await startDemoServer({ transports: ["ws"], httpActions: { enabled: false } });
    expect((await call("/api/status")).status).to.equal(404);
  });
});
