import { ActionwireError } from "./errors.js";
import { emptyRecord } from "./record.js";

/** What a client names a request by (PROTOCOL.md, "Client → server"). */
export type MessageId = string | number;

/** A client request after framing has been removed (PROTOCOL.md, "Client → server"). */
export interface InboundRequest {
  event: string;
  params: Record<string, unknown>;
  messageId?: MessageId;
  /**
   * The `messageId`s of earlier requests whose replies the client received (docs/protocol.md,
   * "Acknowledging replies"): a session forgets their recorded replies.
   */
  ack?: readonly MessageId[];
}

/** The most `messageId`s one request may acknowledge. */
export const MAX_ACKS = 64;

/**
 * Checks a decoded request and returns it in canonical form, or throws `ERR_BAD_MESSAGE`.
 * `maxDepth` counts objects and arrays, the request itself being level 1; `shallow` says the
 * caller knows the value cannot be deeper (it skips the walk).
 */
export function toInboundRequest(
  value: unknown,
  maxDepth: number,
  shallow = false,
): InboundRequest {
  if (!isPlainObject(value)) throw bad("a request must be a JSON object");
  if (!shallow && exceedsDepth(value, maxDepth)) {
    throw bad(`nesting deeper than ${maxDepth} levels`);
  }
  const { event, params, messageId, ack } = value;
  if (typeof event !== "string" || event.length === 0) {
    throw bad("event must be a non-empty string");
  }
  if (params !== undefined && params !== null && !isPlainObject(params)) {
    throw bad("params must be an object");
  }
  const request: InboundRequest = { event, params: toParams(params) };
  if (messageId !== undefined && messageId !== null) {
    if (isMessageId(messageId)) {
      request.messageId = messageId as MessageId;
    } else {
      throw bad("messageId must be a string or a finite number");
    }
  }
  if (ack !== undefined && ack !== null) request.ack = toAcks(ack);
  return request;
}

/** A request's `ack`: at most {@link MAX_ACKS} message ids, else `ERR_BAD_MESSAGE`. */
export function toAcks(ack: unknown): readonly MessageId[] {
  if (!Array.isArray(ack) || ack.length > MAX_ACKS || !ack.every(isMessageId)) {
    throw bad(`ack must be an array of at most ${MAX_ACKS} messageIds`);
  }
  return ack as readonly MessageId[];
}

function isMessageId(value: unknown): boolean {
  return typeof value === "string" || (typeof value === "number" && isFinite(value));
}

/** Parses a text frame into a request; every failure is `ERR_BAD_MESSAGE`. */
export function parseInboundText(text: string, maxDepth: number): InboundRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad("the message is not valid JSON");
  }
  // JSON nested n levels deep takes at least 2n characters: short text needs no depth walk.
  return toInboundRequest(value, maxDepth, text.length <= 2 * maxDepth);
}

/** Params as a copy that inherits no keys ({@link emptyRecord}): `__proto__` and the like stay plain data. */
export function toParams(params: unknown): Record<string, unknown> {
  const out = emptyRecord();
  if (isPlainObject(params)) {
    for (const key of Object.keys(params)) out[key] = params[key];
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bad(reason: string): ActionwireError {
  return new ActionwireError("ERR_BAD_MESSAGE", `bad message: ${reason}`);
}

/**
 * Iterative, so a hostile nesting depth cannot overflow the stack. The values still to visit and
 * their depths are kept in two arrays, and objects are walked with `for…in`: no array or pair is
 * made per value (it runs for every decoded request; docs/performance.md has the figures).
 */
function exceedsDepth(root: object, maxDepth: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth > maxDepth) return true;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child: unknown = value[i];
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in value) {
        const child: unknown = (value as Record<string, unknown>)[key];
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
