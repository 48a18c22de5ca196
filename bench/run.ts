/**
 * The benchmark suite: actionwire beside the bare library on each transport, in the same run.
 * Every case starts its server in a forked server process and its clients in a forked load
 * process; this process only orchestrates, so neither side measures itself.
 *
 *   node build/bench/run.js            full: 3 runs of every case, median reported,
 *                                      writes bench/results/full.json and docs/performance.md
 *   node build/bench/run.js --quick    reduced set, 1 run, writes bench/results/quick.json
 *
 * Every loop is bounded in count and time; a child that overruns is killed. Nothing here fails
 * on a threshold: the figures are reported, never judged.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { connectClient, connectMany, type BenchClient } from "./bench-clients.js";
import { startServer, type Flavour, type Transport } from "./bench-servers.js";
import {
  benchDir,
  machineInfo,
  markdownTable,
  writeReport,
  type CaseResult,
  type Report,
} from "./report.js";

/** What a load process is asked to do. */
type Job =
  | {
      kind: "roundtrip";
      transport: Transport;
      flavour: Flavour;
      url: string;
      clients: number;
      seconds: number;
    }
  | {
      kind: "fanout";
      transport: Transport;
      flavour: Flavour;
      url: string;
      clients: number;
      seconds: number;
      burst: number;
    }
  | { kind: "idle"; transport: Transport; flavour: Flavour; url: string; clients: number };

/** One measured run: named figures. */
type Figures = Record<string, number>;

const SELF = fileURLToPath(import.meta.url);
const role = process.argv[2];

if (role === "--server") await serverRole(process.argv[3] as Transport, process.argv[4] as Flavour);
else if (role === "--load") await loadRole(JSON.parse(process.argv[3]!) as Job);
else await main(process.argv.includes("--quick"));

// ---------------------------------------------------------------------------------------------
// Orchestrator

async function main(quick: boolean): Promise<void> {
  const startedAt = performance.now();
  const runs = quick ? 1 : 3;
  const rtClients = quick ? [10] : [1, 10, 100];
  const rtSeconds = quick ? 1.5 : 3;
  const fanoutClients = quick ? 200 : 1000;
  const fanoutSeconds = quick ? 1.5 : 3;
  const idleClients = quick ? 500 : 5000;
  const cases: CaseResult[] = [];
  const transports: Transport[] = ["ws", "socketio", "faye"];
  // BENCH_ONLY="roundtrip ws 10": run the matching cases only, and write no results.
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;

  const measure = async (
    scenario: CaseResult["scenario"],
    transport: Transport,
    clients: number,
    job: (flavour: Flavour, url: string) => Job,
  ) => {
    if (only !== undefined && !only.test(`${scenario} ${transport} ${clients}`)) return;
    const samples: Record<Flavour, Figures[]> = { bare: [], actionwire: [] };
    // Alternate bare and actionwire so drift on a noisy machine hits both alike.
    for (let run = 0; run < runs; run++) {
      for (const flavour of ["bare", "actionwire"] as const) {
        const figures = await runCase(transport, flavour, job, scenario === "idle-memory");
        samples[flavour].push(figures);
        log(
          `${scenario} ${transport} ${flavour} clients=${clients} run ${run + 1}: ${fmt(figures)}`,
        );
      }
    }
    cases.push({
      scenario,
      transport,
      clients,
      bare: samples.bare,
      actionwire: samples.actionwire,
    });
  };

  for (const transport of transports) {
    for (const clients of rtClients) {
      await measure("roundtrip", transport, clients, (flavour, url) => ({
        kind: "roundtrip",
        transport,
        flavour,
        url,
        clients,
        seconds: rtSeconds,
      }));
    }
  }
  for (const transport of ["ws", "socketio"] as const) {
    await measure("fanout", transport, fanoutClients, (flavour, url) => ({
      kind: "fanout",
      transport,
      flavour,
      url,
      clients: fanoutClients,
      seconds: fanoutSeconds,
      burst: 20,
    }));
  }
  await measure("idle-memory", "ws", idleClients, (flavour, url) => ({
    kind: "idle",
    transport: "ws",
    flavour,
    url,
    clients: idleClients,
  }));

  const report: Report = {
    mode: quick ? "quick" : "full",
    date: new Date().toISOString(),
    runs,
    durationSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    machine: machineInfo(),
    cases,
  };
  if (only !== undefined) {
    console.log(markdownTable(report));
    return;
  }
  mkdirSync(`${benchDir()}/results`, { recursive: true });
  writeFileSync(
    `${benchDir()}/results/${report.mode}.json`,
    `${JSON.stringify(report, null, 2)}\n`,
  );
  const table = writeReport(report, !quick);
  console.log(table);
  log(`done in ${report.durationSeconds} s`);
}

