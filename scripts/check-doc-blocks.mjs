#!/usr/bin/env node
/**
 * `npm run docs:blocks`: typechecks the ```ts code blocks of README.md and docs/*.md against
 * the package's own types (dist/, as `npm run build` writes it: `actionwire`, `actionwire/client`
 * and the rest resolve through the package's `exports`, as in an application), so the docs
 * cannot drift from the API.
 *
 * - Every ```ts block compiles, strict, as an ES module (NodeNext), unless the line before it
 *   (blank lines aside) is `<!-- not-compiled -->`: a fragment, or code that must not compile.
 * - A block that continues earlier code (a `client` made above) may say what it assumes in a
 *   comment just before it, not shown on the page: `<!-- prelude` and TypeScript lines up to
 *   `-->` (imports, `declare const client: ActionwireClient;`), compiled before the block.
 * - A block whose first line is `// name.ts` is that file; the blocks of one document are files
 *   of one folder, so `import type { server } from "./server.js"` reaches the block named
 *   `// server.ts` (the README's tour does that). Other blocks are files of their own.
 *
 * Prints each error at its line in the document and exits 1 if there is any.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, URL } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Under the package, so `import "actionwire"` resolves to the package itself (its `exports`). */
const out = join(root, "build", "doc-blocks");

/** The documents whose blocks are checked. */
export function documents() {
  return [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((name) => name.endsWith(".md"))
      .sort()
      .map((name) => `docs/${name}`),
  ];
}

const FENCE = /^```(\w*)\s*$/;
const NOT_COMPILED = /^<!--\s*not-compiled\b.*-->\s*$/;
const PRELUDE_START = /^<!--\s*prelude\s*$/;
const FILE_NAME = /^\/\/ ([\w.-]+\.ts)\s*$/;

/**
 * The ```ts blocks of a Markdown text: `{ line, name, code, prelude, compiled }`, `line` being
 * the 1-based line of the block's first code line.
 */
export function extractBlocks(markdown) {
  const lines = markdown.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (open[1] === "ts" || open[1] === "typescript") {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === "") before--;
      const code = lines.slice(i + 1, end);
      let prelude = "";
      if (before >= 0 && lines[before].trim() === "-->") {
        let start = before - 1;
        while (start >= 0 && !PRELUDE_START.test(lines[start])) start--;
        if (start >= 0) prelude = lines.slice(start + 1, before).join("\n");
      }
      blocks.push({
        line: i + 2,
        name: FILE_NAME.exec(code[0] ?? "")?.[1],
        code: code.join("\n"),
        prelude,
        compiled: before < 0 || !NOT_COMPILED.test(lines[before]),
      });
    }
    i = end;
  }
  return blocks;
}

/** Writes the compiled blocks as files; returns where each file's lines come from. */
function writeBlocks() {
  rmSync(out, { recursive: true, force: true });
  const origins = new Map();
  for (const document of documents()) {
    const folder = join(out, document.replace(/\.md$/, "").replaceAll("/", "-"));
    mkdirSync(folder, { recursive: true });
    for (const block of extractBlocks(readFileSync(join(root, document), "utf8"))) {
      if (!block.compiled) continue;
      const file = join(folder, block.name ?? `line-${block.line}.ts`);
      if (origins.has(file)) {
        throw new Error(`${document}:${block.line}: a second block named ${block.name}`);
      }
      // The prelude goes on the block's first line, so the block's lines keep their numbers.
      const prelude = block.prelude.replaceAll("\n", " ");
      writeFileSync(file, `${prelude}${block.code}\n`);
      origins.set(file, { document, line: block.line, shift: prelude.length });
    }
  }
  return origins;
}

/** Typechecks the blocks; returns the errors as `document:line:column message` lines. */
export function checkDocBlocks() {
  const origins = writeBlocks();
  const program = ts.createProgram([...origins.keys()], {
    target: ts.ScriptTarget.ES2023,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    esModuleInterop: true,
  });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const file = diagnostic.file;
    const origin = file === undefined ? undefined : origins.get(file.fileName);
    if (file === undefined || origin === undefined) {
      return `${file ? relative(root, file.fileName) : "(no file)"}: ${text}`;
    }
    const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const column = line === 0 ? Math.max(1, character + 1 - origin.shift) : character + 1;
    return `${origin.document}:${origin.line + line}:${column} ${text}`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const errors = checkDocBlocks();
  for (const error of errors) process.stderr.write(`${error}\n`);
  if (errors.length > 0) {
    process.stderr.write(
      `\n${errors.length} error(s) in the docs' code blocks. Fix the block, or mark a fragment with <!-- not-compiled --> on the line before it.\n`,
    );
    process.exit(1);
  }
  process.stdout.write(
    "docs:blocks: every compiled ```ts block of README.md and docs/ typechecks\n",
  );
}
