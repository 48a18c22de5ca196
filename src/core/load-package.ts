import { ConfigError } from "./errors.js";
import { isModuleNotFound, missingPackageMessage } from "./missing-package.js";

/**
 * Loads an optional package a transport (or, with `needer`, an option such as `config.metrics`)
 * needs, at start-up. A missing package is a {@link ConfigError} that says what to install,
 * never a crash later.
 */
export async function loadPackage<T>(name: string, transport: string, needer?: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new ConfigError(missingPackageMessage(name, transport, needer));
    }
    throw error;
  }
}
