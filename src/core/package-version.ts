import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * The version of the package `name` as Node resolves it from `from` (a file URL or path: the
 * caller's `import.meta.url`), or `"unknown"`. Read from the package's own
 * `package.json`, found by walking up from its entry point: not every package exports its
 * `package.json` (engine.io does not).
 */
export function packageVersion(name: string, from: string): string {
  let dir: string;
  try {
    dir = dirname(createRequire(from).resolve(name));
  } catch {
    return "unknown";
  }
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === name && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}
