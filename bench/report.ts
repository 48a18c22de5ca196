/**
 * Turns the bench figures into a markdown table, a dependency-free SVG bar chart of the ratios,
 * and docs/performance.md (full runs only). Medians over runs; spread as min–max.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The measured runs of one case, its baseline and actionwire side by side. */
export interface CaseResult {
  scenario:
    "roundtrip" | "fanout" | "idle-memory" | "room-setup" | "mixed" | "cross-node" | "resume";
  transport: string;
  clients: number;
  /** Tells cases of one scenario, transport and size apart (`notices on`, `vs primus`). */
  variant?: string;
  /** What the bare side is (`bare ws, frame once + cork`); older results: the bare transport. */
  baseline?: string;
  bare: Array<Record<string, number>>;
  actionwire: Array<Record<string, number>>;
  /** Why the case could not be measured (its runs so far are kept). */
  error?: string;
}

/** The name BENCH_ONLY is matched against: `<scenario> <transport> <clients>[ <variant>]`. */
export function caseKey(c: Pick<CaseResult, "scenario" | "transport" | "clients" | "variant">) {
  return `${c.scenario} ${c.transport} ${c.clients}${c.variant === undefined ? "" : ` ${c.variant}`}`;
}

export interface Report {
  mode: "quick" | "full";
  date: string;
  runs: number;
  durationSeconds: number;
  machine: ReturnType<typeof machineInfo>;
  cases: CaseResult[];
}

/** The repository root (this file runs from build/bench/). */
function root(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The bench sources' directory (bench/, not build/bench/). */
export function benchDir(): string {
  return resolve(root(), "bench");
}

function version(pkg: string): string {
  try {
    const json = JSON.parse(
      readFileSync(resolve(root(), "node_modules", pkg, "package.json"), "utf8"),
    ) as { version: string };
    return json.version;
  } catch {
    return "not installed";
  }
}

function redisServerVersion(): string {
  try {
    const banner = execFileSync("redis-server", ["--version"], { encoding: "utf8" });
    return /v=(\S+)/.exec(banner)?.[1] ?? "unknown";
  } catch {
    return "not installed";
  }
}

export function machineInfo() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    versions: {
      node: process.version,
      ws: version("ws"),
      "socket.io": version("socket.io"),
      "socket.io-client": version("socket.io-client"),
      faye: version("faye"),
      primus: version("primus"),
      "@socket.io/redis-adapter": version("@socket.io/redis-adapter"),
      "faye-redis": version("faye-redis"),
      /** The Redis client faye-redis runs on (it needs the callback API of redis 3). */
      redis: version("redis"),
      ioredis: version("ioredis"),
      "redis-server": redisServerVersion(),
    },
  };
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The figure a case is judged by: throughput, heap per connection, or time to fill a room. */
function mainFigure(scenario: CaseResult["scenario"]): string {
  if (scenario === "idle-memory") return "heapPerConnection";
  if (scenario === "room-setup") return "fillMs";
  if (scenario === "resume") return "resumeMs";
  return "rate";
}

const UNITS: Record<CaseResult["scenario"], string> = {
  roundtrip: "replies/s",
  fanout: "deliveries/s",
  mixed: "deliveries/s",
  "cross-node": "deliveries/s",
  "idle-memory": "KiB/conn (heap+external)",
  "room-setup": "ms to full membership",
  resume: "ms until every client is back (and has what it missed)",
};

interface Row {
  label: string;
  baseline: string;
  unit: string;
  bare: number;
  bareSpread: [number, number];
  actionwire: number;
  actionwireSpread: [number, number];
  ratio: number;
  ratioSpread: [number, number];
  extra: string;
  higherIsBetter: boolean;
  error?: string;
}

const label = (c: CaseResult) =>
  `${c.scenario} ${c.transport} ×${c.clients}${c.variant === undefined ? "" : ` (${c.variant})`}`;

