import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type ActionwireClient, createClient } from "../../src/client/actionwire-client.js";
import { RequestError } from "../../src/client/request-error.js";
import { freePort, RedisProcess } from "../helpers/redis-process.js";
import { RoundRobinProxy } from "../helpers/round-robin-proxy.js";

/** How long and how hard a chaos run is. */
export interface ChaosOptions {
  /** How long the clients chat while the faults happen, in ms. */
  durationMs: number;
  /** Clients of each kind (ws, socket.io websocket, faye websocket, faye long-polling). */
  perKind: number;
  /** Gap between one client's says, in ms. */
  sayEveryMs: number;
  /** Gap between one client's incrementTest calls, in ms. */
  incrementEveryMs: number;
  /** How long the network cut lasts, in ms. */
  cutMs: number;
  /** Progress lines (the script prints them; the test keeps them quiet). */
  log?: (line: string) => void;
}

/** What a chaos run saw. Every count but the totals should be 0. */
export interface ChaosReport {
  clients: number;
  said: number;
  expected: number;
  delivered: number;
  lost: number;
  /** The first lost deliveries: who missed what, and when it was said (ms since the start). */
  lostDetail: string[];
  duplicated: number;
  outOfOrder: number;
  heardSelf: number;
  sayFailures: string[];
  idChanged: number;
  resumes: number;
  notRecovered: string[];
  /** Clients that never resumed (every client should, after the drop of every connection). */
  neverResumed: string[];
  increments: number;
  outcomeUnknown: number;
  counterErrors: string[];
  otherErrors: string[];
  faults: string[];
  /** How long the clients took to have every message after the last fault, in ms. */
  settledMs: number;
}

type Kind = "ws" | "socketio" | "faye" | "faye-lp";
const KINDS: readonly Kind[] = ["ws", "socketio", "faye", "faye-lp"];

interface Player {
  readonly index: number;
  readonly kind: Kind;
  readonly client: ActionwireClient;
  id: string;
  said: number;
  /** When each numbered message was said (its reply came), ms since the run began. */
  readonly saidAt: number[];
  /** Per sender index: the message numbers heard, in arrival order. */
  readonly heard: Map<number, number[]>;
  heardSelf: number;
  readonly sayFailures: string[];
  /** incrementTest results: values, and failures by code. */
  readonly values: number[];
  readonly unknown: number[];
  readonly errors: string[];
  /** What each `resumed` event said. */
  readonly resumed: Array<{ recovered: boolean }>;
  /** When each resume happened (performance.now()). */
  readonly resumedAt: number[];
}

