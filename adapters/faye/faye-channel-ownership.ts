import type { Message } from "faye";
import { inChannel, OUT_CHANNEL_PREFIX, outChannel } from "./faye-channels.js";

/**
 * What the ownership rules make of one message a client sent (docs/transports.md, "faye
 * channel security"). A client owns exactly two channels, its out channel (it may subscribe to
 * it) and its in channel (it may publish to it); everything else is refused, so faye is never a
 * relay between clients.
 */
export type IncomingVerdict =
  /** faye's own checks apply: not a message object, an allowed subscribe, other `/meta/*`. */
  | { readonly kind: "pass" }
  /** A `/meta/handshake`: the bounds on sessions without a connection decide. */
  | { readonly kind: "handshake" }
  /** A `/meta/connect` naming a session: the client is still polling. */
  | { readonly kind: "connect"; readonly clientId: string }
  /**
   * A publish to the client's own in channel: a request, if the session has a connection
   * (otherwise refuse it with {@link subscribeFirst}).
   */
  | { readonly kind: "request"; readonly clientId: string }
  /** Refused: set `error` (a Bayeux error) on the message. */
  | { readonly kind: "refuse"; readonly error: string };

/**
 * Applies the ownership rules to a message a client sent. `overHttp` is whether faye passed an
 * HTTP request with it: faye passes none only for its in-process client, which the adapter never
 * makes, so such a message is refused like any other that breaks the rules.
 */
export function incomingVerdict(message: Message, overHttp: boolean): IncomingVerdict {
  // A batch entry that is not an object (`[1]`) passes: faye answers it as an invalid message.
  if (typeof message !== "object" || message === null) return PASS;
  const { channel, clientId } = message;
  if (!overHttp) return refuse(forbidden(channel));
  if (channel === "/meta/handshake") return { kind: "handshake" };
  if (channel === "/meta/connect") {
    return typeof clientId === "string" ? { kind: "connect", clientId } : PASS;
  }
  if (channel === "/meta/subscribe") {
    return ownsSubscription(message) ? PASS : refuse(forbidden(message.subscription));
  }
  // unsubscribe, disconnect: faye's own checks apply; each names a clientId, which no client
  // ever learns about another.
  if (typeof channel === "string" && channel.startsWith("/meta/")) return PASS;
  if (typeof clientId !== "string" || channel !== inChannel(clientId)) {
    return refuse(forbidden(channel));
  }
  return { kind: "request", clientId };
}

/** The refusal of a publish to a client's own in channel while it has no connection. */
export function subscribeFirst(clientId: string): string {
  return `403:${inChannel(clientId)}:Subscribe to your out channel first`;
}

/** What a message faye sends to a client says about the client's own out channel. */
export type OutgoingEvent =
  /** A message delivered on the client's out channel. */
  | { readonly kind: "delivered"; readonly clientId: string }
  /** A confirmed subscription to its out channel: it now has a connection. */
  | { readonly kind: "subscribed"; readonly clientId: string }
  /** A confirmed unsubscription from its out channel: its connection ends. */
  | { readonly kind: "unsubscribed"; readonly clientId: string };

/** Reads a message faye sends to a client; `undefined` when it is none of {@link OutgoingEvent}. */
export function outgoingEvent(message: Message): OutgoingEvent | undefined {
  const { channel, clientId } = message;
  if (typeof channel !== "string") return undefined;
  if (channel.startsWith(OUT_CHANNEL_PREFIX) && message.data !== undefined) {
    return { kind: "delivered", clientId: channel.slice(OUT_CHANNEL_PREFIX.length) };
  }
  if (message.successful !== true || typeof clientId !== "string") return undefined;
  if (!channels(message.subscription).includes(outChannel(clientId))) return undefined;
  if (channel === "/meta/subscribe") return { kind: "subscribed", clientId };
  if (channel === "/meta/unsubscribe") return { kind: "unsubscribed", clientId };
  return undefined;
}

const PASS: IncomingVerdict = { kind: "pass" };

function refuse(error: string): IncomingVerdict {
  return { kind: "refuse", error };
}

/** A subscribe is allowed only to exactly the client's own out channel. */
function ownsSubscription(message: Message): boolean {
  const { clientId } = message;
  if (typeof clientId !== "string" || clientId === "") return false;
  const wanted = channels(message.subscription);
  return wanted.length > 0 && wanted.every((channel) => channel === outChannel(clientId));
}

function channels(subscription: unknown): unknown[] {
  return Array.isArray(subscription) ? subscription : [subscription];
}

/** A Bayeux error in faye's `code:args:message` form. */
function forbidden(channel: unknown): string {
  const named = channels(channel)
    .map((c) => (typeof c === "string" ? c : ""))
    .join(",");
  return `403:${named}:Forbidden channel`;
}
