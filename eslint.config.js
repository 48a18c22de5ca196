import { readdirSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/*
 * The layers (DESIGN.md, "Layers hold, and a lint rule keeps them"). Each source file gets one
 * `no-restricted-imports` entry, because a later config object replaces an earlier one's options
 * for the same rule instead of adding to them: the blocks below cover disjoint files.
 */
const ADAPTERS = readdirSync(join(import.meta.dirname, "adapters"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const TRANSPORT_PACKAGES = [
  "ws",
  "socket.io",
  "socket.io-client",
  "engine.io",
  "faye",
  "faye-websocket",
  "ioredis",
  "redis",
];
const PACKAGE_SOURCE = `^(${TRANSPORT_PACKAGES.map((name) => name.replaceAll(".", "\\.")).join("|")})(/|$)`;
const ANY_ADAPTER = {
  regex: "(^|/)adapters/",
  message:
    "Only the composition root (src/server/composition-root.ts) imports adapters: reach them through registerTransport and the ClusterBus factory.",
};
const SERVER = {
  regex: "^(\\.\\./)+(src/)?server/",
  message: "This layer must not import src/server.",
};
const CLIENT = {
  regex: "^(\\.\\./)+(src/)?client/",
  message: "This layer must not import src/client.",
};
const restrictImports = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });
/** Another adapter than `name`: a sibling folder, or a path through adapters/. */
const otherAdapter = (name) => ({
  regex: `^\\.\\./(?!${name}/|\\.\\./)|(^|/)adapters/(?!${name}/)`,
  message:
    "An adapter imports only src/core and its own folder, not another adapter: put what both need in src/core (a capability of the seam).",
});

const layers = [
  {
    files: ["src/core/**/*.ts"],
    rules: {
      ...restrictImports(
        { ...ANY_ADAPTER, message: "src/core imports no adapter." },
        { ...SERVER, message: "src/core must not import src/server." },
        { ...CLIENT, message: "src/core must not import src/client." },
        {
          regex: PACKAGE_SOURCE,
          message:
            "src/core imports no transport or Redis package: the adapter that needs it loads it lazily (loadPackage).",
        },
      ),
      "no-restricted-syntax": [
        "error",
        {
          // esquery ends a regex at its first "/", so the one in the pattern is written as \u002F.
          selector: `ImportExpression[source.value=/${PACKAGE_SOURCE.replace("/", "\\u002F")}/]`,
          message:
            "src/core imports no transport or Redis package: the adapter that needs it loads it lazily (loadPackage).",
        },
      ],
    },
  },
  {
    files: ["src/client/**/*.ts"],
    rules: restrictImports(
      {
        // The Bayeux channel names are one definition, shared by the faye adapter and connector.
        regex: "(^|/)adapters/(?!faye/faye-channels\\.js$)",
        message:
          "src/client imports no adapter (but faye's channel names): it runs in browsers too.",
      },
      { ...SERVER, message: "src/client must not import src/server: it runs in browsers too." },
    ),
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/core/**", "src/client/**", "src/server/composition-root.ts"],
    rules: restrictImports(ANY_ADAPTER),
  },
  ...ADAPTERS.map((name) => ({
    files: [`adapters/${name}/**/*.ts`],
    rules: restrictImports(otherAdapter(name)),
  })),
];

export default tseslint.config(
  { ignores: ["build/", "dist/", "docs/api/", "node_modules/", "_*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: "readonly", process: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["src/**/*.ts", "adapters/**/*.ts"],
    ignores: ["src/cli.ts"],
    rules: { "no-console": "error" },
  },
  ...layers,
);
