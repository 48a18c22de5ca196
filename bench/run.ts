/**
 * The benchmark suite: actionwire beside the bare library on each transport, in the same run.
 * Every case starts its server (two for cross-node, over a redis-server of its own) in forked
 * server processes and its clients in a forked load process; this process only orchestrates,
 * so neither side measures itself.
 *
 *   node build/bench/run.js            full: 3 runs of every case, median reported,
 *                                      writes bench/results/full.json and docs/performance.md
 *   node build/bench/run.js --quick    reduced set, 1 run, writes bench/results/quick.json
 *
 * Every loop is bounded in count and time; a child that overruns is killed. Nothing here fails
 * on a threshold: the figures are reported, never judged. A case that breaks (a stall, a server
 * that cannot start) is recorded as failed, the others still run, and the exit code is 1.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RedisProcess } from "../test/helpers/redis-process.js";
import type {
  BenchClient,
  ClientHandlers,
  ClientKind,
  RoomPosition,
  WireClient,
} from "./bench-clients.js";
import { BENCH_ROOM, type Flavour, type Transport } from "./bench-protocol.js";
import type { ServerSpec, StartedServer } from "./bench-servers.js";
import {
  benchDir,
  caseKey,
  machineInfo,
  markdownTable,
  writeReport,
  type CaseResult,
  type Report,
} from "./report.js";

/** Where a client connects, and which dialect it speaks. */
interface Endpoint {
  kind: ClientKind;
  flavour: Flavour;
  url: string;
}

/** What a load process is asked to do. */
type Job =
  | { kind: "roundtrip"; client: Endpoint; clients: number; seconds: number }
  | {
      kind: "fanout";
      /** Receivers by endpoint (several: mixed transports, or one group per node). */
      receivers: Array<Endpoint & { count: number }>;
      sender: Endpoint;
      seconds: number;
      burst: number;
      stallSeconds: number;
    }
  | { kind: "idle"; client: Endpoint; clients: number }
  | {
      kind: "resume";
      /** The two nodes' ws URLs. */
      nodes: [string, string];
      /** Clients with a session (they resume with their token), or version 1 (they reconnect). */
      sessions: boolean;
      clients: number;
      /** Room messages published while every client is away. */
      messages: number;
      /** Reconnects under way at once (a client's ends at its welcome). */
      concurrency: number;
      /** How long the resumes may take before the case reports what it has. */
      stallSeconds: number;
    }
  | {
      kind: "room-setup";
      client: Endpoint;
      clients: number;
      notices: boolean;
      timeoutSeconds: number;
    };

/** One measured run: named figures. */
type Figures = Record<string, number>;
type Urls = StartedServer["urls"];

/** One side of a comparison: its server processes and its load job. */
interface Side {
  /** Start a redis-server of its own for each run (cross-node). */
  redis?: boolean;
  /** The server processes to fork (two for cross-node), given the run's Redis URL. */
  servers(redisUrl: string): ServerSpec[];
  /** The load job, given each server's URLs. */
  job(urls: Urls[]): Job;
}

/** One row of the report: a baseline side and an actionwire side of the same group. */
interface Comparison {
  scenario: CaseResult["scenario"];
  transport: string;
  clients: number;
  variant?: string;
  /** What the bare column holds. */
  baseline: string;
  bare: string;
  actionwire: string;
}

const SELF = fileURLToPath(import.meta.url);
const launched = performance.now();
/** The client library, loaded by load processes only (see `open`). */
let clientLibrary: typeof import("./bench-clients.js") | undefined;
const role = process.argv[2];

if (role === "--server") await serverRole(JSON.parse(process.argv[3]!) as ServerSpec);
else if (role === "--load") await loadRole(JSON.parse(process.argv[3]!) as Job);
else await main(process.argv.includes("--quick"));

// ---------------------------------------------------------------------------------------------
// Orchestrator

