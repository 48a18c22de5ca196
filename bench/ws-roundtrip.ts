/**
 * Action round trip over ws: actionwire's `echo` action beside a bare `ws` echo server doing
 * the same job (parse the request, answer with a JSON reply carrying the messageId), in the
 * same run. Servers run in this process; the client load runs in a child process.
 *
 *   node build/bench/ws-roundtrip.js [clients=10] [seconds=3]
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WebSocket, WebSocketServer } from "ws";
import { demoActions } from "../src/demo/demo-actions.js";
import { createServer } from "../src/server/actionwire-server.js";

interface LoadResult {
  replies: number;
  seconds: number;
  p50: number;
  p99: number;
}

const role = process.argv[2];

if (role === "--load") {
  await load(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
} else {
  const clients = Number(process.argv[2] ?? 10);
  const seconds = Number(process.argv[3] ?? 3);
  const bare = await bareServer();
  const bareResult = await runLoad(`ws://127.0.0.1:${bare.port}/ws`, clients, seconds);
  await bare.close();

  const server: ReturnType<typeof createServer> = createServer({
    transports: ["ws"],
    port: 0,
    host: "127.0.0.1",
    defaultRoom: null, // no room notices: the bare server has no rooms either
    limits: { rate: 1_000_000, maxPendingActions: 1000 },
    actions: demoActions({ nodeId: "bench", connectionCounts: () => server.connectionCounts() }),
  });
  await server.start();
  const awResult = await runLoad(`${server.url.replace("http", "ws")}/ws`, clients, seconds);
  await server.stop();

  const rate = (r: LoadResult) => Math.round(r.replies / r.seconds);
  console.log(`clients=${clients} seconds=${seconds}`);
  console.log(
    `bare ws     ${rate(bareResult)} replies/s  p50 ${bareResult.p50.toFixed(2)} ms  p99 ${bareResult.p99.toFixed(2)} ms`,
  );
  console.log(
    `actionwire  ${rate(awResult)} replies/s  p50 ${awResult.p50.toFixed(2)} ms  p99 ${awResult.p99.toFixed(2)} ms`,
  );
  console.log(`ratio (actionwire / bare ws): ${(rate(awResult) / rate(bareResult)).toFixed(3)}`);
}

async function bareServer(): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/ws" });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (socket) => {
    let count = 0;
    socket.send(JSON.stringify({ context: "api", welcome: "hi", room: null }));
    socket.on("message", (data) => {
      count++;
      const request = JSON.parse(String(data)) as {
        params: Record<string, unknown>;
        messageId: unknown;
      };
      const { action: _action, ...params } = request.params;
      socket.send(
        JSON.stringify({
          context: "response",
          messageCount: count,
          messageId: request.messageId,
          echo: params,
        }),
      );
    });
  });
  const { port } = wss.address() as { port: number };
  return { port, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

function runLoad(url: string, clients: number, seconds: number): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), [
    "--load",
    url,
    String(clients),
    String(seconds),
  ]);
  return new Promise((resolve, reject) => {
    child.once("message", (result) => resolve(result as LoadResult));
    child.once("error", reject);
  });
}

/** The client side: each client sends one request, awaits its reply, repeats until time is up. */
async function load(url: string, clients: number, seconds: number): Promise<void> {
  const latencies: number[] = [];
  let replies = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const socket = new WebSocket(url);
      await new Promise((resolve) => socket.once("message", resolve)); // the welcome
      let id = 0;
      let sentAt = 0;
      await new Promise<void>((resolve) => {
        const send = () => {
          if (performance.now() >= end) {
            socket.close();
            resolve();
            return;
          }
          sentAt = performance.now();
          socket.send(
            JSON.stringify({ event: "action", params: { action: "echo", n: id }, messageId: ++id }),
          );
        };
        socket.on("message", (data) => {
          if ((JSON.parse(String(data)) as { context: string }).context !== "response") return;
          latencies.push(performance.now() - sentAt);
          replies++;
          send();
        });
        send();
      });
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const result: LoadResult = {
    replies,
    seconds: (performance.now() - started) / 1000,
    p50: at(0.5),
    p99: at(0.99),
  };
  process.send!(result);
  process.exit(0);
}
