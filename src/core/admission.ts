import type { ResolvedConfig } from "./config.js";
import type { Connection } from "./connection.js";
import type { ConnectionTable } from "./connection-table.js";
import { ActionwireError } from "./errors.js";
import type { Logger } from "./logger.js";
import { PreparedMessage } from "./prepared-message.js";
import type { RoomManager } from "./rooms/room-manager.js";

/**
 * Lets new connections in: the connection limits (per node, per address), then
 * `config.authenticate`, then the welcome, then the default room. Either check may turn a
 * connection away with a coded goodbye; its requests wait until admission is over.
 */
export class Admission {
  /** Open connections per remote address (for `limits.maxConnectionsPerIP`). */
  readonly #perIP = new Map<string, number>();

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly table: ConnectionTable,
    private readonly rooms: RoomManager,
  ) {}

  /**
   * Counts a new connection (already in the table) and admits it once the current task is over,
   * so that the transport that accepted it can first keep its socket under `connection.id`.
   */
  admit(connection: Connection): Promise<boolean> {
    const fromIP = (this.#perIP.get(connection.remoteIP) ?? 0) + 1;
    this.#perIP.set(connection.remoteIP, fromIP);
    // Counted now: the connections accepted in the same task must not count each other.
    const { maxConnections, maxConnectionsPerIP } = this.config.limits;
    const over =
      this.table.size > maxConnections || (maxConnectionsPerIP > 0 && fromIP > maxConnectionsPerIP);
    const admitted = Promise.resolve()
      .then(() => this.enter(connection, over))
      .finally(() => (connection.admission = undefined));
    connection.admission = admitted;
    return admitted;
  }

  /** The connection is gone: its address counts one less. */
  release(connection: Connection): void {
    const fromIP = (this.#perIP.get(connection.remoteIP) ?? 1) - 1;
    if (fromIP === 0) this.#perIP.delete(connection.remoteIP);
    else this.#perIP.set(connection.remoteIP, fromIP);
  }

  /**
   * `config.authenticate` for any caller: `true` or an identity (merged into
   * `connection.data`) accepts; anything else, or a throw, refuses.
   */
  async judge(connection: Connection): Promise<{ accepted: boolean; message: string }> {
    const authenticate = this.config.authenticate;
    if (authenticate === undefined) return { accepted: true, message: "" };
    let verdict: unknown;
    let message = "not authorized to connect";
    try {
      verdict = await authenticate(connection);
    } catch (error) {
      if (error instanceof ActionwireError) message = error.message;
      else this.logger.error("authenticate threw", { error: String(error) });
      verdict = false;
    }
    if (typeof verdict === "object" && verdict !== null && !Array.isArray(verdict)) {
      Object.assign(connection.data, verdict);
      return { accepted: true, message };
    }
    return { accepted: verdict === true, message };
  }

  /**
   * The default room is authorized like any other join; refused, the connection starts in no
   * room (the welcome says `room: null`). A refused connection's only message is a goodbye with
   * a code (no welcome), so a client can tell a refusal from a network failure and not
   * reconnect in a loop.
   */
  /** `true` once the connection is welcomed and in its default room; `false`: turned away. */
  private async enter(connection: Connection, overLimits: boolean): Promise<boolean> {
    if (connection.state !== "opening") return false;
    if (overLimits) {
      this.table.close(connection, "too many connections", {
        code: "ERR_TOO_MANY_CONNECTIONS",
        error: "too many connections",
      });
      return false;
    }
    const { accepted, message } = await this.judge(connection);
    if (!accepted) {
      this.table.close(connection, "not authorized", {
        code: "ERR_NOT_AUTHORIZED",
        error: message,
      });
      return false;
    }
    let room = this.config.defaultRoom;
    if (room !== null) {
      try {
        await this.rooms.authorize("join", connection, room);
      } catch (error) {
        // Refused, or the hook failed: either way the connection starts in no room.
        if (!(error instanceof ActionwireError)) {
          this.logger.error("authorizing the default room failed", { error: String(error) });
        }
        room = null;
      }
    }
    // Its transport may have let it go while the hooks ran.
    if (connection.state !== "opening") return false;
    connection.state = "open";
    const welcome = { context: "api" as const, welcome: this.config.welcomeMessage, room };
    this.table.sendTo(connection.id, PreparedMessage.fromPayload(welcome));
    if (room !== null) await this.rooms.join(connection, room);
    return true;
  }
}
