// What tracing costs a ws server, measured in one process (docs/performance.md, "What operating
// costs"): an OpenTelemetry SDK registered as the bench registers it (BasicTracerProvider, a
// BatchSpanProcessor whose exporter drops the spans, the AsyncLocalStorage context manager), one
// actionwire ws server with the demo actions, and a load process (echo round trips from CLIENTS
// clients, or bursts of 20 says to CLIENTS - 1 receivers). The server turns its tracing (and,
// with `metrics`, its Prometheus metrics) on and off in turn, WINDOWS times, measuring its own
// CPU time and GC time for 0.4 s in each state (`off`: the SDK registered, actionwire's part off): the states share the process, its compiled code
// and whatever else the machine is doing, which separate processes never do. Prints the median
// server CPU and GC per reply (or per delivery) of each state. Run after `npx tsc -p tsconfig.json`:
//   node scripts/tracing-cost.mjs [roundtrip|fanout|inprocess] [CLIENTS=10] [WINDOWS=15] [STATES=off,tracing]
// inprocess: echo requests through the in-process transport (no sockets, no load process).
// SAMPLE_RATIO=0.1: the SDK samples that share of the root spans (ParentBased around
// TraceIdRatioBased), as a production deployment would.
// STATES: comma-separated, each `off` or a `+`-joined set of `tracing` and `metrics`, or one of
//   `sdk`: the SDK's span alone in the core's span hook (startSpan with the same options, the same
//     four attributes, end), without actionwire's context or anything else of actionwire's tracing;
//   `sdk-batched`: the same SDK calls for the requests of one event-loop turn, made together in a
//     setImmediate after them (start and end times given): the same work, run back to back.
// Prints, per state after the first, the median of its windows' differences from the first state
// in the same round (paired), with the interquartile range.
//   node scripts/tracing-cost.mjs sdk-rate [PER=20] [WINDOWS=20]: no server: the SDK's span alone,
// PER spans every millisecond in an otherwise idle process, CPU per span over the idle process.
import { fork } from "node:child_process";
import { performance, PerformanceObserver } from "node:perf_hooks";
import { clearInterval, setImmediate, setInterval } from "node:timers";
import { setImmediate as immediate, setTimeout as sleep } from "node:timers/promises";
import { URL } from "node:url";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const SAY = "tracing-cost say";

