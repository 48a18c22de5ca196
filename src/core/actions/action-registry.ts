import { ActionwireError, ConfigError } from "../errors.js";
import type { ActionDefinition, ActionInput } from "./define-action.js";
import { emptyRecord } from "../record.js";
import { isMissing } from "../is-missing.js";

/** One entry of the `documentation` verb's reply. */
export interface ActionDocumentation {
  name: string;
  description: string;
  inputs: Array<{ name: string; required: boolean; default?: unknown; description?: string }>;
}

const ACTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/** The actions a server knows, by name, and the processing of their inputs. */
export class ActionRegistry {
  readonly #actions = new Map<string, ActionDefinition>();
  readonly #inputs = new WeakMap<ActionDefinition, Array<[string, ActionInput]>>();

  /** Adds an action; a second action with the same name is a mistake, not an override. */
  add(action: ActionDefinition): void {
    if (typeof action?.name !== "string" || !ACTION_NAME.test(action.name)) {
      throw new ConfigError(
        `An action needs a name of letters, digits, "_", ".", ":" or "-" (got ${JSON.stringify(action?.name)}).`,
      );
    }
    if (typeof action.run !== "function") {
      throw new ConfigError(`Action "${action.name}" has no run function.`);
    }
    if (this.#actions.has(action.name)) {
      throw new ConfigError(
        `Action "${action.name}" is defined twice; give one of them another name.`,
      );
    }
    this.#actions.set(action.name, action as ActionDefinition);
  }

  get(name: string): ActionDefinition | undefined {
    return this.#actions.get(name);
  }

  get size(): number {
    return this.#actions.size;
  }

  /** The `documentation` verb's data. */
  documentation(): ActionDocumentation[] {
    return [...this.#actions.values()].map((action) => ({
      name: action.name,
      description: action.description ?? "",
      inputs: Object.entries(action.inputs ?? {}).map(([name, input]: [string, ActionInput]) => {
        const doc: ActionDocumentation["inputs"][number] = {
          name,
          required: input.required === true,
        };
        if (input.default !== undefined && typeof input.default !== "function") {
          doc.default = input.default;
        }
        if (input.description !== undefined) doc.description = input.description;
        return doc;
      }),
    }));
  }

  /**
   * The params an action runs with: the connection's sticky params overlaid with the
   * request's (`action` itself left out), then defaults, formatters, validators and `required`
   * in declaration order. Undeclared params are dropped unless the action accepts them.
   * Throws the first `ERR_MISSING_PARAM` or `ERR_INVALID_PARAM`.
   */
  processParams(
    action: ActionDefinition,
    sticky: Readonly<Record<string, unknown>> | undefined,
    request: Record<string, unknown>,
  ): Record<string, unknown> {
    const out = emptyRecord();
    if (action.acceptUndeclaredParams === true) {
      for (const key of Object.keys(sticky ?? {})) if (key !== "action") out[key] = sticky![key];
      for (const key of Object.keys(request)) if (key !== "action") out[key] = request[key];
    }
    for (const [name, input] of this.#inputsOf(action)) {
      let value =
        name === "action"
          ? undefined
          : Object.hasOwn(request, name)
            ? request[name]
            : sticky !== undefined && Object.hasOwn(sticky, name)
              ? sticky[name]
              : undefined;
      if (isMissing(value)) {
        if (input.default !== undefined) {
          // A default is a value even when it is "" or null: it is what the action asked for.
          value =
            typeof input.default === "function"
              ? (input.default as () => unknown)()
              : input.default;
        } else if (input.required === true) {
          throw new ActionwireError(
            "ERR_MISSING_PARAM",
            `${name} is a required parameter for this action`,
          );
        } else {
          delete out[name];
          continue;
        }
      }
      out[name] = checkInput(name, input, value);
    }
    return out;
  }

  /** An action's inputs as entries, computed once per action. */
  #inputsOf(action: ActionDefinition): Array<[string, ActionInput]> {
    let entries = this.#inputs.get(action);
    if (entries === undefined) {
      entries = Object.entries(action.inputs ?? {});
      this.#inputs.set(action, entries);
    }
    return entries;
  }
}

function checkInput(name: string, input: ActionInput, raw: unknown): unknown {
  let value = raw;
  let verdict: boolean | string | void = true;
  try {
    if (input.formatter !== undefined) value = input.formatter(raw);
    if (input.validator !== undefined) verdict = input.validator(value);
  } catch (error) {
    verdict = error instanceof Error && error.message !== "" ? error.message : "rejected";
  }
  if (verdict === false) verdict = "rejected by its validator";
  if (typeof verdict === "string") {
    throw new ActionwireError("ERR_INVALID_PARAM", `${name} is not valid: ${verdict}`);
  }
  return value;
}
