import type { Connection } from "../connection.js";
import type { ActionDefinition } from "./define-action.js";

/** What a middleware sees of one action call. */
export interface ActionCall {
  readonly action: ActionDefinition;
  readonly connection: Connection;
  /** The processed params; `before` may change them. */
  params: Record<string, unknown>;
}

/**
 * Runs around every action. `before` may refuse the call by throwing an `ActionwireError`
 * (`ERR_NOT_AUTHORIZED`, say) or change `call.params`; `after` may return a replacement result.
 * Middleware runs in registration order for `before` and in reverse order for `after`.
 */
export interface ActionMiddleware {
  name: string;
  /** Before the action runs: refuse it by throwing, or change `call.params`. */
  before?(call: ActionCall): void | Promise<void>;
  /** After the action succeeded: return an object to replace its result. */
  after?(
    call: ActionCall,
    result: Record<string, unknown>,
  ): void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
}