/** One case: a fresh server process, a fresh load process, figures back. */
async function runCase(
  transport: Transport,
  flavour: Flavour,
  job: (flavour: Flavour, url: string) => Job,
  memory: boolean,
): Promise<Figures> {
  const server = fork(SELF, ["--server", transport, flavour], {
    execArgv: [
      "--expose-gc",
      // BENCH_PROFILE=<dir>: a CPU profile of every server process, for `--cpu-prof` reading.
      ...(process.env.BENCH_PROFILE
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : []),
    ],
  });
  const kill = (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const serverGuard = setTimeout(() => kill(server), 120_000);
  try {
    const { url } = await request<{ url: string }>(server, undefined, 30_000);
    const before = memory ? await request<Figures>(server, { cmd: "memory" }, 30_000) : undefined;
    const load = fork(SELF, ["--load", JSON.stringify(job(flavour, url))]);
    const loadGuard = setTimeout(() => kill(load), 90_000);
    try {
      const figures = await request<Figures>(load, undefined, 90_000);
      if (memory && before !== undefined) {
        const after = await request<Figures>(server, { cmd: "memory" }, 30_000);
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
    const exited = new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) resolve();
      else server.once("exit", () => resolve());
    });
    server.send({ cmd: "stop" });
    // It exits by itself (writing its CPU profile, if asked); killed only if it hangs.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    clearTimeout(serverGuard);
    kill(server);
  }
}

/** Sends `message` (if any) and resolves with the child's next message, or rejects on time. */
function request<T>(child: ChildProcess, message: unknown, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error("bench child timed out")), timeoutMs);
    const onMessage = (reply: unknown) => finish(undefined, reply as T);
    const onExit = () => finish(new Error("bench child exited"));
    function finish(error?: Error, reply?: T) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error === undefined) resolve(reply as T);
      else reject(error);
    }
    child.once("message", onMessage);
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
  console.error(`[bench] ${line}`);
}

// ---------------------------------------------------------------------------------------------
// Server process

async function serverRole(transport: Transport, flavour: Flavour): Promise<void> {
  const server = await startServer(transport, flavour);
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
    } else if (message.cmd === "stop") {
      const done = setTimeout(() => process.exit(0), 3_000);
      void server.close().finally(() => {
        clearTimeout(done);
        process.exit(0);
      });
    }
  });
  process.send!({ url: server.url });
}

// ---------------------------------------------------------------------------------------------
// Load process

async function loadRole(job: Job): Promise<void> {
  const result =
    job.kind === "roundtrip"
      ? await roundTrip(job)
      : job.kind === "fanout"
        ? await fanout(job)
        : await idle(job);
  process.send!(result, () => {
    if (job.kind !== "idle") process.exit(0);
  });
}

/** Each client sends one echo request, awaits its reply, and repeats until time is up. */
async function roundTrip(job: Extract<Job, { kind: "roundtrip" }>): Promise<Figures> {
  const latencies: number[] = [];
  let replies = 0;
  const waiters = new Map<number, () => void>();
  const clients = await connectMany(job.clients, (index) =>
    connectClient(job.transport, job.flavour, job.url, {
      onResponse: () => waiters.get(index)?.(),
    }),
  );
  const started = performance.now();
  const end = started + job.seconds * 1000;
  await Promise.all(
    clients.map(
      (client, index) =>
        new Promise<void>((resolve) => {
          let id = 0;
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
          const stall = setTimeout(resolve, job.seconds * 1000 + 5_000);
          waiters.set(index, () => {
            latencies.push(performance.now() - sentAt);
            replies++;
            if (performance.now() >= end) clearTimeout(stall);
            send();
          });
          send();
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const client of clients) client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rate: replies / seconds, p50: at(0.5), p99: at(0.99), replies };
}

/**
 * One sender, `clients` receivers in the room. First single messages (time to full delivery
 * of one message), then bursts of `burst` messages until time is up (delivered messages/s).
 */
async function fanout(job: Extract<Job, { kind: "fanout" }>): Promise<Figures> {
  let delivered = 0;
  let target = Infinity;
  let reached: () => void = () => undefined;
  const onSay = () => {
    if (++delivered >= target) reached();
  };
  const receivers = await connectMany(job.clients, () =>
    connectClient(job.transport, job.flavour, job.url, { onSay }),
  );
  const sender = await connectClient(job.transport, job.flavour, job.url, {});
  let sequence = 0;
  /** Sends `count` messages; resolves with the ms until every receiver had all of them. */
  const round = (count: number): Promise<number> => {
    const started = performance.now();
    const wanted = delivered + count * job.clients;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fan-out stalled at ${delivered}/${wanted}`)),
        20_000,
      );
      target = wanted;
      reached = () => {
        clearTimeout(timer);
        target = Infinity;
        resolve(performance.now() - started);
      };
      for (let i = 0; i < count; i++) sender.say(`fanout-${++sequence}`);
    });
  };
  // Warm-up: also proves every receiver is in the room before anything is timed.
  await round(1);
  const singles: number[] = [];
  for (let i = 0; i < 5; i++) singles.push(await round(1));
  singles.sort((a, b) => a - b);
  let burstDelivered = 0;
  let burstMs = 0;
  const end = performance.now() + job.seconds * 1000;
  for (let rounds = 0; rounds < 200 && performance.now() < end; rounds++) {
    burstMs += await round(job.burst);
    burstDelivered += job.burst * job.clients;
  }
  sender.close();
  for (const client of receivers) client.close();
  return {
    rate: burstDelivered / (burstMs / 1000),
    fullDeliveryMs: singles[2]!,
    burstFullDeliveryMs: burstMs / Math.max(1, burstDelivered / (job.burst * job.clients)),
  };
}

/** Opens the clients, reports, and keeps them open until the orchestrator kills this process. */
async function idle(job: Extract<Job, { kind: "idle" }>): Promise<Figures> {
  const clients: BenchClient[] = await connectMany(job.clients, () =>
    connectClient(job.transport, job.flavour, job.url, {}),
  );
  setTimeout(() => process.exit(0), 60_000).unref();
  return { clients: clients.length };
}