async function main(quick: boolean): Promise<void> {
  const startedAt = performance.now();
  // BENCH_RUNS=<n>: runs per case other than the mode's (a quicker look, or a steadier one).
  const runs = Number(process.env.BENCH_RUNS) || (quick ? 1 : 3);
  const rtClients = quick ? [10] : [1, 10, 100];
  const rtSeconds = quick ? 1.5 : 3;
  const fanoutClients = quick ? [200] : [1000, 5000];
  const fanoutTransports: Transport[] = quick ? ["ws", "socketio"] : ["ws", "socketio", "faye"];
  const fanoutSeconds = quick ? 1.5 : 3;
  const idleClients = quick ? 500 : 5000;
  const idleTransports: Transport[] = quick ? ["ws"] : ["ws", "socketio", "faye"];
  const roomClients = quick ? [200] : [1000, 5000];
  const roomNotices = quick ? [true] : [false, true];
  const mixedClients = quick ? [] : [1000];
  const crossClients = quick ? 200 : 1000;
  const resumeClients = quick ? 200 : 1000;
  const resumeMessages = quick ? 20 : 100;
  const overheadRtClients = quick ? [10] : [10, 100];
  const overheadFanoutClients = quick ? [200] : [1000];
  const transports: Transport[] = ["ws", "socketio", "faye"];
  const cases: CaseResult[] = [];
  // BENCH_ONLY="roundtrip ws 10": run the matching cases only, and write no results.
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  // BENCH_SKIP="room-setup ws 5000 notices on": leave the matching cases out, still write.
  const skip = process.env.BENCH_SKIP ? new RegExp(process.env.BENCH_SKIP) : undefined;

  /**
   * Runs the sides the wanted comparisons need, alternating them run by run (bare, …,
   * actionwire, bare, …) so drift on a noisy machine hits all alike; a side shared by two
   * comparisons (one actionwire run against two baselines) is run once.
   */
  const group = async (
    sides: Record<string, Side>,
    comparisons: Comparison[],
    options: { memory?: boolean; budgetSeconds?: number; runs?: number } = {},
  ) => {
    const wanted = comparisons.filter(
      (c) =>
        (only === undefined || only.test(caseKey(c))) &&
        (skip === undefined || !skip.test(caseKey(c))),
    );
    if (wanted.length === 0) return;
    const needed = Object.keys(sides).filter((name) =>
      wanted.some((c) => c.bare === name || c.actionwire === name),
    );
    const samples: Record<string, Figures[]> = Object.fromEntries(needed.map((n) => [n, []]));
    const title = `${wanted[0]!.scenario} ${wanted[0]!.transport} clients=${wanted[0]!.clients}`;
    let error: string | undefined;
    try {
      for (let run = 0; run < Math.min(runs, options.runs ?? runs); run++) {
        for (const name of needed) {
          const figures = await runCase(sides[name]!, options);
          samples[name]!.push(figures);
          log(`${title} ${name} run ${run + 1}: ${fmt(figures)}`);
        }
      }
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      log(`${title} FAILED: ${error}`);
    }
    for (const c of wanted) {
      cases.push({
        scenario: c.scenario,
        transport: c.transport,
        clients: c.clients,
        ...(c.variant === undefined ? {} : { variant: c.variant }),
        baseline: c.baseline,
        bare: samples[c.bare]!,
        actionwire: samples[c.actionwire]!,
        ...(error === undefined ? {} : { error }),
      });
    }
  };

  const at = (urls: Urls, kind: ClientKind, flavour: Flavour): Endpoint => ({
    kind,
    flavour,
    url: urls[kind]!,
  });
  const bare = (transport: Transport, extra: Partial<ServerSpec> = {}): ServerSpec => ({
    kind: "bare",
    transports: [transport],
    ...extra,
  });
  const actionwire = (list: Transport[], extra: Partial<ServerSpec> = {}): ServerSpec => ({
    kind: "actionwire",
    transports: list,
    ...extra,
  });
  /** A side of one server process. */
  const single = (spec: ServerSpec, job: (urls: Urls) => Job): Side => ({
    servers: () => [spec],
    job: (urls) => job(urls[0]!),
  });
  /** A side of two nodes over one Redis: receivers split between them, the sender on the first. */
  const twoNodes = (
    spec: (redis: ServerSpec["redis"]) => ServerSpec,
    kind: Transport,
    flavour: Flavour,
    clients: number,
  ): Side => ({
    redis: true,
    servers: (url) => [spec({ url, nodeId: "bench-a" }), spec({ url, nodeId: "bench-b" })],
    job: ([a, b]) => ({
      kind: "fanout",
      receivers: [
        { ...at(a!, kind, flavour), count: Math.floor(clients / 2) },
        { ...at(b!, kind, flavour), count: clients - Math.floor(clients / 2) },
      ],
      sender: at(a!, kind, flavour),
      seconds: fanoutSeconds,
      burst: 20,
      stallSeconds: 30,
    }),
  });
  const fanoutJob =
    (kind: Transport, flavour: Flavour, clients: number) =>
    (urls: Urls): Job => ({
      kind: "fanout",
      receivers: [{ ...at(urls, kind, flavour), count: clients }],
      sender: at(urls, kind, flavour),
      seconds: fanoutSeconds,
      burst: 20,
      stallSeconds: 30,
    });
  /**
   * The rows of clients with sessions (side `session`): against the baseline of the same case,
   * and against actionwire's version-1 clients (side `actionwire`) of the same run.
   */
  const sessionRows = (
    scenario: Comparison["scenario"],
    transport: Transport,
    clients: number,
    baseline: string,
    baselineSide: string,
  ): Comparison[] => [
    {
      scenario,
      transport,
      clients,
      variant: baselineSide === "cork" ? "sessions vs cork" : "sessions",
      baseline,
      bare: baselineSide,
      actionwire: "session",
    },
    {
      scenario,
      transport,
      clients,
      variant: "sessions vs v1",
      baseline: "actionwire, v1 clients (no session)",
      bare: "actionwire",
      actionwire: "session",
    },
  ];
  /** Connecting thousands of clients takes its time; faye's handshakes most. */
  const connectBudget = (transport: Transport, clients: number) =>
    Math.ceil(clients / (transport === "faye" ? 100 : 500));

  for (const transport of transports) {
    for (const clients of rtClients) {
      const job =
        (kind: ClientKind, flavour: Flavour) =>
        (urls: Urls): Job => ({
          kind: "roundtrip",
          client: at(urls, kind, flavour),
          clients,
          seconds: rtSeconds,
        });
      const sides: Record<string, Side> = {
        bare: single(bare(transport), job(transport, "bare")),
        // The nearest peer abstraction, in the same run as actionwire ws and bare ws.
        ...(transport === "ws"
          ? { primus: single({ kind: "primus", transports: ["ws"] }, job("primus", "bare")) }
          : {}),
        actionwire: single(actionwire([transport]), job(transport, "actionwire")),
        session: single(actionwire([transport]), job(transport, "session")),
      };
      const comparisons: Comparison[] = [
        {
          scenario: "roundtrip",
          transport,
          clients,
          baseline: `bare ${transport}`,
          bare: "bare",
          actionwire: "actionwire",
        },
        ...sessionRows("roundtrip", transport, clients, `bare ${transport}`, "bare"),
      ];
      if (transport === "ws") {
        comparisons.push({
          scenario: "roundtrip",
          transport,
          clients,
          variant: "vs primus",
          baseline: "Primus (ws transformer)",
          bare: "primus",
          actionwire: "actionwire",
        });
      }
      await group(sides, comparisons);
    }
  }

  /**
   * What operating costs: metrics and tracing on (an SDK registered, its spans dropped) against
   * everything off; against the SDK registered and in use with actionwire's part off, which
   * leaves actionwire's own share (Node 20's AsyncLocalStorage, under the SDK's context
   * manager, costs every asynchronous operation); and metrics alone against off.
   */
  const overheadComparisons = (scenario: "roundtrip" | "fanout", clients: number): Comparison[] => [
    {
      scenario,
      transport: "ws",
      clients,
      variant: "metrics+tracing",
      baseline: "actionwire ws, metrics and tracing off, no SDK",
      bare: "off",
      actionwire: "on",
    },
    {
      scenario,
      transport: "ws",
      clients,
      variant: "metrics+tracing vs SDK in use",
      baseline: "actionwire ws, metrics and tracing off, the SDK registered and its context in use",
      bare: "sdk",
      actionwire: "on",
    },
    {
      scenario,
      transport: "ws",
      clients,
      variant: "metrics only",
      baseline: "actionwire ws, metrics and tracing off, no SDK",
      bare: "off",
      actionwire: "metrics",
    },
  ];
  for (const clients of overheadRtClients) {
    const job = (urls: Urls): Job => ({
      kind: "roundtrip",
      client: at(urls, "ws", "actionwire"),
      clients,
      seconds: rtSeconds,
    });
    await group(
      {
        off: single(actionwire(["ws"]), job),
        sdk: single(actionwire(["ws"], { sdkOnly: true }), job),
        metrics: single(actionwire(["ws"], { metricsOnly: true }), job),
        on: single(actionwire(["ws"], { observed: true }), job),
      },
      overheadComparisons("roundtrip", clients),
    );
  }
  for (const clients of overheadFanoutClients) {
    await group(
      {
        off: single(actionwire(["ws"]), fanoutJob("ws", "actionwire", clients)),
        sdk: single(actionwire(["ws"], { sdkOnly: true }), fanoutJob("ws", "actionwire", clients)),
        metrics: single(
          actionwire(["ws"], { metricsOnly: true }),
          fanoutJob("ws", "actionwire", clients),
        ),
        on: single(actionwire(["ws"], { observed: true }), fanoutJob("ws", "actionwire", clients)),
      },
      overheadComparisons("fanout", clients),
      { budgetSeconds: 60 + connectBudget("ws", clients) },
    );
  }

  for (const clients of fanoutClients) {
    for (const transport of fanoutTransports) {
      const sides: Record<string, Side> = {
        bare: single(bare(transport), fanoutJob(transport, "bare", clients)),
        ...(transport === "ws"
          ? {
              cork: single(
                { kind: "bare-cork", transports: ["ws"] },
                fanoutJob("ws", "bare", clients),
              ),
            }
          : {}),
        actionwire: single(actionwire([transport]), fanoutJob(transport, "actionwire", clients)),
        ...(transport === "ws"
          ? { session: single(actionwire(["ws"]), fanoutJob("ws", "session", clients)) }
          : {}),
      };
      const comparisons: Comparison[] = [
        {
          scenario: "fanout",
          transport,
          clients,
          baseline:
            transport === "ws"
              ? "bare ws, send loop"
              : transport === "socketio"
                ? "bare socket.io, broadcast.emit"
                : "bare faye, channel publish",
          bare: "bare",
          actionwire: "actionwire",
        },
      ];
      if (transport === "ws") {
        comparisons.push({
          scenario: "fanout",
          transport,
          clients,
          variant: "vs cork",
          baseline: "bare ws, frame once + cork",
          bare: "cork",
          actionwire: "actionwire",
        });
        comparisons.push(
          ...sessionRows("fanout", transport, clients, "bare ws, frame once + cork", "cork"),
        );
      }
      await group(sides, comparisons, { budgetSeconds: 60 + connectBudget(transport, clients) });
    }
  }

  for (const transport of idleTransports) {
    const job =
      (flavour: Flavour) =>
      (urls: Urls): Job => ({
        kind: "idle",
        client: at(urls, transport, flavour),
        clients: idleClients,
      });
    await group(
      {
        bare: single(bare(transport), job("bare")),
        actionwire: single(actionwire([transport]), job("actionwire")),
        session: single(actionwire([transport]), job("session")),
      },
      [
        {
          scenario: "idle-memory",
          transport,
          clients: idleClients,
          baseline: `bare ${transport}`,
          bare: "bare",
          actionwire: "actionwire",
        },
        ...sessionRows("idle-memory", transport, idleClients, `bare ${transport}`, "bare"),
      ],
      { memory: true, budgetSeconds: 60 + connectBudget(transport, idleClients) },
    );
  }

  for (const clients of roomClients) {
    for (const notices of roomNotices) {
      const job =
        (flavour: Flavour) =>
        (urls: Urls): Job => ({
          kind: "room-setup",
          client: at(urls, "ws", flavour),
          clients,
          notices,
          // Notices are quadratic: 5,000 joins push 12.5 million of them.
          timeoutSeconds: notices ? 30 + (clients * clients) / 30_000 : 30,
        });
      const spec = { startInRoom: false, roomNotices: notices };
      await group(
        {
          bare: single(bare("ws", spec), job("bare")),
          actionwire: single(actionwire(["ws"], spec), job("actionwire")),
        },
        [
          {
            scenario: "room-setup",
            transport: "ws",
            clients,
            variant: notices ? "notices on" : "notices off",
            baseline: "bare ws, set + send loop",
            bare: "bare",
            actionwire: "actionwire",
          },
        ],
        {
          budgetSeconds: 60 + (notices ? (clients * clients) / 30_000 : 0),
          // 12.5 million notices take minutes a side: one run, not three.
          ...(notices && clients > 1000 ? { runs: 1 } : {}),
        },
      );
    }
  }

  for (const clients of mixedClients) {
    // Thirds, the remainder on ws: 334 + 333 + 333 of 1,000.
    const third = Math.floor(clients / 3);
    await group(
      {
        bare: single(bare("ws"), fanoutJob("ws", "bare", clients)),
        actionwire: single(actionwire(transports), (urls) => ({
          kind: "fanout",
          receivers: [
            { ...at(urls, "ws", "actionwire"), count: clients - 2 * third },
            { ...at(urls, "socketio", "actionwire"), count: third },
            { ...at(urls, "faye", "actionwire"), count: third },
          ],
          sender: at(urls, "ws", "actionwire"),
          seconds: fanoutSeconds,
          burst: 20,
          stallSeconds: 30,
        })),
      },
      [
        {
          scenario: "mixed",
          transport: "ws+socketio+faye",
          clients,
          baseline: "bare ws, send loop (all clients on ws)",
          bare: "bare",
          actionwire: "actionwire",
        },
      ],
      { budgetSeconds: 60 + connectBudget("faye", clients) },
    );
  }

  {
    const clients = crossClients;
    const sides: Record<string, Side> = {
      "socketio-redis-adapter": twoNodes(
        (redis) => bare("socketio", { redis }),
        "socketio",
        "bare",
        clients,
      ),
      "actionwire-ws": twoNodes(
        (redis) => actionwire(["ws"], { redis }),
        "ws",
        "actionwire",
        clients,
      ),
      "actionwire-ws-session": twoNodes(
        (redis) => actionwire(["ws"], { redis }),
        "ws",
        "session",
        clients,
      ),
      "actionwire-socketio": twoNodes(
        (redis) => actionwire(["socketio"], { redis }),
        "socketio",
        "actionwire",
        clients,
      ),
    };
    const baseline = "socket.io + @socket.io/redis-adapter";
    const comparisons: Comparison[] = [
      {
        scenario: "cross-node",
        transport: "ws",
        clients,
        baseline,
        bare: "socketio-redis-adapter",
        actionwire: "actionwire-ws",
      },
      {
        scenario: "cross-node",
        transport: "ws",
        clients,
        variant: "sessions",
        baseline,
        bare: "socketio-redis-adapter",
        actionwire: "actionwire-ws-session",
      },
    ];
    if (!quick) {
      comparisons.push({
        scenario: "cross-node",
        transport: "socketio",
        clients,
        baseline,
        bare: "socketio-redis-adapter",
        actionwire: "actionwire-socketio",
      });
    }
    await group(sides, comparisons, { budgetSeconds: 90 });
    if (!quick) {
      await group(
        {
          "faye-redis": twoNodes((redis) => bare("faye", { redis }), "faye", "bare", clients),
          "actionwire-faye": twoNodes(
            (redis) => actionwire(["faye"], { redis }),
            "faye",
            "actionwire",
            clients,
          ),
        },
        [
          {
            scenario: "cross-node",
            transport: "faye",
            clients,
            baseline: "faye + faye-redis engine",
            bare: "faye-redis",
            actionwire: "actionwire-faye",
          },
        ],
        { budgetSeconds: 90 + connectBudget("faye", clients) },
      );
    }
  }

  {
    // Every client dropped at once, messages published while they are away, every client back
    // on the other node: with sessions (resume) beside version-1 clients (a plain reconnect).
    const side = (sessions: boolean): Side => ({
      redis: true,
      servers: (url) => [
        actionwire(["ws"], { redis: { url, nodeId: "bench-a" } }),
        actionwire(["ws"], { redis: { url, nodeId: "bench-b" } }),
      ],
      job: ([a, b]) => ({
        kind: "resume",
        nodes: [a!.ws!, b!.ws!],
        sessions,
        clients: resumeClients,
        messages: resumeMessages,
        concurrency: 100,
        stallSeconds: 60,
      }),
    });
    await group(
      { reconnect: side(false), resume: side(true) },
      [
        {
          scenario: "resume",
          transport: "ws",
          clients: resumeClients,
          variant: `${resumeMessages} messages missed`,
          baseline: "actionwire, v1 clients reconnecting (nothing recovered)",
          bare: "reconnect",
          actionwire: "resume",
        },
      ],
      { budgetSeconds: 120 + resumeClients / 20 },
    );
  }

  const report: Report = {
    mode: quick ? "quick" : "full",
    date: new Date().toISOString(),
    runs,
    durationSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    machine: machineInfo(),
    cases,
  };
  const failed = cases.filter((c) => c.error !== undefined).length;
  if (failed > 0) process.exitCode = 1;
  if (only !== undefined) {
    console.log(markdownTable(report));
    log(`done in ${report.durationSeconds} s${failed > 0 ? `, ${failed} case(s) failed` : ""}`);
    return;
  }
  mkdirSync(`${benchDir()}/results`, { recursive: true });
  writeFileSync(
    `${benchDir()}/results/${report.mode}.json`,
    `${JSON.stringify(report, null, 2)}\n`,
  );
  const table = writeReport(report, !quick);
  console.log(table);
  log(`done in ${report.durationSeconds} s${failed > 0 ? `, ${failed} case(s) failed` : ""}`);
}

