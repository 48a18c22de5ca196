import type { Connection } from "../connection.js";

/**
 * One declared input of an action. Processing order: a missing value (absent, `null` or `""`)
 * takes `default`; a value still missing fails `required`; a present value goes through
 * `formatter`, then `validator`.
 */
export interface ActionInput<T = unknown> {
  required?: boolean;
  /** Used when the value is missing; a function is called each time. */
  default?: T | (() => T);
  /** Turns the raw value into the value `run` sees; throwing makes it `ERR_INVALID_PARAM`. */
  formatter?: (raw: unknown) => T;
  /**
   * Returns `true` (or nothing) to accept; `false` or a string (the reason) to refuse with
   * `ERR_INVALID_PARAM`; a thrown error's message is the reason.
   */
  validator?: (value: T) => boolean | string | void;
  description?: string;
  /** Never written to logs: the action log and failure logs show `[FILTERED]` instead. */
  secret?: boolean;
}

/** The declared inputs of an action, by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each input has its own value type
export type ActionInputs = Record<string, ActionInput<any>>;

/** A default of `1` means a number input, not the literal type `1`. */
type Widen<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T;

type InputValue<I> = I extends { formatter: (raw: never) => infer R }
  ? R
  : I extends { default: infer D }
    ? D extends () => infer R
      ? Widen<R>
      : Widen<D>
    : unknown;

type IsPresent<I> = I extends { required: true }
  ? true
  : I extends { default: unknown }
    ? true
    : false;

/** The params `run` receives, typed from the inputs' formatters, defaults and `required`. */
export type ActionParams<I extends ActionInputs> = {
  [K in keyof I]: IsPresent<I[K]> extends true ? InputValue<I[K]> : InputValue<I[K]> | undefined;
};

/** What an action's `run` can reach besides its params. */
export interface ActionContext {
  readonly connection: Connection;
  /** Aborted when the action passes its deadline or the connection goes away. */
  readonly signal: AbortSignal;
  /** Pushes an alert to a connection (the caller by default). */
  alert(message: string, extra?: Record<string, unknown>, connectionId?: string): void;
}

/** An action's result: a flat object merged into the reply, or nothing. */
export type ActionResult = Record<string, unknown> | void;

/**
 * An action as written by the application (see {@link defineAction}). `I` are its inputs, `N`
 * its name, `R` its result and `U` whether it accepts undeclared params: {@link defineAction}
 * infers them, and a typed client reads them (`createClient<typeof server>`).
 */
export interface ActionDefinition<
  I extends ActionInputs = ActionInputs,
  N extends string = string,
  R extends ActionResult = ActionResult,
  U extends boolean = boolean,
> {
  name: N;
  description?: string;
  inputs?: I;
  /** Deadline for this action in ms; defaults to `limits.actionTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Running it twice does what running it once does. A request re-sent after a resume whose
   * first run's outcome was lost with its node (see docs/protocol.md, "Requests across a
   * resume") runs again instead of failing with `ERR_OUTCOME_UNKNOWN`.
   */
  idempotent?: boolean;
  /** Keep params the action does not declare (they are dropped by default). */
  acceptUndeclaredParams?: U;
  /** The action itself: its params are already defaulted, formatted and validated. */
  run(params: ActionParams<I>, context: ActionContext): R | Promise<R>;
}

/**
 * Declares an action. Types flow from `inputs` to `run`'s params, and the name, inputs and
 * result are kept for a typed client (`createClient<typeof server>`):
 *
 * ```ts
 * defineAction({
 *   name: "add",
 *   inputs: { a: { required: true, formatter: Number }, b: { default: 1 } },
 *   run: ({ a, b }) => ({ sum: a + b }), // a: number, b: number
 * });
 * ```
 */
export function defineAction<
  const I extends ActionInputs = Record<never, never>,
  const N extends string = string,
  R extends ActionResult = void,
  const U extends boolean = false,
>(definition: ActionDefinition<I, N, R, U>): ActionDefinition<I, N, R, U> {
  return definition;
}