function rows(report: Report): Row[] {
  const med = (side: Array<Record<string, number>>, figure: string) =>
    median(side.map((f) => f[figure] ?? 0));
  return report.cases.map((c) => {
    const key = mainFigure(c.scenario);
    const bare = c.bare.map((f) => f[key] ?? 0);
    const aw = c.actionwire.map((f) => f[key] ?? 0);
    const ratios = aw.slice(0, bare.length).map((value, i) => value / (bare[i] || 1));
    const spread = (values: number[]): [number, number] =>
      values.length === 0 ? [NaN, NaN] : [Math.min(...values), Math.max(...values)];
    const ms = (side: Array<Record<string, number>>, figure: string) =>
      med(side, figure).toFixed(1);
    let extra: string;
    if (c.scenario === "roundtrip") {
      extra = `p50 ${med(c.bare, "p50").toFixed(2)} / ${med(c.actionwire, "p50").toFixed(2)} ms; p99 ${med(c.bare, "p99").toFixed(2)} / ${med(c.actionwire, "p99").toFixed(2)} ms`;
      extra += serverCpu(c, "cpuPerReplyUs", "reply", "µs");
    } else if (c.scenario === "room-setup") {
      extra = `every join answered: ${ms(c.bare, "joinedMs")} / ${ms(c.actionwire, "joinedMs")} ms`;
      extra += serverCpu(c, "cpuPerJoinUs", "join (notices included)", "µs");
      if (med(c.bare, "notices") > 0 || med(c.actionwire, "notices") > 0) {
        extra += `; notices ${num(med(c.bare, "notices"))} / ${num(med(c.actionwire, "notices"))} at ${num(med(c.bare, "noticeRate"))} / ${num(med(c.actionwire, "noticeRate"))} per s`;
      }
    } else if (c.scenario === "resume") {
      extra = resumeDetails(c);
    } else if (c.scenario === "idle-memory") {
      extra = `RSS per connection ${(med(c.bare, "rssPerConnection") / 1024).toFixed(1)} / ${(med(c.actionwire, "rssPerConnection") / 1024).toFixed(1)} KiB`;
    } else {
      extra = `one message to all: ${ms(c.bare, "fullDeliveryMs")} / ${ms(c.actionwire, "fullDeliveryMs")} ms; burst of 20: ${ms(c.bare, "burstFullDeliveryMs")} / ${ms(c.actionwire, "burstFullDeliveryMs")} ms`;
      extra += serverCpu(c, "cpuPerDeliveryNs", "delivery", "ns");
      if (c.scenario === "mixed") extra += mixedAgainstSingle(report, c);
      if (c.scenario === "cross-node") {
        extra += `; Redis PUBLISH per message ${med(c.bare, "publishesPerMessage").toFixed(2)} / ${med(c.actionwire, "publishesPerMessage").toFixed(2)}`;
        if (c.actionwire.some((f) => f.scriptCallsPerMessage !== undefined)) {
          extra += `; actionwire's Redis calls per message: script ${med(c.actionwire, "scriptCallsPerMessage").toFixed(2)}, bus published ${med(c.actionwire, "busPublishedPerMessage").toFixed(2)}, MULTI/EXEC ${med(c.actionwire, "transactionsPerMessage").toFixed(2)}`;
        }
      }
    }
    if (c.actionwire.length < report.runs && c.error === undefined) {
      extra = `${c.actionwire.length} run${c.actionwire.length === 1 ? "" : "s"} only; ${extra}`;
    }
    const memory = c.scenario === "idle-memory";
    const scale = memory ? 1 / 1024 : 1;
    const bareMedian = median(bare) * scale;
    const awMedian = median(aw) * scale;
    return {
      label: label(c),
      baseline: c.baseline ?? `bare ${c.transport}`,
      unit: UNITS[c.scenario],
      bare: bareMedian,
      bareSpread: spread(bare).map((v) => v * scale) as [number, number],
      actionwire: awMedian,
      actionwireSpread: spread(aw).map((v) => v * scale) as [number, number],
      ratio: Number.isNaN(bareMedian) ? NaN : awMedian / (bareMedian || 1),
      ratioSpread: spread(ratios),
      extra,
      higherIsBetter: !memory && c.scenario !== "room-setup" && c.scenario !== "resume",
      ...(c.error === undefined ? {} : { error: c.error }),
    };
  });
}

/**
 * The server processes' CPU time per unit of timed work, both sides, and their ratio (lower is
 * better): a figure the machine's noise moves less than a rate, since it does not count the
 * time the server waited for the clients.
 */
