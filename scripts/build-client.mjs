#!/usr/bin/env node
/**
 * `npm run build:client`: bundles the browser client with esbuild into dist/browser/, where the
 * server serves it from:
 *
 *   client.js              /actionwire/client.js   classic script, global ActionwireClient
 *   client.mjs             /actionwire/client.mjs  ES module
 *   actionHeroWebSocket.js /public/javascript/actionHeroWebSocket.js  the seeds' globals
 *
 * each minified, with its source map beside it (`<file>.map`, served too).
 */
import { build } from "esbuild";
import { fileURLToPath, URL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Options every browser bundle shares (the size script uses them too). */
export const browserBuildOptions = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: "browser",
  // Private class fields and top-level features stay native: every current browser has them.
  target: ["es2022"],
  legalComments: "none",
  logLevel: "warning",
  plugins: [nodeOnlyPackages()],
};

/**
 * The connectors import faye, socket.io-client and ws only in Node. In a page, faye's and
 * socket.io's browser clients come from the server (their globals) and WebSocket is built in,
 * so the bundle gets a stub that says so instead of the package (reached only where there is
 * no `document` to load a script into, such as a worker).
 */
function nodeOnlyPackages() {
  return {
    name: "node-only-packages",
    setup(plugin) {
      plugin.onResolve({ filter: /^(faye|socket\.io-client|ws)$/ }, (args) => ({
        path: args.path,
        namespace: "node-only",
      }));
      plugin.onLoad({ filter: /.*/, namespace: "node-only" }, (args) => ({
        // An ES module (the export), so the bundle needs no CommonJS interop for it.
        contents: `export default undefined;\nthrow new Error(${JSON.stringify(
          `actionwire: the ${args.path} package is not bundled for browsers; load its browser client first (faye: <mount>/client.js, socket.io: <path>/socket.io.min.js)`,
        )});`,
        loader: "js",
      }));
    },
  };
}

const bundles = [
  { entry: "src/client/browser-global.ts", format: "iife", out: "dist/browser/client.js" },
  { entry: "src/client/browser.ts", format: "esm", out: "dist/browser/client.mjs" },
  {
    entry: "src/client/seed-globals.ts",
    format: "iife",
    out: "dist/browser/actionHeroWebSocket.js",
  },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all(
    bundles.map(({ entry, format, out }) =>
      build({ ...browserBuildOptions, entryPoints: [entry], format, outfile: out }),
    ),
  );
}
