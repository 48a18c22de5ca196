import type { ResolvedConfig } from "./config.js";
import type { Connection } from "./connection.js";
import type { ConnectionTable } from "./connection-table.js";
import { ActionwireError } from "./errors.js";
import type { Logger } from "./logger.js";
import { PreparedMessage } from "./prepared-message.js";
import type { RoomManager } from "./rooms/room-manager.js";
import type { RoomPosition } from "./rooms/room-position.js";
import { parseHello, type Hello } from "./sessions/hello.js";
import type { SessionStart, Sessions } from "./sessions/sessions.js";
import type { WelcomePush } from "./server-pushes.js";

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
    private readonly sessions: Sessions,
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
  async judge(
    connection: Connection,
  ): Promise<{ accepted: boolean; message: string; identity?: unknown }> {
    const authenticate = this.config.authenticate;
    if (authenticate === undefined) return { accepted: true, message: "", identity: true };
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
      return { accepted: true, message, identity: verdict };
    }
    return { accepted: verdict === true, message, identity: verdict };
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
    let hello: Hello | undefined;
    if (connection.hello !== undefined) {
      hello = await this.hello(connection);
      if (hello === undefined) return false;
    }
    const { accepted, message, identity } = await this.judge(connection);
    if (!accepted) {
      this.table.close(connection, "not authorized", {
        code: "ERR_NOT_AUTHORIZED",
        error: message,
      });
      return false;
    }
    let session: SessionStart | undefined;
    if (hello !== undefined && connection.state === "opening") {
      session = await this.sessions.start(connection, hello, identity);
    }
    await this.register(connection);
    if (session?.resumed === true) {
      // The session's own room and listens are back (restored by its start).
      if (connection.state !== "opening") return false;
      connection.state = "open";
      // The welcome and what the session missed leave together (one write where they can).
      const welcome = this.#welcomeMessage(connection, connection.room, session);
      this.table.sendSeriesTo(connection.id, [welcome, ...session.replay()]);
      return true;
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
    // The session exists before its welcome: an alert sent to it right after is kept.
    if (session !== undefined) await this.sessions.save(connection);
    const position =
      room === null || session === undefined
        ? undefined
        : await this.rooms.position(connection, room);
    if (connection.state !== "opening") return false;
    connection.state = "open";
    this.#welcome(connection, room, session, position);
    if (room !== null) await this.rooms.join(connection, room);
    if (session !== undefined) this.sessions.changed(connection);
    return true;
  }

  /** Makes the cluster know the connection lives here, under its final id. */
  private async register(connection: Connection): Promise<void> {
    connection.registered = true;
    await this.onRegister(connection);
  }

  /** Set by the dispatcher: tells the bus a connection lives on this node. */
  onRegister: (connection: Connection) => Promise<void> = async () => undefined;

  /**
   * Waits for the hello the connection announced: `undefined` (and the connection closed) if
   * its first frame is something else, it is malformed, or it does not come in time.
   */
  private async hello(connection: Connection): Promise<Hello | undefined> {
    const waiting = connection.hello!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.config.resume.helloTimeoutMs);
    });
    const params = await Promise.race([waiting.received, timeout]);
    clearTimeout(timer);
    connection.hello = undefined;
    if (connection.state !== "opening") return undefined;
    if (params === "timeout") {
      this.table.close(connection, "timeout");
      return undefined;
    }
    try {
      if (params === undefined)
        throw new ActionwireError(
          "ERR_BAD_MESSAGE",
          "bad hello: the first message must be a hello",
        );
      const hello = parseHello(params, this.config.limits);
      connection.auth = hello.auth;
      return hello;
    } catch (error) {
      const text = error instanceof ActionwireError ? error.message : "bad hello";
      this.table.close(connection, "bad hello", { code: "ERR_BAD_MESSAGE", error: text });
      return undefined;
    }
  }

  /** Sends the welcome push (see {@link #welcomeMessage}). */
  #welcome(
    connection: Connection,
    room: string | null,
    session: SessionStart | undefined,
    position?: RoomPosition,
  ): void {
    this.table.sendTo(connection.id, this.#welcomeMessage(connection, room, session, position));
  }

  /** The welcome push: with the connection's id and its session, for a client that said hello. */
  #welcomeMessage(
    connection: Connection,
    room: string | null,
    session: SessionStart | undefined,
    position?: RoomPosition,
  ): PreparedMessage {
    const welcome: WelcomePush = { context: "api", welcome: this.config.welcomeMessage, room };
    if (session !== undefined) {
      welcome.id = connection.id;
      welcome.session = session.welcome;
      if (position !== undefined) welcome.position = position;
    }
    return PreparedMessage.fromPayload(welcome);
  }
}
