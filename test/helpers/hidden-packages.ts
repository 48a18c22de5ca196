import { execFile } from "node:child_process";

/**
 * A module resolve hook that makes the named packages missing, as they are in an application
 * that did not install them (the packages stay installed for everything else).
 */
const HIDE_PACKAGES = `
import { register } from "node:module";
const hook = \`export async function resolve(specifier, context, next) {
  if (process.env.ACTIONWIRE_HIDDEN.split(",").includes(specifier)) {
    const error = new Error("Cannot find package '" + specifier + "'");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}\`;
register("data:text/javascript," + encodeURIComponent(hook));
`;

/**
 * Runs an ES module `script` in a child Node process where the `hidden` packages cannot be
 * found, and resolves with what it printed.
 */
export function runWithHiddenPackages(
  script: string,
  hidden: readonly string[],
  options: { nodeArgs?: readonly string[]; env?: Record<string, string> } = {},
): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        "--import",
        `data:text/javascript,${encodeURIComponent(HIDE_PACKAGES)}`,
        "--input-type=module",
        "--eval",
        script,
      ],
      { env: { ...process.env, ...options.env, ACTIONWIRE_HIDDEN: hidden.join(",") } },
      (error, out) => (error ? reject(error) : resolve(out)),
    ),
  );
}
