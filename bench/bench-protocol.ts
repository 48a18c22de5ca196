/**
 * What the bench's servers and clients agree on: the transports, the dialects, the room and the
 * markers that tell pushes apart. Its own file so that a load process loads no server library
 * and a server process no client library.
 */

/** A transport actionwire and a bare library both serve. */
export type Transport = "ws" | "socketio" | "faye";
/**
 * Which dialect a client speaks: actionwire's version 1 (no hello, no session), actionwire's
 * with a session (it announces and says a hello, as the project's client does with resume on,
 * sends a messageId with every request and acknowledges the replies it got in the next one), or
 * the bare server's.
 */
export type Flavour = "actionwire" | "session" | "bare";

/** The room every fan-out client is in (actionwire: the default room). */
export const BENCH_ROOM = "bench";
/** The faye channel the bare faye clients share as their room. */
export const BARE_FAYE_ROOM = "/bench/room";
/** An entered notice's text (actionwire's, copied by the bare ws server). */
export const ENTERED = "I have entered the room";
/** Marker that tells a chat push apart from other frames on ws without parsing it. */
export const SAY_MARKER = "fanout-";
