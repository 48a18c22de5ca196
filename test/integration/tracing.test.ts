import { context, createContextKey, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { expect } from "chai";
import { fileURLToPath } from "node:url";
import { ActionwireClient } from "../../src/client/actionwire-client.js";
import { defineAction } from "../../src/core/actions/define-action.js";
import type { ActionwireConfig } from "../../src/core/config.js";
import type { ActionwireServer } from "../../src/server/actionwire-server.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import { runWithHiddenPackages } from "../helpers/hidden-packages.js";
import { RedisProcess } from "../helpers/redis-process.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

/** An action that opens a span of its own: the application's code runs in the action's span. */
const nested = defineAction({
  name: "nested",
  run: async () => {
    await Promise.resolve();
    trace.getTracer("app").startSpan("app work").end();
    return { done: true };
  },
});

/**
 * An action that reads and derives the context it runs in, as application code may (its own
 * values, the span taken out): what it saw, for the test to compare with the action's span.
 */
const probe = defineAction({
  name: "contextProbe",
  run: () => {
    const key = createContextKey("actionwire test value");
    const active = context.active();
    const withValue = active.setValue(key, "kept");
    const withoutSpan = trace.deleteSpan(withValue);
    const withoutValue = withValue.deleteValue(key);
    return {
      spanId: trace.getSpan(active)?.spanContext().spanId,
      valueSpanId: trace.getSpan(withValue)?.spanContext().spanId,
      value: withValue.getValue(key) ?? null,
      noValueBefore: active.getValue(key) === undefined,
      spanDeleted: trace.getSpan(withoutSpan) === undefined,
      valueKept: withoutSpan.getValue(key) ?? null,
      valueDeleted: withoutValue.getValue(key) === undefined,
      spanKeptId: trace.getSpan(withoutValue)?.spanContext().spanId,
    };
  },
});

describe("OpenTelemetry tracing", function () {
  this.timeout(20_000);
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let servers: ActionwireServer[] = [];
  let clients: ActionwireClient[] = [];

  const start = async (config: ActionwireConfig = {}) => {
    const server = await startDemoServer({ transports: ["ws"], tracing: true, ...config });
    servers.push(server);
    return server;
  };
  const connect = async (server: ActionwireServer, traceparent?: () => string | undefined) => {
    const client = new ActionwireClient({
      url: server.url,
      transport: "ws",
      reconnect: false,
      traceparent,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  const spans = (name: string, node?: string): ReadableSpan[] =>
    exporter
      .getFinishedSpans()
      .filter(
        (span) =>
          span.name === name && (node === undefined || span.attributes["actionwire.node"] === node),
      );
  const only = (name: string, node?: string): ReadableSpan => {
    const found = spans(name, node);
    expect(found, `spans named ${name}`).to.have.length(1);
    return found[0]!;
  };

  before(() => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });

  after(() => {
    trace.disable();
    context.disable();
  });

  afterEach(async () => {
    for (const client of clients) client.disconnect();
    clients = [];
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
    exporter.reset();
  });

  it("makes a span per action, the child of the traceparent the client sent", async () => {
    const server = await start({ nodeId: "trace-a", actions: [nested] });
    const client = await connect(server, () => TRACEPARENT);
    await client.action("nested");
    await client.action("nested", { traceparent: "not a trace context" });
    const action = spans("action nested");
    expect(action).to.have.length(2);
    const [child, orphan] = action as [ReadableSpan, ReadableSpan];
    expect(child.spanContext().traceId).to.equal(TRACE_ID);
    expect(child.parentSpanContext?.spanId).to.equal(CLIENT_SPAN);
    expect(child.parentSpanContext?.isRemote).to.equal(true);
    expect(child.attributes).to.deep.include({
      "actionwire.action": "nested",
      "actionwire.transport": "ws",
      "actionwire.outcome": "ok",
      "actionwire.node": "trace-a",
    });
    // A malformed traceparent starts a trace of its own.
    expect(orphan.parentSpanContext).to.equal(undefined);
    expect(orphan.spanContext().traceId).not.to.equal(TRACE_ID);
    // The action's own code ran in the action's span.
    const work = spans("app work").find((span) => span.spanContext().traceId === TRACE_ID)!;
    expect(work.parentSpanContext?.spanId).to.equal(child.spanContext().spanId);
  });

  it("runs an action in a context that holds its span and works as the API's own", async () => {
    const server = await start({ nodeId: "trace-e", actions: [probe] });
    const client = await connect(server, () => TRACEPARENT);
    const seen = await client.action("contextProbe");
    const spanId = only("action contextProbe").spanContext().spanId;
    expect(seen).to.deep.include({
      spanId,
      valueSpanId: spanId,
      value: "kept",
      noValueBefore: true,
      spanDeleted: true,
      valueKept: "kept",
      valueDeleted: true,
      spanKeptId: spanId,
    });
  });

  it("marks a failed action's span with its error code, and takes HTTP's traceparent header", async () => {
    const server = await start({ nodeId: "trace-b" });
    const client = await connect(server);
    await client.action("failTest").catch(() => undefined);
    const failed = only("action failTest");
    expect(failed.status.code).to.equal(SpanStatusCode.ERROR);
    expect(failed.attributes).to.deep.include({
      "actionwire.outcome": "error",
      "actionwire.error_code": "ERR_ACTION_FAILED",
    });
    const response = await fetch(`${server.url}/api/echo?x=1`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(response.status).to.equal(200);
    const http = only("action echo");
    expect(http.attributes["actionwire.transport"]).to.equal("http");
    expect(http.parentSpanContext?.spanId).to.equal(CLIENT_SPAN);
  });

  it("gives each request its own span, with its transport, action and outcome", async () => {
    const server = await start({ nodeId: "trace-c", transports: ["ws", "socketio"] });
    const ws = await connect(server);
    const socketio = new ActionwireClient({
      url: server.url,
      transport: "socketio",
      reconnect: false,
    });
    clients.push(socketio);
    await socketio.connect();
    await ws.action("echo");
    await ws.action("echo");
    await socketio.action("echo");
    await ws.action("failTest").catch(() => undefined);
    await ws.action("echo");
    const echoes = spans("action echo");
    expect(echoes.map((span) => span.attributes)).to.deep.equal(
      ["ws", "ws", "socketio", "ws"].map((transport) => ({
        "actionwire.action": "echo",
        "actionwire.transport": transport,
        "actionwire.node": "trace-c",
        "actionwire.outcome": "ok",
      })),
    );
    expect(new Set(echoes.map((span) => span.spanContext().spanId)).size).to.equal(4);
    expect(new Set(echoes.map((span) => span.spanContext().traceId)).size).to.equal(4);
    expect(only("action failTest").attributes["actionwire.outcome"]).to.equal("error");
  });

  it("makes one span of a say delivered on its own node (no room message span)", async () => {
    const server = await start({ nodeId: "trace-d" });
    const speaker = await connect(server, () => TRACEPARENT);
    const hearer = await connect(server);
    const heard = new Promise((resolve) =>
      hearer.on("say", (m) => m.message === "hi" && resolve(m)),
    );
    await speaker.say("hi");
    await heard;
    const say = only("say");
    expect(say.parentSpanContext?.spanId).to.equal(CLIENT_SPAN);
    expect(say.attributes).to.deep.equal({
      "actionwire.transport": "ws",
      "actionwire.node": "trace-d",
      "actionwire.outcome": "ok",
    });
    expect(spans("room message")).to.deep.equal([]);
  });

  it("records nothing when tracing is off, even with an SDK registered", async () => {
    const server = await start({ tracing: false });
    const client = await connect(server, () => TRACEPARENT);
    await client.action("echo");
    await client.say("hello");
    expect(exporter.getFinishedSpans()).to.deep.equal([]);
  });

  it("says what to install when @opentelemetry/api is missing", async () => {
    const serverModule = fileURLToPath(new URL("../../src/index.js", import.meta.url));
    const script = `
      const { createServer } = await import(${JSON.stringify(serverModule)});
      const server = createServer({ port: 0, host: "127.0.0.1", tracing: true });
      const error = await server.start().then(() => undefined, (e) => e);
      console.log(JSON.stringify({ name: error?.name, message: error?.message }));
    `;
    expect(JSON.parse(await runWithHiddenPackages(script, ["@opentelemetry/api"]))).to.deep.equal({
      name: "ConfigError",
      message:
        'config.tracing needs the "@opentelemetry/api" package. Install it with: npm install @opentelemetry/api',
    });
  });

  describe("across two nodes over Redis", () => {
    let redis: RedisProcess;

    before(async () => {
      redis = await RedisProcess.start();
    });

    after(async () => {
      await redis.stop();
    });

    it("links the work another node does (a command, a room message) to the span that sent it", async () => {
      const timing = { heartbeatMs: 100, nodeTimeoutMs: 500 };
      const a = await start({ nodeId: "trace-na", redis: { url: redis.url, ...timing } });
      const b = await start({ nodeId: "trace-nb", redis: { url: redis.url, ...timing } });
      const onB = await connect(b);
      const entered = new Promise<void>((resolve) =>
        onB.on("say", (m) => m.message === "I have entered the room" && resolve()),
      );
      const onA = await connect(a, () => TRACEPARENT);
      await entered; // B hears A's members through Redis: B is subscribed to the room

      // An action on A pushes an alert to a connection on B: B runs the command in a child span.
      const alerted = new Promise((resolve) => onB.on("alert", resolve));
      await onA.action("alertTest", { connectionId: onB.details.id });
      await alerted;
      const action = only("action alertTest", "trace-na");
      const command = only("command alert", "trace-nb");
      expect(action.parentSpanContext?.spanId).to.equal(CLIENT_SPAN);
      expect(command.spanContext().traceId).to.equal(TRACE_ID);
      expect(command.parentSpanContext?.spanId).to.equal(action.spanContext().spanId);

      // A say on A: its delivery on B is a child of A's say span.
      const heard = new Promise((resolve) =>
        onB.on("say", (m) => m.message === "hi" && resolve(m)),
      );
      await onA.say("hi");
      await heard;
      const say = only("say", "trace-na");
      expect(say.parentSpanContext?.spanId).to.equal(CLIENT_SPAN);
      const delivered = only("room message", "trace-nb");
      expect(delivered.spanContext().traceId).to.equal(TRACE_ID);
      expect(delivered.parentSpanContext?.spanId).to.equal(say.spanContext().spanId);
      expect(delivered.attributes["actionwire.room"]).to.equal("defaultRoom");
    });
  });
});
