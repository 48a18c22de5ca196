/**
 * One param a verb reads (PROTOCOL.md, "Client → server"). `string`: a non-empty string;
 * `room`: a room name, a string of at most {@link MAX_ROOM_LENGTH} characters; `any`: any
 * JSON value.
 */
export interface VerbParam {
  readonly name: string;
  readonly kind: "string" | "room" | "any";
  readonly required: boolean;
}

/** The longest room name a verb accepts, in characters. */
export const MAX_ROOM_LENGTH = 256;

const required = <const N extends string, const K extends VerbParam["kind"]>(name: N, kind: K) =>
  ({ name, kind, required: true }) as const;
const room = required("room", "room");
const key = required("key", "string");

/**
 * Every verb a client may send, with the params it reads, in order: the one declaration the
 * dispatcher checks requests against, the tcp line form reads its arguments by, and the
 * clients send by. `action` takes any params beside its name; they are the action's inputs.
 */
export const VERB_PARAMS = {
  action: [required("action", "any")],
  say: [required("message", "string")],
  roomView: [],
  roomChange: [room],
  listenToRoom: [room],
  silenceRoom: [room],
  detailsView: [],
  setIP: [required("ip", "string")],
  paramAdd: [key, { name: "value", kind: "any", required: false } as const],
  paramView: [key],
  paramsView: [],
  paramDelete: [key],
  paramsDelete: [],
  documentation: [],
  quit: [],
  exit: [],
  close: [],
} as const satisfies Record<string, readonly VerbParam[]>;

/** One verb of the protocol. */
export type Verb = keyof typeof VERB_PARAMS;

/** What a verb's params are once checked: its declared params, by name. */
export type VerbParams<V extends Verb> = {
  [P in (typeof VERB_PARAMS)[V][number] as P["name"]]: P["kind"] extends "any"
    ? unknown
    : P["required"] extends true
      ? string
      : string | undefined;
};

/** Every verb a client may send (PROTOCOL.md, "Client → server"). */
export const VERBS = Object.keys(VERB_PARAMS) as unknown as readonly [Verb, ...Verb[]];

/** The verbs that end the connection (after the replies to the requests before them). */
export const QUIT_VERBS: ReadonlySet<Verb> = new Set(["quit", "exit", "close"]);

export function isVerb(name: string): name is Verb {
  return Object.hasOwn(VERB_PARAMS, name);
}
