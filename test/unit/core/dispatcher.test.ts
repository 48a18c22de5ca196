import { expect } from "chai";
import type { InProcessClient } from "../../../src/core/in-process-transport.js";
import type { ActionwireServer } from "../../../src/server/actionwire-server.js";
import { connected, request, startInProcessServer } from "../../helpers/in-process-server.js";

describe("Dispatcher (in-process transport)", () => {
  let server: ActionwireServer;
  let connect: () => InProcessClient;

  beforeEach(async () => {
    ({ server, connect } = await startInProcessServer());
  });

  afterEach(async () => {
    await server.stop();
  });

  it("sends the welcome first, with the default room", async () => {
    const client = connect();
    const first = await client.next();
    expect(first).to.deep.equal({
      context: "api",
      welcome: "Hello! Welcome to the actionwire api",
      room: "defaultRoom",
    });
  });

  it("counts every frame, malformed ones too, and replies with the count at receipt", async () => {
    const client = await connected(connect);
    client.send("not json");
    const bad = await client.next((m) => m.context === "response");
    expect(bad).to.deep.equal({
      context: "response",
      messageCount: 1,
      status: "bad message: the message is not valid JSON",
      error: "bad message: the message is not valid JSON",
      code: "ERR_BAD_MESSAGE",
    });
    const details = await request(client, "detailsView");
    expect(details.messageCount).to.equal(2);
    expect((details.data as { messageCount: number }).messageCount).to.equal(2);
  });

  it("rejects non-object frames, bad params and bad messageIds with ERR_BAD_MESSAGE", async () => {
    const client = await connected(connect);
    for (const frame of [
      "[1,2]",
      "42",
      '"x"',
      "null",
      '{"params":{}}',
      '{"event":""}',
      '{"event":"say","params":[1]}',
      '{"event":"say","params":"x"}',
      '{"event":"roomView","messageId":{}}',
      '{"event":"roomView","messageId":true}',
    ]) {
      client.send(frame);
      const reply = await client.next((m) => m.context === "response");
      expect(reply.code, frame).to.equal("ERR_BAD_MESSAGE");
      expect(reply).not.to.have.property("messageId");
    }
  });

  it("treats missing or null params as {} and echoes messageId with its type", async () => {
    const client = await connected(connect);
    client.send('{"event":"roomView","messageId":7}');
    const a = await client.next((m) => m.context === "response");
    expect(a.messageId).to.equal(7);
    expect(a.status).to.equal("OK");
    client.send('{"event":"roomView","params":null,"messageId":"7"}');
    const b = await client.next((m) => m.context === "response");
    expect(b.messageId).to.equal("7");
  });

  it("refuses nesting deeper than the limit", async () => {
    const client = await connected(connect);
    const deep = (n: number): unknown => (n <= 1 ? {} : { a: deep(n - 1) });
    client.send(JSON.stringify({ event: "action", params: { action: "echo", x: deep(62) } }));
    const fine = await client.next((m) => m.context === "response");
    expect(fine).not.to.have.property("error");
    client.send(JSON.stringify({ event: "action", params: { action: "echo", x: deep(63) } }));
    const tooDeep = await client.next((m) => m.context === "response");
    expect(tooDeep.code).to.equal("ERR_BAD_MESSAGE");
    expect(tooDeep.error).to.equal("bad message: nesting deeper than 64 levels");
  });

  it("answers an unknown verb and an unknown action with their codes", async () => {
    const client = await connected(connect);
    const verb = await request(client, "fly");
    expect(verb).to.include({ code: "ERR_UNKNOWN_VERB", error: "fly is not a known verb" });
    const action = await request(client, "action", { action: "nope" });
    expect(action).to.include({ code: "ERR_UNKNOWN_ACTION", error: "nope is not a known action" });
    const none = await request(client, "action", {});
    expect(none.code).to.equal("ERR_MISSING_PARAM");
  });

  it("replies to an action flat, with the required and invalid param errors", async () => {
    const client = await connected(connect);
    const missing = await request(client, "action", { action: "cacheTest", value: 1 });
    expect(missing).to.include({
      code: "ERR_MISSING_PARAM",
      error: "key is a required parameter for this action",
      status: "key is a required parameter for this action",
    });
    const saved = await request(client, "action", { action: "cacheTest", key: "k", value: "v" });
    expect(saved).not.to.have.property("error");
    expect(saved.context).to.equal("response");
    expect(saved.cacheTestResults).to.deep.equal({
      saveResp: true,
      loadResp: { key: "cacheTest_k", value: "v" },
      deleteResp: true,
    });
    const invalid = await request(client, "action", { action: "validateTest", n: 11 });
    expect(invalid).to.include({
      code: "ERR_INVALID_PARAM",
      error: "n is not valid: must be an integer from 1 to 10",
    });
    expect(await request(client, "action", { action: "validateTest", n: "3" })).to.include({
      n: 3,
    });
    const failed = await request(client, "action", { action: "failTest" });
    expect(failed).to.include({
      code: "ERR_ACTION_FAILED",
      error: "failTest failed, as it always does",
    });
  });

  it("overlays sticky params with the request's own, which never stick", async () => {
    const client = await connected(connect);
    expect((await request(client, "paramAdd", { key: "key", value: "sticky" })).status).to.equal(
      "OK",
    );
    expect((await request(client, "paramView", { key: "key" })).data).to.equal("sticky");
    const a = await request(client, "action", { action: "cacheTest", value: "v" });
    expect((a.cacheTestResults as { loadResp: { key: string } }).loadResp.key).to.equal(
      "cacheTest_sticky",
    );
    const b = await request(client, "action", { action: "cacheTest", key: "own", value: "v" });
    expect((b.cacheTestResults as { loadResp: { key: string } }).loadResp.key).to.equal(
      "cacheTest_own",
    );
    expect((await request(client, "paramsView")).data).to.deep.equal({ key: "sticky" });
    await request(client, "paramDelete", { key: "key" });
    expect((await request(client, "paramView", { key: "key" })).data).to.equal(null);
    await request(client, "paramAdd", { key: "a", value: 1 });
    await request(client, "paramsDelete");
    expect((await request(client, "paramsView")).data).to.deep.equal({});
  });

  it("drops params an action does not declare, unless it opts out", async () => {
    const client = await connected(connect);
    const echo = await request(client, "action", { action: "echo", x: 1, y: "z" });
    expect(echo.echo).to.deep.equal({ x: 1, y: "z" });
  });

  it("fails an action whose result holds a reserved key", async () => {
    ({ server, connect } = await restartWith({
      actions: [{ name: "bad", run: () => ({ messageCount: 3 }) }],
    }));
    const client = await connected(connect);
    expect((await request(client, "action", { action: "bad" })).code).to.equal("ERR_ACTION_FAILED");
  });

  it("limits actions in flight: six sleepTests at once give exactly one ERR_TOO_MANY_PENDING", async () => {
    const client = await connected(connect);
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(client, "action", { action: "sleepTest", sleepDuration: 50 }),
      ),
    );
    expect(replies.filter((r) => r.code === "ERR_TOO_MANY_PENDING")).to.have.length(1);
    expect(replies.filter((r) => r.error === undefined)).to.have.length(5);
    const details = await request(client, "detailsView");
    expect(details.data as { pendingActions: number; totalActions: number }).to.include({
      pendingActions: 0,
      totalActions: 5,
    });
  });

  it("times an action out at its deadline, and it stops counting as pending", async () => {
    ({ server, connect } = await restartWith({ limits: { actionTimeoutMs: 30 } }));
    const client = await connected(connect);
    const reply = await request(client, "action", { action: "sleepTest", sleepDuration: 5000 });
    expect(reply).to.include({ code: "ERR_ACTION_TIMEOUT", error: "the action timed out" });
    const details = await request(client, "detailsView");
    expect((details.data as { pendingActions: number }).pendingActions).to.equal(0);
  });

  it("aborts a running action's signal when its connection closes", async () => {
    let aborted: unknown;
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    ({ server, connect } = await restartWith({
      actions: [
        {
          name: "wait",
          run: (_params, { signal }) =>
            new Promise((resolve) => {
              signal.addEventListener("abort", () => {
                aborted = signal.reason;
                resolve({});
              });
              markStarted();
            }),
        },
      ],
    }));
    const client = await connected(connect);
    client.send({ event: "action", params: { action: "wait" } });
    await started;
    client.close();
    expect(aborted).to.be.instanceOf(Error);
    expect((aborted as Error).message).to.equal("the connection closed");
  });

  it("keeps a default of an empty string or null", async () => {
    ({ server, connect } = await restartWith({
      actions: [
        {
          name: "defaults",
          inputs: { s: { default: "" }, n: { default: null } },
          run: (params) => ({ got: { ...params } }),
        },
      ],
    }));
    const client = await connected(connect);
    expect((await request(client, "action", { action: "defaults" })).got).to.deep.equal({
      s: "",
      n: null,
    });
  });

  it("runs middleware before and after, and lets before refuse", async () => {
    const seen: string[] = [];
    ({ server, connect } = await restartWith({
      middleware: [
        {
          name: "audit",
          before: (call) => {
            seen.push(`before ${call.action.name}`);
            if (call.params.key === "forbidden") {
              throw new (class extends Error {})("no");
            }
          },
          after: (_call, result) => ({ ...result, audited: true }),
        },
      ],
    }));
    const client = await connected(connect);
    const reply = await request(client, "action", { action: "cacheTest", key: "k", value: 1 });
    expect(reply.audited).to.equal(true);
    expect(seen).to.deep.equal(["before cacheTest"]);
    const refused = await request(client, "action", {
      action: "cacheTest",
      key: "forbidden",
      value: 1,
    });
    expect(refused.code).to.equal("ERR_ACTION_FAILED");
  });

  it("narrows verbs per transport", async () => {
    ({ server, connect } = await restartWith({
      allowedVerbs: { inprocess: ["action", "detailsView"] },
    }));
    const client = await connected(connect);
    expect((await request(client, "say", { message: "hi" })).code).to.equal("ERR_UNKNOWN_VERB");
    expect((await request(client, "detailsView")).status).to.equal("OK");
  });

  it("lists the actions with documentation", async () => {
    const client = await connected(connect);
    const docs = (await request(client, "documentation")).data as Array<{
      name: string;
      inputs: unknown[];
    }>;
    const cacheTest = docs.find((d) => d.name === "cacheTest");
    expect(cacheTest?.inputs).to.deep.equal([
      { name: "key", required: true },
      { name: "value", required: true },
    ]);
    expect(docs.find((d) => d.name === "sleepTest")?.inputs).to.deep.equal([
      { name: "sleepDuration", required: false, default: 1000 },
    ]);
  });

  it("stores setIP as claimedIP only", async () => {
    const client = await connected(connect);
    await request(client, "setIP", { ip: "10.1.2.3" });
    const details = (await request(client, "detailsView")).data as Record<string, unknown>;
    expect(details).to.include({ claimedIP: "10.1.2.3", remoteIP: "127.0.0.1" });
  });

  it("rate-limits a flood with ERR_RATE_LIMITED", async () => {
    ({ server, connect } = await restartWith({ limits: { rate: 5 } }));
    const client = await connected(connect);
    // Refused before parsing, so the reply has no messageId: it is matched by messageCount.
    for (let i = 0; i < 8; i++) client.send({ event: "roomView", messageId: i });
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => client.next((m) => m.messageCount === i + 1)),
    );
    const limited = replies.filter((r) => r.code === "ERR_RATE_LIMITED");
    expect(limited.length).to.be.within(2, 3);
    expect(limited[0]).to.deep.include({ error: "too many messages", status: "too many messages" });
    expect(limited[0]).not.to.have.property("messageId");
    expect(replies[0]).to.include({ status: "OK", messageId: 0 });
  });

  it("closes a connection that stays over the rate, with reason rate limit", async () => {
    ({ server, connect } = await restartWith({ limits: { rate: 5, rateAbuseMs: 50 } }));
    const abuser = await connected(connect);
    const neighbour = await connected(connect);
    for (let i = 0; i < 100_000 && !abuser.closed; i++) {
      abuser.send({ event: "roomView" });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(abuser.received.at(-1)).to.deep.equal({
      context: "api",
      status: "Bye!",
      reason: "rate limit",
    });
    expect((await request(neighbour, "roomView")).status).to.equal("OK");
  });

  it("answers ERR_SHUTTING_DOWN while draining", async () => {
    const client = await connected(connect);
    const slow = request(client, "action", { action: "sleepTest", sleepDuration: 50 });
    await request(client, "roomView"); // the action is in flight once a later request answers
    const stopping = server.stop();
    const refused = await request(client, "roomView");
    expect(refused.code).to.equal("ERR_SHUTTING_DOWN");
    expect((await slow).error).to.equal(undefined);
    await stopping;
    const bye = client.received.at(-1);
    // Each client is told to come back after a delay of its own, within resume.shutdownSpreadMs.
    const { reconnectAfterMs, ...rest } = bye as Record<string, unknown>;
    expect(rest).to.deep.equal({ context: "api", status: "Bye!", reason: "server shutdown" });
    expect(reconnectAfterMs).to.be.a("number").within(0, 2_000);
  });

  it("answers the requests before a quit, then says goodbye", async () => {
    const client = await connected(connect);
    client.send({
      event: "action",
      params: { action: "sleepTest", sleepDuration: 30 },
      messageId: 1,
    });
    client.send({ event: "roomView", messageId: 2 });
    client.send({ event: "quit" });
    const bye = await client.next((m) => m.status === "Bye!");
    expect(bye.reason).to.equal("quit");
    const replies = client.received.filter((m) => m.context === "response");
    expect(replies.map((m) => m.messageId).sort()).to.deep.equal([1, 2]);
    expect(client.received.at(-1)).to.equal(bye);
  });

  it("holds requests sent while the connection is admitted, then answers them in order", async () => {
    let reached: () => void = () => undefined;
    const authenticating = new Promise<void>((resolve) => (reached = resolve));
    let verdict: (identity: Record<string, unknown>) => void = () => undefined;
    ({ server, connect } = await restartWith({
      authenticate: () => {
        reached();
        return new Promise((resolve) => (verdict = resolve));
      },
    }));
    const client = connect();
    client.send({ event: "action", params: { action: "echo", n: 1 }, messageId: 1 });
    client.send({ event: "roomView", messageId: 2 });
    await authenticating;
    verdict({ user: "ada" });
    const second = await client.next((m) => m.messageId === 2);
    expect(second.status).to.equal("OK");
    const contexts = client.received.map((m) => m.messageId ?? m.context);
    expect(contexts).to.deep.equal(["api", 1, 2]);
    expect(client.received[1]!.echo).to.deep.equal({ n: 1 });
  });

  it("logs every action with logActions, secrets filtered, and failures with filtered params", async () => {
    const lines: Array<{ level: string; message: string; details?: Record<string, unknown> }> = [];
    const logger = Object.fromEntries(
      ["debug", "info", "warn", "error"].map((level) => [
        level,
        (message: string, details?: Record<string, unknown>) =>
          lines.push({ level, message, details }),
      ]),
    ) as unknown as import("../../../src/core/logger.js").Logger;
    ({ server, connect } = await restartWith({
      logger,
      logActions: "info",
      filteredParams: ["apiKey"],
      actions: [
        {
          name: "login",
          inputs: { user: { required: true }, password: { required: true, secret: true } },
          acceptUndeclaredParams: true,
          run: ({ user }) => ({ user }),
        },
        {
          name: "crash",
          inputs: { token: { secret: true } },
          run: () => {
            throw new Error("boom");
          },
        },
        {
          name: "later",
          inputs: { password: { secret: true } },
          run: async () => ({ done: true }),
        },
      ],
    }));
    const client = await connected(connect);
    const reply = await request(client, "action", {
      action: "login",
      user: "ada",
      password: "hunter2",
      apiKey: "k-123",
    });
    expect(reply.user).to.equal("ada");
    expect((await request(client, "action", { action: "crash", token: "t-9" })).code).to.equal(
      "ERR_ACTION_FAILED",
    );
    expect((await request(client, "action", { action: "later", password: "p" })).done).to.equal(
      true,
    );
    expect(JSON.stringify(lines)).not.to.match(/hunter2|k-123|t-9|"p"/);
    const login = lines.find((line) => line.message === "action login");
    expect(login?.level).to.equal("info");
    expect(login?.details?.params).to.deep.equal({
      user: "ada",
      password: "[FILTERED]",
      apiKey: "[FILTERED]",
    });
    expect(login?.details?.ms).to.be.a("number");
    const crash = lines.find((line) => line.message === "action crash failed");
    expect(crash?.level).to.equal("error");
    expect(crash?.details).to.include({ error: "Error: boom" });
    expect(crash?.details?.params).to.deep.equal({ token: "[FILTERED]" });
    const later = lines.find((line) => line.message === "action later");
    expect(later?.details?.params).to.deep.equal({ password: "[FILTERED]" });
  });

  it("logs no action line without logActions", async () => {
    const lines: string[] = [];
    const log = (message: string) => lines.push(message);
    ({ server, connect } = await restartWith({
      logger: { debug: log, info: log, warn: log, error: log },
    }));
    const client = await connected(connect);
    await request(client, "action", { action: "echo", n: 1 });
    expect(lines.filter((line) => line.startsWith("action"))).to.deep.equal([]);
  });

  async function restartWith(config: Parameters<typeof startInProcessServer>[0]) {
    await server.stop();
    return startInProcessServer(config);
  }
});
