// Scans the built bundles of the published packages (packages/*/dist/**/*.js and *.cjs) for what
// would stop them running in a browser, Deno, Bun or workerd: imports of Node built-ins (`node:*`,
// or a bare `fs`, `path`, … — tsup strips the `node:` prefix), Node-only globals (`Buffer`,
// `__dirname`, `__filename`), and run-time code generation (`eval(`, `new Function`, `Function(`),
// which workerd and strict CSPs forbid. Node-only entries are skipped: the files a package exports
// under its "./node" subpath (`@edgenn/runtime/node`, `@edgenn/nn/node`); importing one of those
// from any other bundle is itself a finding.
// `node scan-bundles.mjs` prints the findings and exits 1 if there are any.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** @param {unknown} v @returns {string[]} every string inside an exports entry (all conditions) */
function targets(v) {
  if (typeof v === "string") return [v];
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(targets);
  return [];
}

/**
 * The Node-only files of one package: what its package.json exports under "./node".
 * @param {string} pkgDir absolute path of packages/<name>
 * @returns {string[]} repository-relative paths
 */
export function nodeOnlyFiles(pkgDir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  } catch {
    return [];
  }
  return targets(manifest.exports?.["./node"])
    .filter((t) => !t.endsWith(".ts")) // type declarations and the @edgenn/source entry
    .map((t) => relative(REPO, join(pkgDir, t)).split("\\").join("/"));
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));

/** @param {string} spec @returns {boolean} whether an import specifier names a Node built-in */
export function isNodeBuiltin(spec) {
  if (/^@edgenn\/[^/]+\/node$/.test(spec)) return true; // a Node-only entry of this repository
  if (spec.startsWith("node:")) return true;
  return BUILTINS.has(spec) || BUILTINS.has(spec.split("/")[0] ?? "");
}

const IMPORTS = [
  /\bfrom\s*["']([^"']+)["']/g, // import … from "x", export … from "x"
  /\bimport\s*["']([^"']+)["']/g, // import "x"
  /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, // import("x")
  /(?<![\w$.])require\s*\(\s*["']([^"']+)["']\s*\)/g, // require("x")
];
const CODEGEN = [
  { what: "eval(", re: /(?<![\w$.])eval\s*\(/g },
  { what: "new Function", re: /\bnew\s+Function\b/g },
  { what: "Function(", re: /(?<![\w$.])Function\s*\(/g },
];
const GLOBALS = [
  { what: "Buffer", re: /(?<![\w$.])Buffer\s*[.(]/g },
  { what: "__dirname", re: /(?<![\w$.])__dirname\b/g },
  { what: "__filename", re: /(?<![\w$.])__filename\b/g },
];
// String literals and line comments are blanked before the code-generation and globals checks, so an
// error message that mentions eval( is not a finding (import specifiers are read before that).
const STRINGS = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g;
const LINE_COMMENT = /\/\/.*$/;
// A class method named eval (nn's `Module.eval()`), defined or called as `x.eval()`, is not eval.
const METHOD_DEF = /^\s*(?:async\s+)?eval\s*\([^)]*\)\s*\{/;

/**
 * The portability findings in one bundle's text.
 * @param {string} text
 * @returns {{ line: number, what: string, text: string }[]}
 */
export function scanSource(text) {
  const found = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.startsWith("//# sourceMappingURL=")) continue;
    for (const re of IMPORTS)
      for (const m of line.matchAll(re))
        if (isNodeBuiltin(m[1] ?? ""))
          found.push({
            line: i + 1,
            what: `${m[1]?.startsWith("@edgenn/") ? "Node-only entry" : "Node built-in"} "${m[1]}"`,
            text: line.trim(),
          });
    const code = line.replace(STRINGS, '""').replace(LINE_COMMENT, "");
    for (const { what, re } of [...CODEGEN, ...GLOBALS])
      for (const _ of code.matchAll(re)) {
        if (what === "eval(" && METHOD_DEF.test(code)) continue;
        found.push({ line: i + 1, what, text: line.trim() });
      }
  }
  return found;
}

/** @param {string} dir @returns {string[]} every .js/.cjs/.mjs file under dir */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return /\.(c|m)?js$/.test(e.name) ? [p] : [];
  });
}

/**
 * The bundles to scan (repository-relative paths, Node-only entries left out) and the skipped ones.
 * @returns {{ files: string[], skipped: string[] }}
 */
export function bundleFiles() {
  const files = [];
  const skipped = [];
  const packages = join(REPO, "packages");
  for (const pkg of readdirSync(packages)) {
    const nodeOnly = nodeOnlyFiles(join(packages, pkg));
    let all;
    try {
      all = walk(join(packages, pkg, "dist"));
    } catch {
      continue; // not built (or never built, like the private testkit)
    }
    for (const f of all) {
      const rel = relative(REPO, f).split("\\").join("/");
      (nodeOnly.includes(rel) ? skipped : files).push(rel);
    }
  }
  return { files: files.sort(), skipped: skipped.sort() };
}

/** @returns {{ file: string, line: number, what: string, text: string }[]} findings in every bundle */
export function scanBundles() {
  return bundleFiles().files.flatMap((file) =>
    scanSource(readFileSync(join(REPO, file), "utf8")).map((f) => ({ file, ...f })),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { files, skipped } = bundleFiles();
  const findings = scanBundles();
  for (const f of findings) console.log(`${f.file}:${f.line}: ${f.what}: ${f.text.slice(0, 120)}`);
  console.log(
    `${files.length} bundles scanned (${skipped.length} Node-only skipped), ${findings.length} findings`,
  );
  if (files.length === 0) console.log("no bundles found: run `pnpm build` at the repository root");
  if (findings.length > 0 || files.length === 0) process.exitCode = 1;
}
