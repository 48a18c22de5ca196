import type { ResolvedConfig } from "../config.js";
import type { Connection } from "../connection.js";
import { ActionwireError } from "../errors.js";
import { actionsObserved, observeAction } from "../instrumentation.js";
import { isMissing } from "../is-missing.js";
import type { Logger } from "../logger.js";
import type { ActionCall, ActionMiddleware } from "./action-middleware.js";
import type { ActionRegistry } from "./action-registry.js";
import type { ActionContext, ActionDefinition } from "./define-action.js";

/** Keys an action's result may not hold: they belong to the reply envelope. */
const RESERVED_RESULT_KEYS = ["context", "messageCount", "messageId", "error", "code", "status"];

/** What a secret param's value is replaced with in logs. */
export const FILTERED = "[FILTERED]";

/** An action's reply fields (merged into the response envelope). */
export type ActionReply = Record<string, unknown>;

/** A running asynchronous action, as a connection's close sees it. */
export interface Abortable {
  abort(reason: unknown): void;
}

/** Where a connection's running asynchronous actions are kept (the set made on first use). */
export interface RunningActions {
  running?: Set<Abortable>;
}

/** Sends an alert to a connection, wherever in the cluster it is. */
export type AlertSender = (
  connectionId: string,
  message: string,
  extra: Record<string, unknown>,
) => void;

/**
 * Runs actions: looks the action up, processes its params, runs the middleware and the action
 * within its deadline, checks the result, and logs it (secrets filtered). An action with no
 * middleware that returns a plain value is answered synchronously: no promise, no timer. Only
 * an action that returns a promise (or runs under middleware) gets a deadline timer.
 */
export class ActionRunner {
  readonly #filtered: ReadonlySet<string>;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly actions: ActionRegistry,
    private readonly middleware: readonly ActionMiddleware[],
    private readonly sendAlert: AlertSender,
  ) {
    this.#filtered = new Set(config.filteredParams);
  }

  /**
   * Runs the action `requestParams.action` for a connection. Returns the reply fields at once
   * when the action is synchronous, or a promise of them; fails (throws or rejects) with an
   * {@link ActionwireError} only. `owner.running`, when an owner is given, holds the call
   * while it is asynchronous, so a closing connection can abort it.
   */
  run(
    connection: Connection,
    requestParams: Record<string, unknown>,
    owner?: RunningActions,
  ): ActionReply | Promise<ActionReply> {
    const name = requestParams.action;
    if (isMissing(name)) {
      throw new ActionwireError("ERR_MISSING_PARAM", "action is a required parameter");
    }
    const action = typeof name === "string" ? this.actions.get(name) : undefined;
    if (action === undefined) {
      throw new ActionwireError("ERR_UNKNOWN_ACTION", `${String(name)} is not a known action`);
    }
    // Only a known action is observed: its name is one of the server's (a bounded label).
    if (!actionsObserved()) return this.start(action, connection, requestParams, owner);
    return observeAction(
      this.config.nodeId,
      action.name,
      connection,
      requestParams.traceparent,
      () => this.start(action, connection, requestParams, owner),
    );
  }

  /** {@link run} for an action looked up. */
  private start(
    action: ActionDefinition,
    connection: Connection,
    requestParams: Record<string, unknown>,
    owner: RunningActions | undefined,
  ): ActionReply | Promise<ActionReply> {
    if (connection.pendingActions >= this.config.limits.maxPendingActions) {
      throw new ActionwireError("ERR_TOO_MANY_PENDING", "you have too many pending requests");
    }
    const params = this.actions.processParams(action, connection.paramsIfAny, requestParams);
    const startedAt = this.config.logActions === false ? 0 : performance.now();
    connection.pendingActions++;
    connection.totalActions++;
    const context = new CallContext(connection, this.sendAlert);
    const run: Run = { action, connection, params, startedAt, context };
    let outcome: unknown;
    try {
      outcome =
        this.middleware.length === 0
          ? action.run(params as never, context)
          : this.runWithMiddleware({ action, connection, params }, context);
    } catch (error) {
      connection.pendingActions--;
      throw this.failed(run, error);
    }
    if (!isThenable(outcome)) {
      connection.pendingActions--;
      return this.succeeded(run, outcome);
    }
    const running = owner === undefined ? undefined : (owner.running ??= new Set());
    return this.await(run, outcome, running);
  }

  /** The deadline, the connection's close, and the result of an asynchronous action. */
  private await(
    run: Run,
    outcome: PromiseLike<unknown>,
    running: Set<Abortable> | undefined,
  ): Promise<ActionReply> {
    const { action, connection, context } = run;
    running?.add(context);
    return new Promise<ActionReply>((resolve, reject) => {
      let finished = false;
      const finish = (): boolean => {
        if (finished) return false;
        finished = true;
        clearTimeout(timer);
        connection.pendingActions--;
        running?.delete(context);
        return true;
      };
      const timer = setTimeout(() => {
        const error = new ActionwireError("ERR_ACTION_TIMEOUT", "the action timed out");
        context.abort(error);
        if (finish()) reject(this.failed(run, error));
      }, action.timeoutMs ?? this.config.limits.actionTimeoutMs);
      // A result that comes after the deadline is dropped: the reply was the timeout.
      outcome.then(
        (result) => {
          if (!finish()) return;
          try {
            resolve(this.succeeded(run, result));
          } catch (error) {
            reject(error as Error);
          }
        },
        (error: unknown) => finish() && reject(this.failed(run, error)),
      );
    });
  }

  private async runWithMiddleware(call: ActionCall, context: ActionContext): Promise<unknown> {
    for (const m of this.middleware) await m.before?.(call);
    let result = objectResult(call.action, await call.action.run(call.params as never, context));
    for (let i = this.middleware.length - 1; i >= 0; i--) {
      result = (await this.middleware[i]!.after?.(call, result)) ?? result;
    }
    return result;
  }

  /** Checks a result; throws (as a failure) one that cannot be a reply. */
  private succeeded(run: Run, outcome: unknown): ActionReply {
    const action = run.action;
    let result: ActionReply;
    try {
      result = objectResult(action, outcome);
      for (const key of RESERVED_RESULT_KEYS) {
        if (Object.hasOwn(result, key)) {
          throw new Error(`action ${action.name} returned the reserved key "${key}"`);
        }
      }
    } catch (error) {
      throw this.failed(run, error);
    }
    this.log(run, undefined);
    return result;
  }

  /**
   * The error a failed action answers with: an {@link ActionwireError} as thrown, anything else
   * as `ERR_ACTION_FAILED` with its details in the log only (params filtered).
   */
  private failed(run: Run, error: unknown): ActionwireError {
    const { action, connection, params } = run;
    if (error instanceof ActionwireError) {
      this.log(run, error);
      return error;
    }
    this.logger.error(`action ${action.name} failed`, {
      error: String(error),
      connection: connection.id,
      params: this.filter(action, params),
    });
    return new ActionwireError("ERR_ACTION_FAILED", "the action failed", { cause: error });
  }

  /** The action log line (`logActions`): name, connection, filtered params, time, outcome. */
  private log(run: Run, error: ActionwireError | undefined): void {
    const level = this.config.logActions;
    if (level === false) return;
    const { action, connection, params, startedAt } = run;
    this.logger[level](`action ${action.name}`, {
      connection: connection.id,
      transport: connection.transport,
      params: this.filter(action, params),
      ms: Math.round((performance.now() - startedAt) * 100) / 100,
      ...(error === undefined ? {} : { code: error.code }),
    });
  }

  /** The params as logs may show them. */
  private filter(
    action: ActionDefinition,
    params: Record<string, unknown>,
  ): Record<string, unknown> {
    return filterParams(action, params, this.#filtered);
  }
}

