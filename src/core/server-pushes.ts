import type { GoodbyeReason } from "./connection-table.js";
import type { ErrorCode } from "./errors.js";
import type { WelcomeSession } from "./sessions/sessions.js";

/**
 * The welcome push (PROTOCOL.md, "Server → client"): the first message a connection receives,
 * once it is admitted.
 */
export type WelcomePush = {
  context: "api";
  /** `config.welcomeMessage`. */
  welcome: string;
  /** The room the connection starts in (`config.defaultRoom`), or `null`. */
  room: string | null;
  /** The connection's id, in the welcome to a client that said hello. */
  id?: string;
  /** The session, in the welcome to a client that said hello (docs/protocol.md). */
  session?: WelcomeSession;
  /** Where the room's history stood as a new session entered it (what it resumes from). */
  position?: { epoch: string; offset: number };
};

/**
 * A chat push: a room member's `say`, or the "I have entered the room" / "I have left the
 * room" notice of one who moved.
 */
export type ChatPush = {
  context: "user";
  message: string;
  /** The room it was said in (the current room, or one the connection listens to). */
  room: string;
  /** The sender's connection id. */
  from: string;
  /** When the server published it, in ms since the epoch. */
  sentAt: number;
  /** Its place in the room's history (with `epoch`), where the room keeps one: a resume names it. */
  offset?: number;
  /** The room history's epoch: a new one means the history before it is gone. */
  epoch?: string;
};

/**
 * An alert: pushed by an action (`context.alert`), an operator (`server.alert`) or another
 * node, with the sender's extra fields beside `message`.
 */
export type AlertPush = {
  context: "alert";
  message: string;
  /** Its number in the session's alerts, for a connection with a session: a resume names it. */
  seq?: number;
} & Record<string, unknown>;

/**
 * The goodbye push, the last message before the server closes a connection. A connection
 * turned away (by `authenticate` or a connection limit) also gets the refusal's `code` and
 * `error`.
 */
export type GoodbyePush = {
  context: "api";
  status: "Bye!";
  reason: GoodbyeReason;
  code?: ErrorCode;
  error?: string;
  /** At a server shutdown: when to come back, in ms (spread at random across clients). */
  reconnectAfterMs?: number;
};

/**
 * Every push the server sends, by the client event that carries it. The server builds each
 * push against its type here and the client types its events from the same entries, so a push
 * added later is typed the same way: its interface here, its event in the client's
 * `ClientEvents`.
 */
export interface ServerPushes {
  welcome: WelcomePush;
  say: ChatPush;
  alert: AlertPush;
  goodbye: GoodbyePush;
}
