/**
 * Runs a check of a third-party library's internals at start-up; a throw counts as the internal
 * missing (`undefined`). The adapters' `*-internals.ts` modules use it.
 */
export function probe<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}