/**
 * A copy of `params` for logs: inputs the action declares `secret`, and any param named in
 * `filtered` (`config.filteredParams`), show as `[FILTERED]`.
 */
export function filterParams(
  action: Pick<ActionDefinition, "inputs">,
  params: Record<string, unknown>,
  filtered: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    const input = action.inputs !== undefined && Object.hasOwn(action.inputs, key);
    const secret = input && action.inputs![key]!.secret === true;
    out[key] = secret || filtered.has(key) ? FILTERED : params[key];
  }
  return out;
}

/** One action call, as the runner follows it. */
interface Run {
  readonly action: ActionDefinition;
  readonly connection: Connection;
  readonly params: Record<string, unknown>;
  /** When it started (`performance.now()`), for the action log; 0 when that log is off. */
  readonly startedAt: number;
  readonly context: CallContext;
}

/** The context an action runs with. Its AbortController is made only if `signal` is read. */
class CallContext implements ActionContext, Abortable {
  #controller: AbortController | undefined;
  #abortedWith: unknown;

  constructor(
    readonly connection: Connection,
    sendAlert: AlertSender,
  ) {
    this.alert = (message, extra = {}, connectionId = connection.id) =>
      sendAlert(connectionId, message, extra);
  }

  readonly alert: ActionContext["alert"];

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#abortedWith !== undefined) this.#controller.abort(this.#abortedWith);
    return this.#controller.signal;
  }

  /** The deadline passed or the connection closed: aborts the signal (now, or when read). */
  abort(reason: unknown): void {
    this.#abortedWith ??= reason;
    this.#controller?.abort(reason);
  }
}

function objectResult(action: ActionDefinition, result: unknown): ActionReply {
  if (result === undefined || result === null) return {};
  if (typeof result !== "object" || Array.isArray(result)) {
    throw new Error(`action ${action.name} returned ${typeof result}, not an object`);
  }
  return result as ActionReply;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