/**
 * One run of one side: fresh server processes (and a fresh redis-server), a fresh load
 * process, figures back. Every child is killed if it overruns `budgetSeconds`.
 */
async function runCase(
  side: Side,
  options: { memory?: boolean; budgetSeconds?: number },
): Promise<Figures> {
  const budgetMs = (options.budgetSeconds ?? 90) * 1000;
  const redis = side.redis === true ? await RedisProcess.start() : undefined;
  const servers: ChildProcess[] = [];
  const kill = (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const serverGuard = setTimeout(() => servers.forEach(kill), budgetMs + 60_000);
  try {
    for (const spec of side.servers(redis?.url ?? "")) {
      servers.push(
        fork(SELF, ["--server", JSON.stringify(spec)], {
          execArgv: [
            "--expose-gc",
            // BENCH_PROFILE=<dir>: a CPU profile of every server process, for `--cpu-prof`.
            ...(process.env.BENCH_PROFILE
              ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
              : []),
          ],
        }),
      );
    }
    const ready = await Promise.all(servers.map((server) => reply<{ urls: Urls }>(server)));
    const before = options.memory ? await reply<Figures>(servers[0]!, { cmd: "memory" }) : {};
    const load = fork(SELF, ["--load", JSON.stringify(side.job(ready.map((r) => r.urls)))]);
    const loadGuard = setTimeout(() => kill(load), budgetMs);
    // The load process marks the start and end of its timed phase, and waits for this process
    // to have taken its readings: the servers' CPU time between the marks is what they spent
    // on the timed work; over Redis, the Redis commands and CPU and the bus's counters too.
    const atMark: Array<Promise<Figures>> = [];
    load.on("message", (message: { mark?: string }) => {
      if (message.mark === undefined) return;
      const cpu = serversCpuMs(servers);
      const reading = (
        redis === undefined ? Promise.resolve({}) : clusterReading(redis.url, servers)
      )
        .catch((error: unknown) => {
          log(`no Redis reading at the ${message.mark} mark: ${messageOf(error)}`);
          return {};
        })
        .then((figures): Figures => ({ ...figures, cpu }));
      atMark.push(reading);
      void reading.then(() => {
        if (load.connected) load.send({ marked: message.mark });
      });
    });
    try {
      const figures = await reply<Figures>(load, undefined, budgetMs);
      if (atMark.length === 2) {
        const [start, end] = await Promise.all(atMark);
        const delta = (key: string) => end![key]! - start![key]!;
        figures.serverCpuMs = delta("cpu");
        if (figures.replies) figures.cpuPerReplyUs = (figures.serverCpuMs * 1000) / figures.replies;
        if (figures.joins) figures.cpuPerJoinUs = (figures.serverCpuMs * 1000) / figures.joins;
        if (figures.resumes)
          figures.cpuPerResumeUs = (figures.serverCpuMs * 1000) / figures.resumes;
        if (figures.deliveries) {
          figures.cpuPerDeliveryNs = (figures.serverCpuMs * 1e6) / figures.deliveries;
        }
        if (redis !== undefined && start!.redisCpuMs !== undefined) {
          figures.redisCpuMs = delta("redisCpuMs");
          if (figures.resumes) {
            figures.redisCpuPerResumeUs = (figures.redisCpuMs * 1000) / figures.resumes;
          }
          // Per room message of the timed phase: PUBLISH commands (those a script runs
          // included), script calls (EVALSHA/EVAL), MULTI/EXEC transactions, and the room
          // messages the actionwire nodes' buses published (one Redis call each).
          if (figures.timedSent) {
            const per = (key: string) => delta(key) / figures.timedSent!;
            figures.publishesPerMessage = per("publish");
            figures.scriptCallsPerMessage = per("scripts");
            figures.transactionsPerMessage = per("transactions");
            if (start!.busPublished !== undefined) {
              figures.busPublishedPerMessage = per("busPublished");
            }
          }
        }
      }
      if (options.memory) {
        const after = await reply<Figures>(servers[0]!, { cmd: "memory" });
        const clients = figures.clients!;
        figures.heapPerConnection = (after.heap! - before.heap!) / clients;
        figures.rssPerConnection = (after.rss! - before.rss!) / clients;
      }
      return figures;
    } finally {
      clearTimeout(loadGuard);
      kill(load);
    }
  } finally {
    await Promise.all(servers.map(stopServer));
    clearTimeout(serverGuard);
    servers.forEach(kill);
    if (redis !== undefined) {
      await Promise.race([redis.stop(), delay(5_000)]);
    }
  }
}

/**
 * The CPU time the server processes have used so far, in ms: the sum over each process's
 * threads (the main thread, and V8's and libuv's helpers) of the time the kernel ran them,
 * from \`/proc/<pid>/task/<tid>/schedstat\` (in ns); NaN where there is no \`/proc\`.
 */
function serversCpuMs(servers: ChildProcess[]): number {
  let ns = 0;
  for (const server of servers) {
    try {
      for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
        try {
          ns += Number(
            readFileSync(`/proc/${server.pid}/task/${tid}/schedstat`, "latin1").split(" ")[0],
          );
        } catch {
          // The thread ended between the listing and the read.
        }
      }
    } catch {
      return NaN;
    }
  }
  return ns / 1e6;
}

