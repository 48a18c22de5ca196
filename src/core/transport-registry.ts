import { ConfigError } from "./errors.js";
import type { LegacyConfigKey } from "./config.js";
import type { TransportClass } from "./realtime-transport.js";

const TRANSPORT_NAME = /^[a-z][a-z0-9-]*$/;

/** Transport classes by name: the built-in ones and those added with `registerTransport`. */
export class TransportRegistry {
  readonly #classes = new Map<string, TransportClass>();
  readonly #legacyKeys = new Map<string, LegacyConfigKey>();

  constructor(parent?: TransportRegistry) {
    if (parent !== undefined)
      for (const [name, cls] of parent.#classes) this.#classes.set(name, cls);
  }

  add(name: string, transport: TransportClass): void {
    if (!TRANSPORT_NAME.test(name)) {
      throw new ConfigError(
        `A transport name is lowercase letters, digits and "-", starting with a letter (got ${JSON.stringify(name)}).`,
      );
    }
    if (typeof transport !== "function") {
      throw new ConfigError(`registerTransport("${name}", …) needs a class.`);
    }
    this.#classes.set(name, transport);
  }

  /** The class for a name, or a {@link ConfigError} listing the names that exist. */
  get(name: string): TransportClass {
    const found = this.#classes.get(name);
    if (found === undefined) {
      throw new ConfigError(
        `config.transports names "${name}", which is not a registered transport (known: ${this.names().join(", ")}). Register it with registerTransport("${name}", YourClass) or pass the class itself.`,
      );
    }
    return found;
  }

  names(): string[] {
    return [...this.#classes.keys()];
  }

  /** Every registered class by name. */
  entries(): ReadonlyMap<string, TransportClass> {
    return this.#classes;
  }

  /** Makes an older API's top-level config key configure a transport (see {@link LegacyConfigKey}). */
  addLegacyKey(key: string, legacy: LegacyConfigKey): void {
    this.#legacyKeys.set(key, legacy);
  }

  /** The legacy config keys by key. */
  legacyKeys(): ReadonlyMap<string, LegacyConfigKey> {
    return this.#legacyKeys;
  }
}
