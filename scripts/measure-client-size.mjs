#!/usr/bin/env node
/**
 * `npm run size`: the browser client's size, minified and gzipped, per connector. Each row is
 * a bundle built the way `npm run build:client` builds it (the global script, unless it says
 * otherwise), with the connectors not measured replaced by stubs. faye's and socket.io's own browser clients are
 * not in the bundle: the page loads them from the server when that transport is picked, so
 * their sizes are listed beside it. Prints a Markdown table.
 */
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { URL } from "node:url";
import { gzipSync } from "node:zlib";
import { browserBuildOptions } from "./build-client.mjs";

/** Connector name → the class its module exports. */
const CONNECTORS = { ws: "WsConnector", socketio: "SocketIoConnector", faye: "FayeConnector" };

/** Replaces the connectors not in `keep` with a class that says it is not in this build. */
function onlyConnectors(keep) {
  return {
    name: "only-connectors",
    setup(plugin) {
      plugin.onResolve({ filter: /^\.\/(ws|socketio|faye)-connector\.js$/ }, (args) => {
        const name = /^\.\/(\w+)-connector/.exec(args.path)[1];
        return keep.includes(name) ? undefined : { path: name, namespace: "stub-connector" };
      });
      plugin.onLoad({ filter: /.*/, namespace: "stub-connector" }, (args) => ({
        contents: `export class ${CONNECTORS[args.path]} {
          constructor() { throw new Error("the ${args.path} connector is not in this build"); }
        }`,
        loader: "js",
      }));
    },
  };
}

async function measure(entry, format, keep) {
  const result = await build({
    ...browserBuildOptions,
    entryPoints: [entry],
    format,
    sourcemap: false,
    write: false,
    plugins: [...browserBuildOptions.plugins, onlyConnectors(keep)],
  });
  return sizes(result.outputFiles[0].contents);
}

function sizes(bytes) {
  return { minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const all = Object.keys(CONNECTORS);
const global = "src/client/browser-global.ts";
// The files the socket.io and faye transports serve (`<path>/socket.io.min.js`, `<mount>/client.js`).
const fromModules = (path) =>
  sizes(readFileSync(new URL(`../node_modules/${path}`, import.meta.url)));
const socketIoScript = fromModules("socket.io-client/dist/socket.io.min.js");
const fayeScript = fromModules("faye/client/faye-browser-min.js");

const rows = [
  ["core only, no connector", await measure(global, "iife", []), null],
  ["core + ws connector", await measure(global, "iife", ["ws"]), null],
  [
    "core + socketio connector",
    await measure(global, "iife", ["socketio"]),
    ["socket.io.min.js", socketIoScript],
  ],
  [
    "core + faye connector",
    await measure(global, "iife", ["faye"]),
    ["faye client.js", fayeScript],
  ],
  ["all three: /actionwire/client.js", await measure(global, "iife", all), null],
  ["all three: /actionwire/client.mjs", await measure("src/client/browser.ts", "esm", all), null],
  ["seeds: actionHeroWebSocket.js", await measure("src/client/seed-globals.ts", "iife", all), null],
];

console.log("| bundle | minified | gzipped | + loaded from the server when used (min / gzip) |");
console.log("| --- | ---: | ---: | --- |");
for (const [label, size, extra] of rows) {
  const loaded = extra ? `${extra[0]}: ${kib(extra[1].minified)} / ${kib(extra[1].gzipped)}` : "—";
  console.log(`| ${label} | ${kib(size.minified)} | ${kib(size.gzipped)} | ${loaded} |`);
}
