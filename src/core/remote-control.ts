import type { ClusterBus, ConnectionCommand } from "./cluster-bus.js";
import type { ResolvedConfig } from "./config.js";
import type { SessionStore } from "./sessions/session-store.js";
import type { ConnectionTable, GoodbyeReason, Refusal } from "./connection-table.js";
import type { ErrorCode } from "./errors.js";
import { currentTrace } from "./instrumentation.js";
import { PreparedMessage } from "./prepared-message.js";
import type { AlertPush } from "./server-pushes.js";

/**
 * Server-side commands for one connection wherever it lives: an alert or a disconnect runs
 * here when this node holds the connection, and goes over the cluster bus to the node that
 * does otherwise.
 */
export class RemoteControl {
  constructor(
    private readonly table: ConnectionTable,
    private readonly bus: ClusterBus,
    private readonly sessions?: SessionStore,
    private readonly config?: Pick<ResolvedConfig, "resume">,
  ) {}

  /**
   * Runs a command on the connection's node; `false` if no live node holds the connection. An
   * alert to a connection with a session is first numbered and kept by the session (a resume
   * replays it), so it counts as sent even while no socket holds the session.
   */
  async send(command: ConnectionCommand): Promise<boolean> {
    if (command.kind === "alert" && this.sessions !== undefined && this.config?.resume.enabled) {
      const local = this.table.get(command.connectionId);
      if (local === undefined || local.session !== undefined) {
        const alert = { ...command.extra, context: "alert", message: command.message };
        const { maxAlerts, windowMs } = this.config.resume;
        const json = await this.sessions
          .alert(command.connectionId, alert, maxAlerts, windowMs)
          .catch(() => undefined);
        if (json !== undefined) {
          const numbered = { ...command, json };
          return (
            this.run(numbered) ||
            (await this.bus.command({ ...numbered, trace: currentTrace() })) ||
            true
          );
        }
      }
    }
    return this.run(command) || this.bus.command({ ...command, trace: currentTrace() });
  }

  /** Runs a command for a connection of this node (sent here by another node, or local). */
  run(command: ConnectionCommand): boolean {
    switch (command.kind) {
      case "alert":
        if (command.json !== undefined) return this.#sendJson(command.connectionId, command.json);
        return this.alert(command.connectionId, command.message, command.extra);
      case "disconnect":
        return this.disconnect(
          command.connectionId,
          command.reason as GoodbyeReason,
          command.code === undefined
            ? undefined
            : { code: command.code as ErrorCode, error: command.error ?? command.reason },
        );
      case "handover": {
        // Another node resumed this connection's session: its socket here goes, quietly.
        const connection = this.table.get(command.connectionId);
        if (connection === undefined) return false;
        this.table.handOver(connection, "remote");
        return true;
      }
    }
  }

  /** Pushes an alert (`context: "alert"`) to an open connection of this node. */
  alert(connectionId: string, message: string, extra: Record<string, unknown> = {}): boolean {
    const connection = this.table.get(connectionId);
    if (connection === undefined || !connection.open) return false;
    const alert: AlertPush = { ...extra, context: "alert", message };
    this.table.sendTo(connectionId, PreparedMessage.fromPayload(alert));
    return true;
  }

  #sendJson(connectionId: string, json: string): boolean {
    const connection = this.table.get(connectionId);
    if (connection === undefined || !connection.open) return false;
    this.table.sendTo(connectionId, PreparedMessage.fromJson(json));
    return true;
  }

  /**
   * Sends the goodbye push with `reason` (and the code and text of `coded`, if given), then
   * closes a connection of this node.
   */
  disconnect(
    connectionId: string,
    reason: GoodbyeReason = "disconnected by server",
    coded?: Refusal,
  ): boolean {
    const connection = this.table.get(connectionId);
    return connection !== undefined && this.table.close(connection, reason, coded);
  }
}