/**
 * The load process marks the start and the end of its timed phase (see runCase), and goes on
 * once the orchestrator has taken its readings.
 */
function mark(what: "start" | "end"): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { marked?: string }) => {
      if (message.marked !== what) return;
      process.off("message", onMessage);
      resolve();
    };
    process.on("message", onMessage);
    process.send!({ mark: what });
  });
}

/**
 * What the redis-server has run so far (its `INFO commandstats`: PUBLISH, including those a
 * script runs; EVALSHA and EVAL; EXEC), the CPU it has used (`INFO cpu`, user + system, in
 * ms), and the room messages the actionwire nodes' buses have published (their `stats`).
 */
async function clusterReading(url: string, servers: ChildProcess[]): Promise<Figures> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const stats = await client.info("commandstats");
    const calls = (command: string) =>
      Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    const cpu = await client.info("cpu");
    const seconds = (key: string) => Number(new RegExp(`${key}:([\\d.]+)`).exec(cpu)?.[1] ?? NaN);
    const figures: Figures = {
      publish: calls("publish"),
      scripts: calls("evalsha") + calls("eval"),
      transactions: calls("exec"),
      redisCpuMs: (seconds("used_cpu_user") + seconds("used_cpu_sys")) * 1000,
    };
    const bus = await Promise.all(
      servers.map((server) => reply<{ published?: number }>(server, { cmd: "stats" })),
    );
    if (bus.every((stats) => stats.published !== undefined)) {
      figures.busPublished = bus.reduce((sum, stats) => sum + stats.published!, 0);
    }
    return figures;
  } finally {
    client.disconnect();
  }
}