if (process.argv[2] === "--load") {
  const { WebSocket } = await import("ws");
  const { url, clients, scenario } = JSON.parse(process.argv[3]);
  const sockets = [];
  for (let i = 0; i < clients; i++) {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once("message", resolve)); // the welcome
    sockets.push(socket);
  }
  let id = 0;
  if (scenario === "roundtrip") {
    for (const socket of sockets) {
      const send = () =>
        socket.send(
          JSON.stringify({
            event: "action",
            params: { action: "echo", text: "hello" },
            messageId: ++id,
          }),
        );
      socket.on("message", send);
      send();
    }
  } else {
    const [sender, ...receivers] = sockets;
    let pending = 0;
    let burstDone = () => undefined;
    for (const socket of receivers) {
      socket.on("message", (data) => data.includes(SAY) && --pending === 0 && burstDone());
    }
    void (async () => {
      for (;;) {
        pending = receivers.length * 20;
        const done = new Promise((resolve) => (burstDone = resolve));
        for (let k = 0; k < 20; k++) {
          sender.send(JSON.stringify({ event: "say", params: { message: `${SAY} ${k}` } }));
        }
        await done;
      }
    })();
  }
  process.send("ready");
} else if (process.argv[2] === "sdk-rate") {
  const per = Number(process.argv[3] ?? 20);
  const windows = Number(process.argv[4] ?? 20);
  const { context, trace } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  context.with(context.active(), () => undefined);
  const tracer = trace.getTracer("actionwire");
  const options = Object.freeze({ kind: 1 });
  const attributes = Object.freeze({ "actionwire.action": "echo", "actionwire.transport": "ws" });
  let on = false;
  let spans = 0;
  const timer = setInterval(() => {
    if (!on) return;
    for (let i = 0; i < per; i++) {
      const span = tracer.startSpan("action echo", options, context.active());
      span.setAttributes(attributes);
      span.setAttribute("actionwire.node", "cost");
      span.setAttribute("actionwire.outcome", "ok");
      span.end();
    }
    spans += per;
  }, 1);
  await sleep(500);
  const costs = [];
  const rates = [];
  for (let w = 0; w < windows; w++) {
    const cpu = {};
    for (const state of ["off", "on"]) {
      on = state === "on";
      await sleep(50);
      const used = process.cpuUsage();
      const [spans0, t0] = [spans, performance.now()];
      await sleep(500);
      const { user, system } = process.cpuUsage(used);
      cpu[state] = { ns: (user + system) * 1000, ms: performance.now() - t0, n: spans - spans0 };
    }
    // The idle process's own ticks, scaled to the same time, are taken off.
    costs.push((cpu.on.ns - (cpu.off.ns * cpu.on.ms) / cpu.off.ms) / cpu.on.n);
    rates.push((cpu.on.n * 1000) / cpu.on.ms);
  }
  clearInterval(timer);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `sdk-rate, ${per} spans per ms (${median(rates).toFixed(0)} per s), ${windows} windows: ` +
      `CPU per span over the idle process ${median(costs).toFixed(0)} ns`,
  );
  process.exit(0);
} else {
  const scenario = process.argv[2] ?? "roundtrip";
  // inprocess: the echo round trip through the in-process transport, no sockets: the code's own
  // cost, without the network stack's (requests sent 500 at a time, in this process).
  const inProcess = scenario === "inprocess";
  const clients = Number(process.argv[3] ?? (scenario === "roundtrip" ? 10 : 1000));
  const windows = Number(process.argv[4] ?? 15);
  const states = (process.argv[5] ?? "off,tracing").split(",");
  await import("reflect-metadata");
  const { context, trace } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import("@opentelemetry/sdk-trace-base");
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  // SAMPLE_RATIO=<0..1>: the sampler a production deployment would use (default: every span).
  const ratio = process.env.SAMPLE_RATIO;
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(exporter)],
      ...(ratio === undefined
        ? {}
        : {
            sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(Number(ratio)) }),
          }),
    }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  context.with(context.active(), () => undefined);

  const { createServer } = await import(`${root}/build/src/server/actionwire-server.js`);
  const { demoActions } = await import(`${root}/build/src/demo/demo-actions.js`);
  const { Tracing } = await import(`${root}/build/src/server/tracing.js`);
  const { Metrics } = await import(`${root}/build/src/server/metrics.js`);
  const { CHANNELS } = await import(`${root}/build/src/core/instrumentation.js`);
  const { subscribe } = await import("node:diagnostics_channel");

  // Units: echo replies (counted by the action), or messages handed to the transport.
  let units = 0;
  const actions = demoActions({
    nodeId: "cost",
    connectionCounts: () => server.connectionCounts(),
  });
  const counted = actions.map((action) =>
    action.name === "echo" && scenario !== "fanout"
      ? { ...action, run: (params, call) => (units++, action.run(params, call)) }
      : action,
  );
  const options = {
    nodeId: "cost",
    transports: [inProcess ? "inprocess" : "ws"],
    port: inProcess ? null : 0,
    host: "127.0.0.1",
    defaultRoom: "bench",
    roomNotices: false,
    limits: { rate: 1_000_000, maxPendingActions: 1000 },
  };
  const server = createServer({ ...options, actions: counted });
  await server.start();
  // Counted the same way in every state (a subscriber costs each state alike).
  if (scenario === "fanout") subscribe(CHANNELS.messageSent, ({ count }) => (units += count));
  // Metrics and tracing of this node, made as the server makes them (metrics served nowhere).
  const config = server.config;
  const tracing = new Tracing(config);
  let metrics;
  const { registerSpanHooks } = await import(`${root}/build/src/core/instrumentation.js`);
  const tracer = trace.getTracer("actionwire");
  const kind = Object.freeze({ kind: 1 }); // SpanKind.SERVER, as the server's spans
  const endSpan = (span, request, endTime) => {
    span.setAttributes(request.attributes);
    span.setAttribute("actionwire.node", "cost");
    span.setAttribute("actionwire.outcome", "ok");
    span.end(endTime);
  };
  const hooks = (inSpan) => {
    let unregister;
    return {
      on: () => (unregister = registerSpanHooks("cost", { inSpan, carrier: () => undefined })),
      off: () => unregister(),
    };
  };
  // sdk-batched: request, start, end (performance.now()), three entries per request.
  const turn = [];
  const endTurn = () => {
    for (let i = 0; i < turn.length; i += 3) {
      const options = { kind: 1, startTime: turn[i + 1] };
      endSpan(tracer.startSpan(turn[i].name, options, context.active()), turn[i], turn[i + 2]);
    }
    turn.length = 0;
  };
  const parts = {
    sdk: hooks((request, work) => {
      const span = tracer.startSpan(request.name, kind, context.active());
      const result = work();
      endSpan(span, request);
      return result;
    }),
    "sdk-batched": hooks((request, work) => {
      const startedAt = performance.now();
      const result = work();
      if (turn.length === 0) setImmediate(endTurn);
      turn.push(request, startedAt, performance.now());
      return result;
    }),
    tracing: { on: () => tracing.start(), off: () => tracing.stop() },
    metrics: {
      on: async () => {
        metrics = new Metrics(config, {
          connectionCounts: () => server.connectionCounts(),
          localRoomCount: () => 1,
          bus: {},
        });
        await metrics.start(undefined);
      },
      off: () => metrics.stop(),
    },
  };
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  }).observe({ entryTypes: ["gc"] });

  let stopped = false;
  let load;
  if (inProcess) {
    const transport = server.transport("inprocess");
    void (async () => {
      let client = transport.connect();
      let id = 0;
      while (!stopped) {
        for (let i = 0; i < 500; i++) {
          client.send({
            event: "action",
            params: { action: "echo", text: "hello" },
            messageId: ++id,
          });
        }
        if (client.received.length > 20_000) {
          client.close(); // it keeps what it received
          client = transport.connect();
        }
        await immediate();
      }
    })();
  } else {
    const url = `${server.url.replace(/^http/, "ws")}/ws`;
    load = fork(new URL(import.meta.url).pathname, [
      "--load",
      JSON.stringify({ url, clients, scenario }),
    ]);
    await new Promise((resolve) => load.once("message", resolve));
  }
  await sleep(1500); // warm-up
  const samples = Object.fromEntries(states.map((state) => [state, []]));
  for (let w = 0; w < windows; w++) {
    for (const state of states) {
      const on = state === "off" ? [] : state.split("+");
      for (const part of on) await parts[part].on();
      await sleep(100);
      const cpu = process.cpuUsage();
      const [units0, gc0] = [units, gcMs];
      await sleep(400);
      const used = process.cpuUsage(cpu);
      const n = units - units0;
      for (const part of on) await parts[part].off();
      samples[state].push({
        cpuNs: ((used.user + used.system) * 1000) / n,
        gcNs: ((gcMs - gc0) * 1e6) / n,
        rate: n / 0.4,
      });
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const unit = scenario === "fanout" ? "delivery" : "reply";
  const base = median(samples[states[0]].map((s) => s.cpuNs));
  const who = inProcess ? "one in-process client" : `${clients} clients`;
  console.log(`${scenario}, ${who}, ${windows} windows of 0.4 s per state`);
  for (const state of states) {
    const list = samples[state];
    const cpu = median(list.map((s) => s.cpuNs));
    const cpus = list.map((s) => s.cpuNs);
    console.log(
      `${state.padEnd(16)} server CPU per ${unit} ${cpu.toFixed(0)} ns (x${(cpu / base).toFixed(2)}; ` +
        `min ${Math.min(...cpus).toFixed(0)}, max ${Math.max(...cpus).toFixed(0)}), ` +
        `GC ${median(list.map((s) => s.gcNs)).toFixed(0)} ns, ${median(list.map((s) => s.rate)).toFixed(0)} per s`,
    );
  }
  const quantile = (values, q) =>
    [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * q)];
  for (const state of states.slice(1)) {
    const diffs = samples[state].map((s, i) => s.cpuNs - samples[states[0]][i].cpuNs);
    const gc = samples[state].map((s, i) => s.gcNs - samples[states[0]][i].gcNs);
    console.log(
      `${state.padEnd(16)} paired, against ${states[0]}: ${quantile(diffs, 0.5).toFixed(0)} ns ` +
        `(IQR ${quantile(diffs, 0.25).toFixed(0)} to ${quantile(diffs, 0.75).toFixed(0)}), ` +
        `GC ${quantile(gc, 0.5).toFixed(0)} ns`,
    );
  }
  stopped = true;
  load?.kill();
  await server.stop();
  process.exit(0);
}