function serverCpu(c: CaseResult, figure: string, per: string, unit: string): string {
  const values = (side: Array<Record<string, number>>) =>
    side.map((f) => f[figure]).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const bare = values(c.bare);
  const aw = values(c.actionwire);
  if (bare.length === 0 || aw.length === 0) return "";
  const digits = unit === "µs" ? 1 : 0;
  return `; server CPU per ${per} ${median(bare).toFixed(digits)} / ${median(aw).toFixed(digits)} ${unit} (×${(median(aw) / median(bare)).toFixed(2)})`;
}

/**
 * The resume case's details, the plain reconnect first, the resume after it: time until every
 * client had its welcome, the missed messages the clients got against those they missed, the
 * welcomes that said resumed and recovered, duplicates and gaps, and the CPU both server
 * processes (and the redis-server) spent per client coming back.
 */
function resumeDetails(c: CaseResult): string {
  const med = (side: Array<Record<string, number>>, figure: string) =>
    median(side.map((f) => f[figure] ?? 0));
  const both = (figure: string, digits = 0) =>
    `${med(c.bare, figure).toFixed(digits)} / ${med(c.actionwire, figure).toFixed(digits)}`;
  const n = med(c.actionwire, "resumes");
  let text = `missed messages received ${num(med(c.actionwire, "recoveredMessages"))} of ${num(med(c.actionwire, "expectedMessages"))} (duplicates ${both("duplicates")}, gaps ${both("gaps")}); welcomes resumed: true ${both("resumed")}, recovered: true ${both("recoveredTrue")} of ${num(n)}`;
  text += `; half back after ${both("clientP50Ms", 1)} ms, 99 % after ${both("clientP99Ms", 1)} ms`;
  text += serverCpu(c, "cpuPerResumeUs", "client back (both nodes)", "µs");
  text += serverCpu(c, "redisCpuPerResumeUs", "client back, redis-server", "µs");
  if (c.bare.some((f) => f.failed) || c.actionwire.some((f) => f.failed)) {
    text += `; reconnects that failed ${both("failed")}`;
  }
  const stalled = c.bare.some((f) => f.stalled) || c.actionwire.some((f) => f.stalled);
  return stalled ? `**stalled** (not every client came back in time); ${text}` : text;
}

/**
 * The mixed room against actionwire's own single-transport rooms of the same size in the same
 * run: if mixing cost nothing, a room of thirds would deliver at the harmonic mean of the three
 * single-transport rates (each delivery costs what it costs on its own transport).
 */
function mixedAgainstSingle(report: Report, mixed: CaseResult): string {
  const single = ["ws", "socketio", "faye"].map((transport) =>
    report.cases.find(
      (c) =>
        c.scenario === "fanout" &&
        c.transport === transport &&
        c.clients === mixed.clients &&
        c.variant === undefined &&
        c.actionwire.length > 0,
    ),
  );
  if (single.some((c) => c === undefined)) return "";
  const rates = single.map((c) => median(c!.actionwire.map((f) => f.rate ?? 0)));
  const blended = 3 / rates.reduce((sum, rate) => sum + 1 / rate, 0);
  const mixedRate = median(mixed.actionwire.map((f) => f.rate ?? 0));
  return `; actionwire's single-transport rooms ×${mixed.clients} blended (harmonic mean of ws, socket.io, faye): ${num(blended)} deliveries/s, mixed ÷ blended **${(mixedRate / blended).toFixed(2)}**`;
}

