/**
 * The one rule and sentence for a transport's package that is not installed, shared by the
 * server's adapters and the client's connectors (no imports: the browser client bundles it).
 */

/** Whether an `import()` failed because the package (or a file of it) is not installed. */
export function isModuleNotFound(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "ERR_MODULE_NOT_FOUND";
}

/**
 * What to tell the user: which transport (or, with `needer`, which option: `config.metrics`)
 * needs which package, and the command to install it.
 */
export function missingPackageMessage(
  name: string,
  transport: string,
  needer = `The ${transport} transport`,
): string {
  return `${needer} needs the "${name}" package. Install it with: npm install ${name}`;
}