/**
 * Three demo nodes (separate processes, `npm start`'s server) on one redis-server, behind a
 * round-robin TCP proxy (each new connection to the next live node, no stickiness), clients of
 * every kind chatting with numbered messages and calling incrementTest in a loop, while: every
 * connection is dropped at once; each node is stopped with SIGTERM and started again, one is
 * killed with SIGKILL; the network is cut.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const cli = fileURLToPath(new URL("../../src/cli.js", import.meta.url));
  const redis = await RedisProcess.start();
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: Array<ChildProcess | undefined> = [];
  const faults: string[] = [];
  const startNode = async (i: number) => {
    const child = spawn(process.execPath, [cli], {
      env: {
        ...process.env,
        PORT: String(ports[i]),
        HOST: "127.0.0.1",
        REDIS_URL: redis.url,
        REDIS_HEARTBEAT_MS: "200",
        REDIS_NODE_TIMEOUT_MS: "1500",
        NODE_ID: `chaos-${i}`,
        DEBUG: "",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    nodes[i] = child;
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("demo on")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`node ${i} exited (${code}) while starting`)));
    });
    child.stdout!.resume();
  };
  const stopNode = async (i: number, signal: NodeJS.Signals) => {
    const child = nodes[i]!;
    const exited = once(child, "exit");
    child.kill(signal);
    await exited;
    nodes[i] = undefined;
  };
  for (let i = 0; i < 3; i++) await startNode(i);
  const proxy = await RoundRobinProxy.start(ports.map((port) => ({ host: "127.0.0.1", port })));
  const players: Player[] = [];
  let sending = true;
  try {
    for (let n = 0; n < options.perKind; n++) {
      for (const kind of KINDS) players.push(await join(players.length, kind, proxy.url));
    }
    const total = players.length;
    log(`${total} clients connected through ${proxy.url}`);
    const began = performance.now();
    const loops = players.flatMap((player) => [
      (async () => {
        while (sending) {
          const text = `chaos ${player.index} ${player.said}`;
          try {
            await player.client.say(text);
            player.saidAt.push(Math.round(performance.now() - began));
            player.said++;
          } catch (error) {
            player.sayFailures.push(`${player.kind}#${player.index}: ${describe(error)}`);
          }
          await pause(options.sayEveryMs);
        }
      })(),
      (async () => {
        while (sending) {
          try {
            const reply = await player.client.action("incrementTest", { key: `k${player.index}` });
            player.values.push(Number(reply.value));
          } catch (error) {
            if (error instanceof RequestError && error.code === "ERR_OUTCOME_UNKNOWN") {
              player.unknown.push(player.values.length);
            } else player.errors.push(`${player.kind}#${player.index}: ${describe(error)}`);
          }
          await pause(options.incrementEveryMs);
        }
      })(),
    ]);
    const step = options.durationMs / 6;
    const fault = async (what: string, act: () => Promise<void>) => {
      await pause(step);
      faults.push(`${Math.round(performance.now() - began)} ms: ${what}`);
      log(`fault: ${what}`);
      await act();
    };
    await fault("every connection dropped at once", () => proxy.dropAll());
    await fault("node 0 stopped (SIGTERM) and started again", async () => {
      await stopNode(0, "SIGTERM");
      await startNode(0);
    });
    await fault("node 1 killed (SIGKILL) and started again", async () => {
      await stopNode(1, "SIGKILL");
      await startNode(1);
    });
    await fault(`the network cut for ${options.cutMs} ms`, () => proxy.cut(options.cutMs));
    await fault("node 2 stopped (SIGTERM) and started again", async () => {
      await stopNode(2, "SIGTERM");
      await startNode(2);
    });
    await pause(step);
    sending = false;
    await Promise.all(loops);
    const settledAt = performance.now();
    // Every client hears every other's messages: wait for the stragglers (replays, refills).
    const complete = () =>
      players.every((p) =>
        players.every((q) => q === p || (p.heard.get(q.index)?.length ?? 0) >= q.said),
      );
    const deadline = performance.now() + 20_000;
    while (!complete() && performance.now() < deadline) await pause(100);
    const settledMs = Math.round(performance.now() - settledAt);
    return report(players, faults, settledMs, began);
  } finally {
    sending = false;
    for (const player of players) player.client.disconnect();
    await proxy.close();
    for (let i = 0; i < 3; i++) if (nodes[i] !== undefined) await stopNode(i, "SIGTERM");
    await redis.stop();
  }
}

async function join(index: number, kind: Kind, url: string): Promise<Player> {
  const transport = kind === "faye-lp" ? "faye" : kind;
  const client = createClient({
    url,
    transport,
    reconnectDelayMs: 100,
    maxReconnectDelayMs: 1_000,
    ...(kind === "faye-lp" ? { faye: { disable: ["websocket"] } } : {}),
    ...(kind === "socketio" ? { socketio: { transports: ["websocket"] } } : {}),
  } as Parameters<typeof createClient>[0]);
  const player: Player = {
    index,
    kind,
    client,
    id: "",
    said: 0,
    saidAt: [],
    heard: new Map(),
    heardSelf: 0,
    sayFailures: [],
    values: [],
    unknown: [],
    errors: [],
    resumed: [],
    resumedAt: [],
  };
  const details = await client.connect();
  player.id = String(details.id);
  client.on("resumed", (info) => {
    player.resumed.push(info);
    player.resumedAt.push(performance.now());
  });
  client.on("error", () => undefined);
  client.on("say", (push) => {
    const match = /^chaos (\d+) (\d+)$/.exec(String(push.message));
    if (match === null) return;
    const from = Number(match[1]);
    if (from === index) player.heardSelf++;
    const heard = player.heard.get(from) ?? [];
    heard.push(Number(match[2]));
    player.heard.set(from, heard);
  });
  return player;
}

function report(
  players: readonly Player[],
  faults: string[],
  settledMs: number,
  began: number,
): ChaosReport {
  let expected = 0;
  let delivered = 0;
  let lost = 0;
  const lostDetail: string[] = [];
  let duplicated = 0;
  let outOfOrder = 0;
  for (const p of players) {
    for (const q of players) {
      if (p === q) continue;
      expected += q.said;
      const heard = p.heard.get(q.index) ?? [];
      delivered += heard.length;
      const seen = new Set<number>();
      let last = -1;
      for (const n of heard) {
        if (seen.has(n)) duplicated++;
        else if (n < last) outOfOrder++;
        seen.add(n);
        last = Math.max(last, n);
      }
      for (let n = 0; n < q.said; n++) {
        if (seen.has(n)) continue;
        lost++;
        if (lostDetail.length < 20)
          lostDetail.push(
            `${p.kind}#${p.index} missed ${q.kind}#${q.index}'s ${n} (said at ${q.saidAt[n]} ms;` +
              ` ${p.kind}#${p.index} resumed at ${p.resumedAt.map((t) => Math.round(t - began)).join(", ")} ms,` +
              ` ${q.kind}#${q.index} at ${q.resumedAt.map((t) => Math.round(t - began)).join(", ")} ms)`,
          );
      }
    }
  }
  const notRecovered: string[] = [];
  let resumes = 0;
  let idChanged = 0;
  for (const p of players) {
    for (const info of p.resumed) {
      resumes++;
      if (info.recovered !== true)
        notRecovered.push(`${p.kind}#${p.index}: ${JSON.stringify(info)}`);
    }
    if (String(p.client.details.id) !== p.id) idChanged++;
  }
  const counterErrors: string[] = [];
  for (const p of players) {
    // Values run 1, 2, 3…; a gap only where a call ended with ERR_OUTCOME_UNKNOWN.
    let expectedNext = 1;
    let gaps = p.unknown.length;
    for (const value of p.values) {
      while (value > expectedNext && gaps > 0) {
        expectedNext++;
        gaps--;
      }
      if (value !== expectedNext)
        counterErrors.push(`${p.kind}#${p.index}: got ${value}, expected ${expectedNext}`);
      expectedNext = value + 1;
    }
  }
  return {
    clients: players.length,
    said: players.reduce((sum, p) => sum + p.said, 0),
    expected,
    delivered,
    lost,
    lostDetail,
    duplicated,
    outOfOrder,
    heardSelf: players.reduce((sum, p) => sum + p.heardSelf, 0),
    sayFailures: players.flatMap((p) => p.sayFailures),
    idChanged,
    resumes,
    notRecovered,
    neverResumed: players.filter((p) => p.resumed.length === 0).map((p) => `${p.kind}#${p.index}`),
    increments: players.reduce((sum, p) => sum + p.values.length, 0),
    outcomeUnknown: players.reduce((sum, p) => sum + p.unknown.length, 0),
    counterErrors,
    otherErrors: players.flatMap((p) => p.errors),
    faults,
    settledMs,
  };
}

function describe(error: unknown): string {
  return error instanceof RequestError ? `${error.code} ${error.message}` : String(error);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