/** Asks a server process to stop; it exits by itself (writing its CPU profile, if asked). */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  if (server.connected) server.send({ cmd: "stop" });
  // Killed by the caller if it hangs.
  await Promise.race([exited, delay(10_000)]);
}

/** A timer that does not keep this process alive once everything else is done. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Sends `message` (if any) and resolves with the child's next message, or rejects on time, on
 * its exit, or with the error it reports.
 */
function reply<T>(child: ChildProcess, message?: unknown, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error("bench child timed out")), timeoutMs);
    const onMessage = (answer: unknown) => {
      if ((answer as { mark?: unknown }).mark !== undefined) return;
      const error = (answer as { error?: unknown }).error;
      if (typeof error === "string") finish(new Error(error));
      else finish(undefined, answer as T);
    };
    const onExit = () => finish(new Error("bench child exited"));
    function finish(error?: Error, answer?: T) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error === undefined) resolve(answer as T);
      else reject(error);
    }
    child.on("message", onMessage);
    child.once("exit", onExit);
    if (message !== undefined) child.send(message as object);
  });
}

function fmt(figures: Figures): string {
  return Object.entries(figures)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(" ");
}

function log(line: string): void {
  console.error(`[bench +${Math.round((performance.now() - launched) / 1000)}s] ${line}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Server process

async function serverRole(spec: ServerSpec): Promise<void> {
  let server: StartedServer;
  try {
    // Loaded here, not at the top: a load process needs none of the server libraries.
    const { startServer } = await import("./bench-servers.js");
    server = await startServer(spec);
  } catch (error) {
    process.send!({ error: `${spec.kind} server failed to start: ${messageOf(error)}` }, () =>
      process.exit(1),
    );
    return;
  }
  process.on("message", (message: { cmd: string }) => {
    if (message.cmd === "memory") {
      const settle = () => {
        globalThis.gc?.();
        globalThis.gc?.();
        const usage = process.memoryUsage();
        process.send!({ heap: usage.heapUsed + usage.external, rss: usage.rss });
      };
      // Let the last connections settle before collecting.
      setTimeout(settle, 500);
    } else if (message.cmd === "stats") {
      process.send!(server.busStats?.() ?? {});
    } else if (message.cmd === "stop") {
      const done = setTimeout(() => process.exit(0), 3_000);
      void server.close().finally(() => {
        clearTimeout(done);
        process.exit(0);
      });
    }
  });
  process.send!({ urls: server.urls });
}

// ---------------------------------------------------------------------------------------------
// Load process

async function loadRole(job: Job): Promise<void> {
  let result: Figures;
  try {
    result =
      job.kind === "roundtrip"
        ? await roundTrip(job)
        : job.kind === "fanout"
          ? await fanout(job)
          : job.kind === "room-setup"
            ? await roomSetup(job)
            : job.kind === "resume"
              ? await resumeAfterDrop(job)
              : await idle(job);
  } catch (error) {
    process.send!({ error: messageOf(error) }, () => process.exit(1));
    return;
  }
  process.send!(result, () => {
    if (job.kind !== "idle") process.exit(0);
  });
}

async function open(endpoint: Endpoint, handlers: ClientHandlers): Promise<BenchClient> {
  clientLibrary ??= await import("./bench-clients.js");
  return clientLibrary.connectClient(endpoint.kind, endpoint.flavour, endpoint.url, handlers);
}

async function connectMany(
  count: number,
  connect: (index: number) => Promise<BenchClient>,
): Promise<BenchClient[]> {
  clientLibrary ??= await import("./bench-clients.js");
  return clientLibrary.connectMany(count, connect);
}

/**
 * Each client sends one echo request, awaits its reply, and repeats until time is up: first
 * for a warm-up of a third of the time (not counted: both sides' code is compiled and
 * optimized by then), then for the timed period.
 */
async function roundTrip(job: Extract<Job, { kind: "roundtrip" }>): Promise<Figures> {
  const latencies: number[] = [];
  let replies = 0;
  let timed = false;
  const waiters = new Map<number, () => void>();
  const clients = await connectMany(job.clients, (index) =>
    open(job.client, { onResponse: () => waiters.get(index)?.() }),
  );
  let id = 0;
  /** Every client in its request/reply loop for `seconds`. */
  const loop = (seconds: number): Promise<void[]> => {
    const end = performance.now() + seconds * 1000;
    return Promise.all(
      clients.map(
        (client, index) =>
          new Promise<void>((resolve) => {
            let sentAt = 0;
            const send = () => {
              if (performance.now() >= end) {
                resolve();
                return;
              }
              sentAt = performance.now();
              client.action({ action: "echo", n: id, text: "hello" }, ++id);
            };
            // A reply that never comes ends this client at the deadline, not never.
            const stall = setTimeout(resolve, seconds * 1000 + 5_000);
            waiters.set(index, () => {
              if (timed) {
                latencies.push(performance.now() - sentAt);
                replies++;
              }
              if (performance.now() >= end) clearTimeout(stall);
              send();
            });
            send();
          }),
      ),
    );
  };
  await loop(job.seconds / 3);
  timed = true;
  await mark("start");
  const started = performance.now();
  await loop(job.seconds);
  const seconds = (performance.now() - started) / 1000;
  await mark("end");
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rate: replies / seconds, p50: at(0.5), p99: at(0.99), replies };
}

/**
 * One sender, the receivers in the room (of one or several transports, on one or two nodes).
 * First single messages (time to full delivery of one message), then bursts of `burst`
 * messages until time is up (delivered messages/s).
 */
async function fanout(job: Extract<Job, { kind: "fanout" }>): Promise<Figures> {
  let delivered = 0;
  let target = Infinity;
  let reached: () => void = () => undefined;
  const onSay = () => {
    if (++delivered >= target) reached();
  };
  const receivers: BenchClient[] = [];
  for (const group of job.receivers) {
    receivers.push(...(await connectMany(group.count, () => open(group, { onSay }))));
  }
  const total = receivers.length;
  const sender = await open(job.sender, {});
  let sequence = 0;
  /** Sends `count` messages; resolves with the ms until every receiver had all of them. */
  const round = (count: number, stallMs: number): Promise<number> => {
    const started = performance.now();
    const wanted = delivered + count * total;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        target = Infinity;
        reject(new Error(`fan-out stalled at ${delivered}/${wanted}`));
      }, stallMs);
      target = wanted;
      reached = () => {
        clearTimeout(timer);
        target = Infinity;
        resolve(performance.now() - started);
      };
      for (let i = 0; i < count; i++) sender.say(`fanout-${++sequence}`);
    });
  };
  // Warm-up: also proves every receiver hears the room before anything is timed. Across nodes
  // delivery is at most once, so a message sent while a node was still subscribing is lost:
  // send again, five times at most.
  for (let attempt = 1; ; attempt++) {
    try {
      await round(1, 5_000);
      break;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
  const stallMs = job.stallSeconds * 1000;
  const singles: number[] = [];
  for (let i = 0; i < 5; i++) singles.push(await round(1, stallMs));
  singles.sort((a, b) => a - b);
  let burstDelivered = 0;
  let burstMs = 0;
  await mark("start");
  const end = performance.now() + job.seconds * 1000;
  for (let rounds = 0; rounds < 200 && performance.now() < end; rounds++) {
    burstMs += await round(job.burst, stallMs);
    burstDelivered += job.burst * total;
  }
  await mark("end");
  sender.close();
  for (const client of receivers) client.close();
  return {
    rate: burstDelivered / (burstMs / 1000),
    deliveries: burstDelivered,
    fullDeliveryMs: singles[2]!,
    burstFullDeliveryMs: burstMs / Math.max(1, burstDelivered / (job.burst * total)),
    receivers: total,
    sent: sequence,
    timedSent: burstDelivered / total,
  };
}

/**
 * Connects the clients outside any room, then every one joins the bench room at once; times
 * until every join is answered and (notices on) every entered notice has arrived: joiner k
 * is announced to the k − 1 members before it, n(n − 1)/2 notices in all.
 */
async function roomSetup(job: Extract<Job, { kind: "room-setup" }>): Promise<Figures> {
  let joined = 0;
  let notices = 0;
  let check: () => void = () => undefined;
  const clients = await connectMany(job.clients, () =>
    open(job.client, {
      onResponse: () => {
        joined++;
        check();
      },
      onNotice: () => {
        notices++;
        check();
      },
    }),
  );
  const n = clients.length;
  const expected = job.notices ? (n * (n - 1)) / 2 : 0;
  await mark("start");
  const started = performance.now();
  let joinedAt = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      check = () => undefined;
      reject(
        new Error(`room set-up stalled: ${joined}/${n} joined, ${notices}/${expected} notices`),
      );
    }, job.timeoutSeconds * 1000);
    check = () => {
      if (joined >= n && joinedAt === 0) joinedAt = performance.now();
      if (joined >= n && notices >= expected) {
        clearTimeout(timer);
        check = () => undefined;
        resolve();
      }
    };
    clients.forEach((client, index) => client.join(index + 1));
  });
  const fillMs = performance.now() - started;
  await mark("end");
  for (const client of clients) client.close();
  return {
    fillMs,
    joins: n,
    joinedMs: joinedAt - started,
    notices,
    noticeRate: notices / (fillMs / 1000),
  };
}

/** Opens the clients, reports, and keeps them open until the orchestrator kills this process. */
async function idle(job: Extract<Job, { kind: "idle" }>): Promise<Figures> {
  const clients: BenchClient[] = await connectMany(job.clients, () => open(job.client, {}));
  setTimeout(() => process.exit(0), 60_000).unref();
  return { clients: clients.length };
}

/**
 * Clients on two nodes, all in the bench room; every socket dropped at once (no quit); a client
 * that stays publishes `messages` room messages while they are away; then every client comes
 * back on the other node: with sessions, a hello that resumes its session from its room
 * position, and the messages it missed replayed after the welcome; version 1, a plain new
 * connection (nothing recovered). Timed: from the first reconnect until every client has its
 * welcome and (sessions) every message it missed.
 */
async function resumeAfterDrop(job: Extract<Job, { kind: "resume" }>): Promise<Figures> {
  clientLibrary ??= await import("./bench-clients.js");
  const { openWire } = clientLibrary;
  type Message = Record<string, unknown>;
  const waiting = new Map<string, (message: Message) => void>();
  let nextId = 0;
  const onReply = (message: Message) => {
    if (message.context !== "response") return false;
    const key = String(message.messageId);
    waiting.get(key)?.(message);
    waiting.delete(key);
    return true;
  };
  const request = (
    client: WireClient,
    event: string,
    params: Record<string, unknown>,
  ): Promise<Message> =>
    new Promise((resolve) => {
      const messageId = `r${++nextId}`;
      waiting.set(messageId, resolve);
      client.send(event, params, messageId);
    });
  const MISSED = "resume-missed-";
  /** The chat pushes the watcher (on the second node) has heard. */
  let watched = 0;
  let onWatched: () => void = () => undefined;
  const sender = await openWire(job.nodes[0], undefined, onReply);
  const watcher = await openWire(job.nodes[1], undefined, (message) => {
    if (onReply(message) || message.context !== "user") return;
    watched++;
    onWatched();
  });

  interface Member {
    node: number;
    /** Its socket: undefined until it is open (and again once it is dropped). */
    client: WireClient | undefined;
    id: string;
    token: string;
    /** Where the client stands in the room: the position of the last push it received. */
    position: RoomPosition | undefined;
    /** After the resume: the missed messages it got, duplicates, and the time it was done. */
    got: number;
    duplicates: number;
    gaps: number;
    doneMs: number;
  }
  let heard = 0;
  let onHeard: () => void = () => undefined;
  const hear = (member: Member) => (message: Message) => {
    if (message.context !== "user") return;
    if (typeof message.offset === "number") {
      member.position = { epoch: String(message.epoch), offset: message.offset };
    }
    heard++;
    onHeard();
  };
  const members: Member[] = [];
  for (let start = 0; start < job.clients; start += 50) {
    const batch = Math.min(50, job.clients - start);
    await Promise.all(
      Array.from({ length: batch }, async (_, i) => {
        const index = start + i;
        const member: Member = {
          node: index % 2,
          client: undefined,
          id: "",
          token: "",
          position: undefined,
          got: 0,
          duplicates: 0,
          gaps: 0,
          doneMs: 0,
        };
        const client = await openWire(
          job.nodes[member.node]!,
          job.sessions ? {} : undefined,
          hear(member),
        );
        member.client = client;
        const session = client.welcome.session as { token?: string } | undefined;
        member.id = String(client.welcome.id ?? "");
        member.token = String(session?.token ?? "");
        members[index] = member;
      }),
    );
  }
  const n = members.length;
  /** Resolves once `count()` reaches `target`, or rejects after `ms`. */
  const until = (
    count: () => number,
    target: number,
    ms: number,
    what: string,
    set: (check: () => void) => void,
  ) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        set(() => undefined);
        reject(new Error(`${what} stalled at ${count()}/${target}`));
      }, ms);
      const check = () => {
        if (count() < target) return;
        clearTimeout(timer);
        set(() => undefined);
        resolve();
      };
      set(check);
      check();
    });
  // Warm-up: every client hears one message, so each has a room position (the nodes subscribe
  // to the room as their first member joins; five tries at most).
  for (let attempt = 1; ; attempt++) {
    heard = 0;
    await request(sender, "say", { message: `resume-warm-${attempt}` });
    try {
      await until(
        () => heard,
        n,
        5_000,
        "warm-up",
        (check) => (onHeard = check),
      );
      break;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
  // Every socket dropped at once; wait until both nodes hold only the sender and the watcher.
  for (const member of members) {
    member.client!.terminate();
    member.client = undefined;
  }
  const dropDeadline = performance.now() + 20_000;
  for (const [node, stayer] of [sender, watcher].entries()) {
    for (;;) {
      const status = await request(stayer, "action", { action: "status" });
      if (status.total === 1) break;
      if (performance.now() > dropDeadline) {
        throw new Error(`node ${node} still holds ${String(status.total)} connections`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  // The messages they miss; the watcher on the other node hearing them all proves they went
  // through Redis (and so into the room's history) before anyone comes back.
  watched = 0;
  await Promise.all(
    Array.from({ length: job.messages }, (_, i) =>
      request(sender, "say", { message: `${MISSED}${i + 1}` }),
    ),
  );
  await until(
    () => watched,
    job.messages,
    10_000,
    "missed messages",
    (c) => (onWatched = c),
  );

  await mark("start");
  const started = performance.now();
  let welcomed = 0;
  let resumed = 0;
  let recoveredTrue = 0;
  let done = 0;
  let failed = 0;
  let onDone: () => void = () => undefined;
  const finish = (member: Member) => {
    member.doneMs = performance.now() - started;
    done++;
    onDone();
  };
  const comeBack = async (member: Member) => {
    const node = job.nodes[(member.node + 1) % 2]!;
    const hello = job.sessions
      ? {
          resume: {
            session: member.id,
            token: member.token,
            rooms: member.position === undefined ? {} : { [BENCH_ROOM]: member.position },
            alerts: 0,
          },
        }
      : undefined;
    const last = member.position?.offset ?? 0;
    let highest = last;
    let client: WireClient;
    try {
      client = await openWire(node, hello, (message) => {
        if (message.context !== "user" || !String(message.message).startsWith(MISSED)) return;
        const offset = Number(message.offset);
        if (offset <= highest) {
          member.duplicates++;
          return;
        }
        if (offset !== highest + 1) member.gaps++;
        highest = offset;
        if (++member.got === job.messages) finish(member);
      });
    } catch {
      // Refused at the socket: counted, and not waited for.
      failed++;
      finish(member);
      return;
    }
    member.client = client;
    welcomed++;
    const session = client.welcome.session as
      { resumed?: boolean; recovered?: boolean } | undefined;
    if (session?.resumed === true) resumed++;
    if (session?.recovered === true) recoveredTrue++;
    if (!job.sessions) finish(member);
  };
  // At most `concurrency` reconnects between their first byte and their welcome at once.
  let next = 0;
  const lane = async () => {
    while (next < n) await comeBack(members[next++]!);
  };
  let stalled = 0;
  const lanes = Promise.all(Array.from({ length: Math.min(job.concurrency, n) }, lane));
  try {
    await until(
      () => done,
      n,
      job.stallSeconds * 1000,
      "resume",
      (check) => (onDone = check),
    );
  } catch {
    stalled = 1;
  }
  const resumeMs = performance.now() - started;
  await mark("end");
  await Promise.race([lanes, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  for (const member of members) member.client?.terminate();
  sender.terminate();
  watcher.terminate();
  const times = members
    .map((m) => m.doneMs)
    .filter((ms) => ms > 0)
    .sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    resumeMs,
    resumes: n,
    welcomed,
    failed,
    resumed,
    recoveredTrue,
    recoveredMessages: members.reduce((sum, m) => sum + m.got, 0),
    expectedMessages: n * job.messages,
    duplicates: members.reduce((sum, m) => sum + m.duplicates, 0),
    gaps: members.reduce((sum, m) => sum + m.gaps, 0),
    stalled,
    clientP50Ms: at(0.5),
    clientP99Ms: at(0.99),
  };
}
