import type { ActionDocumentation } from "../core/actions/action-registry.js";
import type { ConnectionDetails } from "../core/connection.js";

/** The fields every reply carries (PROTOCOL.md, "Server → client"). */
export type ResponseFields = {
  context: "response";
  /** The connection's message count when the request arrived. */
  messageCount: number;
  /** The request's `messageId`, echoed. */
  messageId?: string | number;
};

/** A reply to an action: the action's own result, flat, in the response envelope. */
export type ActionReply<R = Record<string, unknown>> = ResponseFields & R;

/** A reply to a verb other than `action`: `status: "OK"` and, for some verbs, `data`. */
export type VerbReply<D = undefined> = ResponseFields & { status: "OK" } & ([D] extends [undefined]
    ? unknown
    : { data: D });

/** What `roomView` replies with in `data`. */
export type RoomView = { room: string; members: string[]; membersCount: number };

/** What each verb the client has a method for replies with in `data`. */
export interface VerbReplies {
  say: VerbReply;
  setIP: VerbReply;
  roomView: VerbReply<RoomView>;
  roomChange: VerbReply<{ room: string; position?: { epoch: string; offset: number } }>;
  listenToRoom: VerbReply<{ room: string; position?: { epoch: string; offset: number } }>;
  silenceRoom: VerbReply<{ room: string }>;
  detailsView: VerbReply<ConnectionDetails>;
  documentation: VerbReply<ActionDocumentation[]>;
}
