/**
 * Turns the bench figures into a markdown table, a dependency-free SVG bar chart of the ratios,
 * and docs/performance.md (full runs only). Medians over runs; spread as min–max.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The measured runs of one case, bare and actionwire side by side. */
export interface CaseResult {
  scenario: "roundtrip" | "fanout" | "idle-memory";
  transport: string;
  clients: number;
  bare: Array<Record<string, number>>;
  actionwire: Array<Record<string, number>>;
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
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The figure a case is judged by: throughput, or heap per connection for memory. */
function mainFigure(scenario: CaseResult["scenario"]): string {
  return scenario === "idle-memory" ? "heapPerConnection" : "rate";
}

interface Row {
  label: string;
  unit: string;
  bare: number;
  bareSpread: [number, number];
  actionwire: number;
  actionwireSpread: [number, number];
  ratio: number;
  ratioSpread: [number, number];
  extra: string;
  higherIsBetter: boolean;
}

function rows(report: Report): Row[] {
  return report.cases.map((c) => {
    const key = mainFigure(c.scenario);
    const bare = c.bare.map((f) => f[key] ?? 0);
    const aw = c.actionwire.map((f) => f[key] ?? 0);
    const ratios = aw.map((value, i) => value / (bare[i] || 1));
    const spread = (values: number[]): [number, number] => [
      Math.min(...values),
      Math.max(...values),
    ];
    const med = (side: Array<Record<string, number>>, figure: string) =>
      median(side.map((f) => f[figure] ?? 0));
    let extra: string;
    if (c.scenario === "roundtrip") {
      extra = `p50 ${med(c.bare, "p50").toFixed(2)} / ${med(c.actionwire, "p50").toFixed(2)} ms; p99 ${med(c.bare, "p99").toFixed(2)} / ${med(c.actionwire, "p99").toFixed(2)} ms`;
    } else if (c.scenario === "fanout") {
      extra = `one message to all: ${med(c.bare, "fullDeliveryMs").toFixed(1)} / ${med(c.actionwire, "fullDeliveryMs").toFixed(1)} ms; burst of 20: ${med(c.bare, "burstFullDeliveryMs").toFixed(1)} / ${med(c.actionwire, "burstFullDeliveryMs").toFixed(1)} ms`;
    } else {
      extra = `RSS per connection ${(med(c.bare, "rssPerConnection") / 1024).toFixed(1)} / ${(med(c.actionwire, "rssPerConnection") / 1024).toFixed(1)} KiB`;
    }
    const memory = c.scenario === "idle-memory";
    const scale = memory ? 1 / 1024 : 1;
    const bareMedian = median(bare) * scale;
    const awMedian = median(aw) * scale;
    return {
      label: `${c.scenario} ${c.transport} ×${c.clients}`,
      unit: memory
        ? "KiB/conn (heap+external)"
        : c.scenario === "fanout"
          ? "deliveries/s"
          : "replies/s",
      bare: bareMedian,
      bareSpread: spread(bare).map((v) => v * scale) as [number, number],
      actionwire: awMedian,
      actionwireSpread: spread(aw).map((v) => v * scale) as [number, number],
      ratio: awMedian / (bareMedian || 1),
      ratioSpread: spread(ratios),
      extra,
      higherIsBetter: !memory,
    };
  });
}

function num(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

/** The results table in markdown. */
export function markdownTable(report: Report): string {
  const lines = [
    "| Case | Unit | Bare (median, min–max) | actionwire (median, min–max) | Ratio (min–max) | Details (bare / actionwire) |",
    "| --- | --- | --: | --: | --: | --- |",
  ];
  for (const row of rows(report)) {
    lines.push(
      `| ${row.label} | ${row.unit} | ${num(row.bare)} (${num(row.bareSpread[0])}–${num(row.bareSpread[1])}) | ${num(row.actionwire)} (${num(row.actionwireSpread[0])}–${num(row.actionwireSpread[1])}) | **${row.ratio.toFixed(2)}** (${row.ratioSpread[0].toFixed(2)}–${row.ratioSpread[1].toFixed(2)}) | ${row.extra} |`,
    );
  }
  return lines.join("\n");
}

/** A horizontal bar per case: actionwire as a ratio of the bare library; a line at 1.0. */
export function svgChart(report: Report): string {
  const data = rows(report);
  const labelWidth = 250;
  const barWidth = 420;
  const rowHeight = 24;
  const top = 30;
  const max = Math.max(1.5, ...data.map((row) => row.ratio));
  const x = (ratio: number) => labelWidth + (ratio / max) * barWidth;
  const height = top + data.length * rowHeight + 30;
  const width = labelWidth + barWidth + 70;
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-weight="bold">actionwire ÷ bare library, same run (median of ${report.runs}); memory: lower is better</text>`,
  ];
  data.forEach((row, i) => {
    const y = top + i * rowHeight;
    const fill = row.higherIsBetter ? "#4a7bd0" : "#d08a4a";
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(row.ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${fill}"/>`,
      `<line x1="${x(row.ratioSpread[0]).toFixed(1)}" x2="${x(row.ratioSpread[1]).toFixed(1)}" y1="${y + 12}" y2="${y + 12}" stroke="black"/>`,
      `<text x="${(x(Math.max(row.ratio, row.ratioSpread[1])) + 6).toFixed(1)}" y="${y + 15}">${row.ratio.toFixed(2)}</text>`,
    );
  });
  const one = x(1).toFixed(1);
  parts.push(
    `<line x1="${one}" x2="${one}" y1="${top - 4}" y2="${top + data.length * rowHeight}" stroke="#c00" stroke-dasharray="4 3"/>`,
    `<text x="${one}" y="${height - 10}" text-anchor="middle" fill="#c00">1.0 = as fast (as small) as bare</text>`,
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
Every figure is a ratio to its bare transport: 1.00 means as fast as the bare library; for
memory, lower is better.

## Method

- Loopback only (127.0.0.1). Each case starts a fresh **server process** (actionwire, or the bare
  library doing the same job) and a fresh **load process** for the clients; the orchestrating
  process only forks and collects. Client and server share the machine's cores.
- Bare and actionwire runs alternate (bare, actionwire, bare, actionwire, …) so drift on the
  machine hits both alike. ${report.runs} runs per case; the table gives the **median** and the
  **spread (min–max)** over the runs; the ratio is median ÷ median, its spread the min–max of
  the per-run ratios.
- **Round trip**: 1, 10 and 100 concurrent clients, each sending a small JSON \`echo\` request
  and awaiting its reply, for a fixed time (3 s). Bare servers: a \`ws\` server that parses the
  request and sends a JSON reply; a socket.io server answering an \`action\` event with a
  \`response\` event; a faye server whose extension answers a publish on \`/echo/in/<id>\` with a
  publish on \`/echo/out/<id>\`. Clients: \`ws\`, \`socket.io-client\` (websocket only), faye's
  Node client (websocket after its handshake).
- **Room fan-out**: N clients in one room and one sender. One message at a time first (time
  until every receiver has it), then bursts of 20 messages until 3 s are up (delivered
  messages/s). Bare: a \`ws\` server that builds the frame once and runs a plain \`send\` loop
  over the other clients; a socket.io server calling \`socket.broadcast.emit\`. actionwire: its
  default room, entered/left notices off (the bare servers have none).
- **Idle memory**: N idle ws clients; the server process's \`heapUsed + external\` (after two
  forced GCs) and RSS, before and after, divided by N.
- The machine is **shared and noisy**; read the spread before the median. No figure is a
  threshold: the bench reports and never fails.
- \`npm run bench:quick\` runs a reduced set (10 clients round trip, 200 fan-out clients, 500
  idle clients, one run) and writes \`bench/results/quick.json\` and \`quick.svg\` only.

Not measured yet (issue 8, later increments): cross-node fan-out over Redis (beside socket.io's
Redis adapter and faye's Redis engine), mixed transports in one room, room set-up with notices
on and off, 5,000-client fan-out, idle memory on socket.io and faye, faye fan-out, the
frame-once-and-cork bare ws server, and Primus on the round-trip job.

## Machine and versions

- ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}
- node ${m.versions.node}, ws ${m.versions.ws}, socket.io ${m.versions["socket.io"]} (client
  ${m.versions["socket.io-client"]}), faye ${m.versions.faye}
- Run ${report.date}, ${report.runs} runs per case, ${report.durationSeconds} s in all.

## Results

${table}

![actionwire ÷ bare, per case](../bench/results/full.svg)

Raw figures: [bench/results/full.json](../bench/results/full.json).

${END}`;
  writeFileSync(path, doc + kept);
  return table;
}
