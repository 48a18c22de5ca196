import type { ActionInputs } from "../core/actions/define-action.js";
import type { Callback } from "./actionwire-client.js";
import type { ActionReply } from "./server-replies.js";

/**
 * An action as the typed client reads it: what `defineAction` returns, by its shape only (the
 * client imports no server code, so `import type` of a server module is all it needs).
 */
export interface AnyAction {
  name: string;
  inputs?: ActionInputs;
  acceptUndeclaredParams?: boolean;
  /** The action itself; its return type is the reply's. */
  run(...args: never[]): unknown;
}

/**
 * The actions a client takes its types from, out of whatever the application has at hand: the
 * server (`typeof server`), its config, an array of actions, one action, or an object (or
 * module namespace) whose values are actions. Anything else gives no action.
 */
export type ActionsOf<T> = T extends { readonly config: { readonly actions: readonly (infer A)[] } }
  ? Extract<A, AnyAction>
  : T extends { readonly actions: readonly (infer A)[] }
    ? Extract<A, AnyAction>
    : T extends readonly (infer A)[]
      ? Extract<A, AnyAction>
      : T extends AnyAction
        ? T
        : { [K in keyof T]: T[K] extends AnyAction ? T[K] : never }[keyof T];

/** The typed client's actions by name. */
export type ActionMap<T> = { [A in ActionsOf<T> as A["name"]]: A };

/** The action names a client of `T` may call; any string for an untyped client. */
export type ActionName<T> = unknown extends T ? string : keyof ActionMap<T> & string;

/** `any` (a formatter such as `JSON.parse`) is `unknown` on the client: it must not switch checks off. */
type Known<V> = 0 extends 1 & V ? unknown : V;

/** The type a client sends for one input: the value its formatter returns, or its default's. */
type SentValue<I> = Known<
  I extends { formatter: (raw: never) => infer R }
    ? R
    : I extends { default: infer D }
      ? D extends () => infer R
        ? Widen<R>
        : Widen<D>
      : unknown
>;

/** A default of `1` means a number input, not the literal type `1`. */
type Widen<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T;

/** An input the client must send: `required` with no default to fall back on. */
type MustSend<I> = I extends { required: true }
  ? I extends { default: unknown }
    ? false
    : true
  : false;

type Flat<T> = { [K in keyof T]: T[K] } & {};

/**
 * The params a client sends to run an action: its declared inputs, required or optional. */
type SentParams<I extends ActionInputs> = Flat<
  { [K in keyof I as MustSend<I[K]> extends true ? K : never]: SentValue<I[K]> } & {
    [K in keyof I as MustSend<I[K]> extends true ? never : K]?: SentValue<I[K]>;
  }
>;

type InputsOf<A> = A extends { inputs?: infer I extends ActionInputs } ? I : Record<never, never>;

/**
 * What the client sends to run action `N` of `T`: each declared input typed after its formatter
 * (or default), required unless it has a default; any other key too if the action accepts
 * undeclared params. Any params for an untyped client.
 */
export type ActionParamsOf<T, N extends string> = unknown extends T
  ? Record<string, unknown>
  : ActionMap<T>[N & keyof ActionMap<T>] extends infer A
    ? A extends { acceptUndeclaredParams?: true }
      ? SentParams<InputsOf<A>> & Record<string, unknown>
      : [keyof InputsOf<A>] extends [never]
        ? Record<string, never>
        : SentParams<InputsOf<A>>
    : never;

/**
 * What action `N` of `T` returns (a `void` action: no field); any fields for an untyped
 * client.
 */
export type ActionResultOf<T, N extends string> = unknown extends T
  ? Record<string, unknown>
  : ActionMap<T>[N & keyof ActionMap<T>] extends infer A extends AnyAction
    ? [Awaited<ReturnType<A["run"]>>] extends [void | undefined]
      ? Record<never, never>
      : Exclude<Awaited<ReturnType<A["run"]>>, void | undefined>
    : never;

/** The reply to action `N` of `T`: its result in the response envelope. */
export type ActionReplyOf<T, N extends string> = ActionReply<ActionResultOf<T, N>>;

/**
 * The arguments of `client.action(name, …)` after the name: the params (which may be left out
 * when no input must be sent) and the seeds' callback.
 */
export type ActionArgs<T, N extends string> =
  Record<never, never> extends ActionParamsOf<T, N>
    ? | [params?: ActionParamsOf<T, N> | null, callback?: Callback<ActionReplyOf<T, N>>]
      | [callback: Callback<ActionReplyOf<T, N>>]
    : [params: ActionParamsOf<T, N>, callback?: Callback<ActionReplyOf<T, N>>];
