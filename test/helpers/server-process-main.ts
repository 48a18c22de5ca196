// The server side of ServerProcess: a demo server in its own process, driven over IPC.
import "reflect-metadata";
import type { ActionwireConfig } from "../../src/core/config.js";
import { startDemoServer } from "../../src/testing/demo-server.js";
import type { ServerProcessMessage, ServerProcessRequest } from "./server-process.js";

const send = (message: ServerProcessMessage) => process.send?.(message);
const gc = (globalThis as { gc?: () => void }).gc;

const server = await startDemoServer(JSON.parse(process.argv[2] ?? "{}") as ActionwireConfig);
process.on("message", (request: ServerProcessRequest) => {
  if (request.kind === "figures") {
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    send({ kind: "figures", figures: { rss, heapUsed, connections: server.connectionCount } });
  } else {
    void server.stop().then(() => {
      send({ kind: "stopped" });
      process.disconnect();
    });
  }
});
send({ kind: "started", url: server.url });
