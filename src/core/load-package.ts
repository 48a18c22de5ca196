import { ConfigError } from "./errors.js";

/**
 * Loads an optional package a transport needs, at start-up. A missing package is a
 * {@link ConfigError} that says what to install, never a crash later.
 */
export async function loadPackage<T>(name: string, transport: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
      throw new ConfigError(
        `The ${transport} transport needs the "${name}" package. Install it with: npm install ${name}`,
      );
    }
    throw error;
  }
}