function num(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

/** The results table in markdown. */
export function markdownTable(report: Report): string {
  const lines = [
    "| Case | Baseline (bare column) | Unit | Bare (median, min–max) | actionwire (median, min–max) | Ratio (min–max) | Details (bare / actionwire) |",
    "| --- | --- | --- | --: | --: | --: | --- |",
  ];
  const cell = (value: number, spread: [number, number]) =>
    Number.isNaN(value) ? "—" : `${num(value)} (${num(spread[0])}–${num(spread[1])})`;
  for (const row of rows(report)) {
    const ratio = Number.isNaN(row.ratio)
      ? "—"
      : `**${row.ratio.toFixed(2)}** (${row.ratioSpread[0].toFixed(2)}–${row.ratioSpread[1].toFixed(2)})`;
    const details =
      row.error === undefined ? row.extra : `**failed**: ${row.error.replace(/\|/g, "\\|")}`;
    lines.push(
      `| ${row.label} | ${row.baseline} | ${row.unit} | ${cell(row.bare, row.bareSpread)} | ${cell(row.actionwire, row.actionwireSpread)} | ${ratio} | ${details} |`,
    );
  }
  return lines.join("\n");
}

/**
 * A horizontal bar per case: actionwire as a ratio of its baseline; a line at 1.0. Blue: higher
 * is better (throughput); orange: lower is better (memory, time to fill a room).
 */
export function svgChart(report: Report): string {
  const data = rows(report);
  const labelWidth = 300;
  const barWidth = 420;
  const rowHeight = 24;
  const top = 30;
  const max = Math.max(1.5, ...data.filter((row) => !Number.isNaN(row.ratio)).map((r) => r.ratio));
  const x = (ratio: number) => labelWidth + (ratio / max) * barWidth;
  const height = top + data.length * rowHeight + 30;
  const width = labelWidth + barWidth + 70;
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-weight="bold">actionwire ÷ baseline, same run (median of ${report.runs}); orange: lower is better</text>`,
  ];
  data.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`,
    );
    if (Number.isNaN(row.ratio)) {
      parts.push(`<text x="${labelWidth + 6}" y="${y + 15}" fill="#c00">failed</text>`);
      return;
    }
    const fill = row.higherIsBetter ? "#4a7bd0" : "#d08a4a";
    parts.push(
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(row.ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${fill}"/>`,
      `<line x1="${x(row.ratioSpread[0]).toFixed(1)}" x2="${x(row.ratioSpread[1]).toFixed(1)}" y1="${y + 12}" y2="${y + 12}" stroke="black"/>`,
      `<text x="${(x(Math.max(row.ratio, row.ratioSpread[1])) + 6).toFixed(1)}" y="${y + 15}">${row.ratio.toFixed(2)}</text>`,
    );
  });
  const one = x(1).toFixed(1);
  parts.push(
    `<line x1="${one}" x2="${one}" y1="${top - 4}" y2="${top + data.length * rowHeight}" stroke="#c00" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${height - 10}" text-anchor="middle" fill="#c00">1.0 = the same as the baseline</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

const END = "<!-- bench:end -->";

/**
 * Writes the chart (bench/results/<mode>.svg) and, for a full run, docs/performance.md; keeps
 * whatever the doc holds after the generated part. Returns the table.
 */
export function writeReport(report: Report, docs: boolean): string {
  const table = markdownTable(report);
  writeFileSync(resolve(benchDir(), "results", `${report.mode}.svg`), svgChart(report));
  if (!docs) return table;
  const path = resolve(root(), "docs", "performance.md");
  const kept = existsSync(path) ? (readFileSync(path, "utf8").split(END)[1] ?? "") : "\n";
  const m = report.machine;
  const doc = `# Performance

<!-- Generated by \`npm run bench\` (bench/report.ts) down to the end marker; edit below it. -->

actionwire beside the bare library it runs on, **measured in the same run on the same machine**.
Every figure is a ratio to its baseline, the bare transport unless the row names another server
doing the same job: 1.00 means as fast as the baseline; for memory and for the time to fill a
room, lower is better.

## Method

- Loopback only (127.0.0.1). Each case starts fresh **server processes** (actionwire, or the
  library it is set against, doing the same job) and a fresh **load process** for the clients;
  the orchestrating process only forks and collects. Client and server share the machine's
  cores.
- The sides of a case alternate run by run (bare, actionwire, bare, actionwire, …) so drift on
  the machine hits all alike. ${report.runs} runs per case unless the details say otherwise; the
  table gives the **median** and the **spread (min–max)** over the runs; the ratio is actionwire
  median ÷ baseline median, its spread the min–max of the per-run ratios. Where one actionwire
  run is set against two baselines (ws round trip: bare ws and Primus; ws fan-out: the send
  loop and the corked server; cross-node: socket.io's Redis adapter against actionwire ws and
  socket.io) every run goes through all the sides, and each row divides the same actionwire
  figures by its own baseline.
- **Round trip**: 1, 10 and 100 concurrent clients, each sending a small JSON \`echo\` request
  and awaiting its reply, for a fixed time (3 s, after an uncounted warm-up of a third of that
  time, in which both sides' code is compiled and optimized). Bare servers: a \`ws\` server
  that parses the request and sends a JSON reply; a socket.io server answering an \`action\`
  event with a \`response\` event; a faye server whose extension answers a publish on
  \`/echo/in/<id>\` with a publish on \`/echo/out/<id>\`. Clients: \`ws\`,
  \`socket.io-client\` (websocket only), faye's Node client (websocket after its handshake).
  **Primus** (the nearest peer abstraction) does
  the same echo over its \`websockets\` transformer (ws underneath, its JSON parser), server in
  its own process, clients from \`Primus.createSocket\` in the load process; the
  \`(vs primus)\` rows divide actionwire ws by Primus, so above 1.00 means actionwire is ahead.
- **Room fan-out**: 1,000 and 5,000 clients in one room and one sender, on ws, socket.io and
  faye. One message at a time first (time until every receiver has it), then bursts of 20
  messages until 3 s are up (delivered messages/s). Baselines: a \`ws\` server that builds the
  JSON text once and runs a plain \`send\` loop over the other clients; the **frame-once-and-cork**
  ws server (the \`(vs cork)\` rows, the one issue 8's ws target is set against), which builds
  the WebSocket frame once per message (\`Sender.frame\`) and writes the same bytes to every
  client's underlying socket, each corked until \`process.nextTick\` so a burst leaves in one
  write per socket; a socket.io server calling \`socket.broadcast.emit\`; faye's own fan-out,
  every client subscribed to one channel and the sender publishing to it (the sender builds the
  chat object, faye relays it untouched). Every bare chat message carries the fields
  actionwire's do (\`context\`, \`message\`, \`room\`, \`sentAt\`, and the sender in \`from\`: a
  per-connection \`randomUUID()\` on ws, like actionwire's ids, the socket.io id, the faye
  clientId). actionwire: its default room, entered/left notices off (the bare servers have none).
- **Idle memory**: 5,000 idle clients on each of ws, socket.io and faye; the server process's
  \`heapUsed + external\` (after two forced GCs) and RSS, before and after, divided by the
  clients. Bare faye clients hold one subscription (their echo channel), as actionwire's hold
  their out channel.
- **Room set-up** (ws): the clients connect outside any room (actionwire: \`defaultRoom: null\`),
  then all send \`roomChange\` at once; the figure is the time from the first join sent until
  every join is answered and, with entered notices on (\`roomNotices: true\`), every notice has
  arrived: joiner k is announced to the k − 1 members before it, n(n − 1)/2 notices in all
  (499,500 for 1,000 clients, 12,497,500 for 5,000). Bare: a \`ws\` server that adds the socket
  to a \`Set\` and, notices on, sends one notice text to every other member in a plain \`send\`
  loop. Lower is better (the ratio is actionwire ms ÷ bare ms). 5,000 with notices on runs once
  per side: its 12.5 million notices take minutes.
- **Mixed transports**: one actionwire server running ws, socket.io and faye on one HTTP
  server; 1,000 receivers in its default room (334 ws, 333 socket.io, 333 faye) and one ws
  sender, as in the fan-out. No bare library can do this; the bare column is the plain-send-loop
  ws server with all 1,000 receivers on ws, in the same run, so that ratio also carries
  socket.io's and faye's own cost per delivery. The details give the fairer reading when the
  single-transport fan-out rows of the same size are in the same report: actionwire's ws,
  socket.io and faye rooms blended as the harmonic mean of their rates (what a room of thirds
  would deliver if mixing cost nothing), and mixed ÷ blended.
- **Cross-node**: per run, a \`redis-server\` of the bench's own (free port, no persistence) and
  two server processes on it; the receivers split half and half between them, the sender on
  the first; delivered messages/s over all receivers. actionwire: \`redis: { url }\`, a node id
  each. Baselines: two socket.io servers with \`@socket.io/redis-adapter\` (ioredis clients)
  calling \`broadcast.emit\`, against both actionwire ws (issue 8's target) and actionwire
  socket.io; two faye servers on faye's Redis engine (\`faye-redis\`), against actionwire faye.
  The details give Redis \`PUBLISH\` commands per room message of the timed phase (from
  \`INFO commandstats\`, those a script runs included) and, for actionwire, its Redis calls per
  message: script calls (\`EVALSHA\`: the one call that appends to the room's history and
  publishes), the room messages its buses published (their \`stats.published\`), and
  \`MULTI\`/\`EXEC\` transactions (a session's sender records each request and its reply).
  faye-redis 0.2.0 asks for \`redis\` at any version, and today's redis client (5 and later)
  has another API (\`The client is closed\` at start), so the bench pins \`redis@3\`, the
  callback API faye-redis was written for, as a dev dependency.
- **Sessions** (the rows marked \`(sessions …)\`): the same job with clients that say hello, as
  the project's client does with resume on (its default): the ws URL, the socket.io handshake
  query or the faye endpoint carries \`hello=1\`, the first frame is \`{"event":"hello"}\`, and
  every request carries a \`messageId\` (so the server records its reply for a resume), the
  fan-out sender's \`say\` too. Each such row divides the session side by the row's baseline,
  or, \`(sessions vs v1)\`, by actionwire's version-1 clients (no hello, no session) of the same
  run. Rows: round trip on every transport, ws fan-out (against the corked server), idle memory
  on every idle transport, and cross-node ws (against socket.io's Redis adapter).
- **Resume after a mass drop** (\`resume\` row): two actionwire nodes (ws) over one
  \`redis-server\`; 1,000 clients with sessions, alternating between the nodes, all in the
  default room, each having heard one message (so it has a room position); every socket
  dropped at once (\`terminate\`, no quit), and, once both nodes hold no client but a sender
  (on the first node) and a watcher (on the second), 100 room messages published; then every
  client comes back on the **other** node with a hello that resumes its session from its room
  position, at most 100 reconnects between their first byte and their welcome at once. Timed:
  from the first reconnect until every client has its welcome and all 100 messages it missed
  (replayed after the welcome). The baseline: the same with version-1 clients, who reconnect
  with a new connection and recover nothing. The details give the missed messages received
  against those expected, duplicates and gaps, how many welcomes said \`resumed: true\` and
  \`recovered: true\`, and the CPU per client coming back of both server processes and of the
  redis-server (\`INFO cpu\`).
- **Server CPU** (in the details of the round-trip, fan-out, room set-up and resume rows): the CPU
  time of the server processes between two marks the load process sends at the start and the
  end of its timed phase, summed over each process's threads (the main thread and V8's and
  libuv's helpers: \`/proc/<pid>/task/<tid>/schedstat\`, in ns), divided by the replies, the
  deliveries or the joins of that phase; both sides, and actionwire ÷ bare (lower is better).
  A rate moves with how the server and the clients share the two cores; this figure counts
  only the work the server did, and so moves much less from run to run.
- The machine is **shared and noisy**; read the spread before the median. No figure is a
  threshold: the bench reports and never fails on one. A case that breaks (a stall, a server
  that does not start) shows as failed, the other cases still run, and the exit code is 1.
- \`npm run bench:quick\` runs a reduced set, one run each: 10-client round trip on every
  transport (and Primus), 200-client fan-out on ws (both baselines) and socket.io, 500 idle ws
  clients, a 200-client room set-up with notices on, 200-client cross-node ws against
  socket.io's Redis adapter, each of these beside session clients where the full run has them,
  and the resume case with 200 clients and 20 missed messages; it writes
  \`bench/results/quick.json\` and \`quick.svg\` only.

## Machine and versions

- ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}
- node ${m.versions.node}, ws ${m.versions.ws}, socket.io ${m.versions["socket.io"]} (client
  ${m.versions["socket.io-client"]}), faye ${m.versions.faye}, primus ${m.versions.primus}
- Redis: redis-server ${m.versions["redis-server"]}, ioredis ${m.versions.ioredis},
  @socket.io/redis-adapter ${m.versions["@socket.io/redis-adapter"]}, faye-redis
  ${m.versions["faye-redis"]} (on redis ${m.versions.redis})
- Run ${report.date}, ${report.runs} runs per case, ${report.durationSeconds} s in all.

## Results

${table}

![actionwire ÷ baseline, per case](../bench/results/full.svg)

Raw figures: [bench/results/full.json](../bench/results/full.json).

${END}`;
  writeFileSync(path, doc + kept);
  return table;
}
