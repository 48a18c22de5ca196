import type { ActionRegistry } from "./actions/action-registry.js";
import type { ActionRunner } from "./actions/action-runner.js";
import type { ResolvedConfig } from "./config.js";
import { Connection } from "./connection.js";
import { ActionwireError } from "./errors.js";
import { inRequestSpan } from "./instrumentation.js";
import { isMissing } from "./is-missing.js";
import type { ServerMessage } from "./prepared-message.js";
import type { RoomManager } from "./rooms/room-manager.js";
import type { RoomPosition } from "./rooms/room-position.js";
import {
  MAX_ROOM_LENGTH,
  QUIT_VERBS,
  VERB_PARAMS,
  VERBS,
  type Verb,
  type VerbParam,
  type VerbParams,
} from "./verbs.js";

/** What a verb's handler works with. */
export interface VerbContext {
  readonly config: ResolvedConfig;
  readonly rooms: RoomManager;
  readonly actions: ActionRegistry;
  readonly runner: ActionRunner;
}

/** A verb's reply fields (merged into the response envelope); `undefined`: none. */
export type VerbReply = Omit<ServerMessage, "context"> | undefined;

/** The verbs a handler answers: the quit verbs end the connection instead. */
export type AnsweredVerb = Exclude<Verb, "quit" | "exit" | "close">;

type Handler<V extends AnsweredVerb> = (
  context: VerbContext,
  connection: Connection,
  params: VerbParams<V>,
  /** Every param of the request, declared or not (an action's inputs). */
  request: Record<string, unknown>,
) => VerbReply | Promise<VerbReply>;

/**
 * What each verb does (PROTOCOL.md, "Client → server"), with its params already checked
 * against {@link VERB_PARAMS}.
 */
export const VERB_HANDLERS: { readonly [V in AnsweredVerb]: Handler<V> } = {
  action: ({ runner }, connection, _params, request) => runner.run(connection, request, connection),
  say: ({ config, rooms }, connection, { message }, request) => {
    if (message.length > config.limits.maxSayLength) {
      throw new ActionwireError(
        "ERR_INVALID_PARAM",
        `message is not valid: longer than ${config.limits.maxSayLength} characters`,
      );
    }
    const say = () => rooms.say(connection, message, connection.requestTag);
    return inRequestSpan(config.nodeId, "say", connection, request.traceparent, say).then(() =>
      ok(),
    );
  },
  roomView: ({ rooms }, connection) => rooms.view(connection).then(ok),
  roomChange: ({ rooms }, connection, { room }) =>
    rooms.change(connection, room).then((position) => ok(positioned(room, position))),
  listenToRoom: ({ rooms }, connection, { room }) =>
    rooms.listen(connection, room).then((position) => ok(positioned(room, position))),
  silenceRoom: ({ rooms }, connection, { room }) =>
    rooms.silence(connection, room).then(() => ok({ room })),
  detailsView: (_context, connection) => ok(connection.details()),
  setIP: (_context, connection, { ip }) => {
    connection.claimedIP = ip;
    return ok();
  },
  paramAdd: ({ config }, connection, { key, value }) => {
    addParam(config, connection, key, value ?? null);
    return ok();
  },
  paramView: (_context, connection, { key }) =>
    ok(Object.hasOwn(connection.params, key) ? connection.params[key] : null),
  paramsView: (_context, connection) => ok({ ...connection.params }),
  paramDelete: (_context, connection, { key }) => {
    const params = connection.params;
    if (Object.hasOwn(params, key)) {
      connection.paramsSize = Math.max(
        0,
        connection.paramsSize - Connection.paramBytes(key, params[key]),
      );
      delete params[key];
    }
    return ok();
  },
  paramsDelete: (_context, connection) => {
    for (const key of Object.keys(connection.params)) delete connection.params[key];
    connection.paramsSize = 0;
    return ok();
  },
  documentation: ({ actions }) => ok(actions.documentation()),
};

/**
 * Checks a request's params against the verb's declaration: a required one missing (absent,
 * `null` or `""`) is `ERR_MISSING_PARAM`, one of the wrong kind `ERR_INVALID_PARAM`.
 */
export function checkParams<V extends Verb>(
  verb: V,
  params: Record<string, unknown>,
): VerbParams<V> {
  checkDeclared(VERB_PARAMS[verb], params);
  return params as VerbParams<V>;
}

/** A verb as the pipeline finds it: its declared params and its handler, in one lookup. */
export interface VerbEntry {
  readonly verb: Verb;
  readonly params: readonly VerbParam[];
  /** What it does; `undefined` for the quit verbs, which end the connection instead. */
  readonly handler:
    | ((
        context: VerbContext,
        connection: Connection,
        params: never,
        request: Record<string, unknown>,
      ) => VerbReply | Promise<VerbReply>)
    | undefined;
}

/** Every verb by name (a `Map`: a request's `event` is untrusted text, `__proto__` included). */
export const VERB_TABLE: ReadonlyMap<string, VerbEntry> = new Map(
  VERBS.map((verb) => [
    verb,
    {
      verb,
      params: VERB_PARAMS[verb],
      handler: QUIT_VERBS.has(verb) ? undefined : VERB_HANDLERS[verb as AnsweredVerb],
    },
  ]),
);

/** {@link checkParams} against a declaration already looked up. */
export function checkDeclared(
  declared: readonly VerbParam[],
  params: Record<string, unknown>,
): void {
  for (let i = 0; i < declared.length; i++) {
    const { name, kind, required } = declared[i]!;
    const value = params[name];
    if (isMissing(value)) {
      if (required)
        throw new ActionwireError("ERR_MISSING_PARAM", `${name} is a required parameter`);
      continue;
    }
    if (kind === "any") continue;
    if (typeof value !== "string") {
      throw new ActionwireError("ERR_INVALID_PARAM", `${name} is not valid: must be a string`);
    }
    if (kind === "room" && value.length > MAX_ROOM_LENGTH) {
      throw new ActionwireError(
        "ERR_INVALID_PARAM",
        `${name} is not valid: longer than ${MAX_ROOM_LENGTH} characters`,
      );
    }
  }
}

/** `paramAdd`: within `limits.maxParams` and `limits.maxParamsBytes`, or refused. */
function addParam(
  config: ResolvedConfig,
  connection: Connection,
  key: string,
  value: unknown,
): void {
  const { maxParams, maxParamsBytes } = config.limits;
  const params = connection.params;
  const had = Object.hasOwn(params, key);
  if (!had && Object.keys(params).length >= maxParams) {
    throw new ActionwireError(
      "ERR_LIMIT_EXCEEDED",
      `too many sticky params: limits.maxParams is ${maxParams}`,
    );
  }
  const before = had ? Connection.paramBytes(key, params[key]) : 0;
  const size = Math.max(0, connection.paramsSize - before) + Connection.paramBytes(key, value);
  if (size > maxParamsBytes) {
    throw new ActionwireError(
      "ERR_LIMIT_EXCEEDED",
      `sticky params too large: limits.maxParamsBytes is ${maxParamsBytes} bytes`,
    );
  }
  params[key] = value;
  connection.paramsSize = size;
}

/** A room verb's `data`: the room, and where its history stood (a session's connection). */
function positioned(room: string, position: RoomPosition | undefined): Record<string, unknown> {
  return position === undefined ? { room } : { room, position };
}

function ok(data?: unknown): VerbReply {
  return data === undefined ? { status: "OK" } : { status: "OK", data };
}
