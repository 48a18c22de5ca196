import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClusterBus } from "../core/cluster-bus.js";
import type { ResolvedConfig } from "../core/config.js";
import type { RequestRouter } from "../core/request-router.js";
import { sendJson as send } from "./http-replies.js";

/** Where a server is in its life, as the readiness check sees it. */
export type ServerState = "new" | "starting" | "running" | "stopping" | "stopped";

/**
 * The health endpoints (`config.health`): liveness says the process answers HTTP; readiness
 * says the server takes work: it has started, is not stopping, and reaches the cluster's Redis
 * when it has one. A load balancer (or Kubernetes) stops sending new clients as soon as a
 * graceful stop begins, while connections are still being drained.
 */
export class HealthChecks {
  readonly #startedAt = Date.now();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly state: () => ServerState,
    private readonly bus: ClusterBus,
  ) {}

  /** Claims the two paths on the server's request router. */
  attach(requests: RequestRouter): void {
    const { livenessPath, readinessPath } = this.config.health;
    requests.add(livenessPath, (request, response) => {
      if (!allowed(request, response)) return;
      send(response, 200, {
        status: "ok",
        nodeId: this.config.nodeId,
        uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      });
    });
    requests.add(readinessPath, (request, response) => {
      if (!allowed(request, response)) return;
      this.#ready().then(
        ({ ready, ...body }) => send(response, ready ? 200 : 503, body),
        (error: unknown) => send(response, 503, { status: "error", error: String(error) }),
      );
    });
  }

  async #ready(): Promise<{ ready: boolean; status: string; nodeId: string; redis?: string }> {
    const nodeId = this.config.nodeId;
    const state = this.state();
    if (state !== "running") return { ready: false, status: state, nodeId };
    if (this.bus.status === undefined) return { ready: true, status: "ready", nodeId };
    const { reachable } = await this.bus.status();
    // The state is read again: a stop may have begun while Redis was asked.
    const now = this.state();
    if (now !== "running") return { ready: false, status: now, nodeId };
    return reachable
      ? { ready: true, status: "ready", nodeId, redis: "reachable" }
      : { ready: false, status: "unready", nodeId, redis: "unreachable" };
  }
}

function allowed(request: IncomingMessage, response: ServerResponse): boolean {
  if (request.method === "GET" || request.method === "HEAD") return true;
  response.setHeader("allow", "GET, HEAD");
  send(response, 405, { status: "error", error: "use GET or HEAD" });
  return false;
}
