/*
 * Runs every ```js / ```ts block of README.md and docs/**\/*.md, so the docs cannot rot.
 *
 * How a block runs (docs/guides/README.md... no: the rules are written out in docs/concepts.md's
 * "Code in these docs" section):
 * - each block is one ES module, written next to this package (so `edgenn` resolves as it does for a
 *   user) and imported; ```ts blocks are transpiled by vitest;
 * - `@edgenn/<pkg>[/<sub>]` imports are resolved to that package's sources (its `@edgenn/source`
 *   export), relative imports (`./examples/…`) from the repository root;
 * - every export of `edgenn` that a block names but neither imports nor declares is imported;
 * - a top-level line `expr; // → value` is an assertion: `expr` must equal `value` (a JS literal;
 *   numbers to the digits written; a Tensor or typed array compares as an array; a note in
 *   parentheses may follow after two spaces), and
 *   `expr; // → throws Name: message` asserts the error's class name and message;
 * - `<!-- not run: reason -->` on the line before a block skips it; `<!-- same as: path -->` checks
 *   that the block is a verbatim excerpt of that repository file instead of running it;
 *   `<!-- continues -->` runs the block in one module with the blocks before it on the page (a
 *   guide's steps share their variables).
 * Blocks of pages this package's owner does not edit can also get a setup or a skip here (SETUP,
 * SKIP below), keyed by a string the block contains.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HERE = fileURLToPath(new URL("..", import.meta.url));

interface Block {
  file: string; // relative to ROOT
  line: number; // 1-based line of the opening fence
  lang: "js" | "ts";
  code: string;
  marker: string | undefined; // the HTML comment on the line before the fence
}

/** Every ```js/```ts block of a markdown text, with the comment line right before it. */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```+\s*(js|javascript|mjs|ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) {
      // skip other fenced blocks whole, so a ``` inside them is not taken for an opening fence
      if (/^\s*```/.test(lines[i]!)) {
        i++;
        while (i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) i++;
      }
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    let j = start - 1;
    while (j >= 0 && lines[j]!.trim() === "") j--;
    const m = j >= 0 ? /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[j]!) : null;
    blocks.push({
      file,
      line: start + 1,
      lang: /^t/.test(open[2]!) ? "ts" : "js",
      code: body.join("\n"),
      marker: m?.[1],
    });
  }
  return blocks;
}

function markdownFiles(): string[] {
  const out = ["README.md"];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".md")) out.push(p);
    }
  };
  walk("docs");
  return out.sort();
}

/**
 * Setups for fragments in pages whose blocks cannot say where their inputs come from: keyed by
 * `file` and a string the block contains; the setup is put before the block.
 */
const SETUP: { file: string; contains: string; code: string }[] = [
  {
    file: "docs/training.md",
    contains: "optim.AdamW(model.parameters()",
    code: `const model = new nn.Sequential(new nn.Linear(4, 3, { seed: 1 }));
const x = randn([8, 4], { seed: 2 }); const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });`,
  },
  {
    file: "docs/training.md",
    contains: "history.stoppedBy",
    code: `const model = new nn.Sequential(new nn.Linear(4, 3, { seed: 1 }));
const trainX = randn([64, 4], { seed: 2 }); const trainY = cast(greater(sum(trainX, 1), 0), 'int32');
const testX = randn([32, 4], { seed: 3 }); const testY = cast(greater(sum(testX, 1), 0), 'int32');
const bar = { update() {} }; const controller = new AbortController();`,
  },
  {
    file: "docs/training.md",
    contains: "fileCheckpoint(path",
    // fileCheckpoint does not create the folder of its path: the page should say so
    code: `import { mkdirSync, mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const model = new nn.Sequential(new nn.Linear(4, 3, { seed: 1 }));
const x = randn([1300, 4], { seed: 2 }); const train = { x, y: cast(greater(sum(x, 1), 0), 'int32') };
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
process.chdir(mkdtempSync(join(tmpdir(), 'edgenn-docs-'))); mkdirSync('runs');`,
  },
  {
    file: "docs/runtime.md",
    contains: "saveModel(model, { inputShape: [-1, 1, 28, 28] })",
    code: `const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { seed: 1 }), new nn.ReLU(),
  new nn.Flatten(), new nn.Linear(4 * 26 * 26, 10, { seed: 2 }));
const image = new Float32Array(784).fill(0.5);`,
  },
  {
    file: "docs/runtime.md",
    contains: "ops: [convOps, int8Ops]",
    code: `const cnn = new nn.Sequential(new nn.Conv2d(1, 4, 3, { seed: 1 }), new nn.ReLU(),
  new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3, { seed: 2 }));
const bytes = saveModel(quantize(cnn, { calibration: randn([8, 1, 8, 8], { seed: 3 }), inputShape: [-1, 1, 8, 8] }));`,
  },
];

/** Blocks that cannot run here, in pages this package's owner does not edit (with the reason). */
const SKIP: { file: string; contains: string; reason: string }[] = [
  {
    file: "docs/backends.md",
    contains: "new GPU({ mode: 'webgl2' })",
    reason: "needs WebGL 2 (a browser) and the optional gpu.js peer dependency",
  },
];

/** `@edgenn/pkg[/sub]` → the absolute path of its source entry; null for anything else. */
function sourceOf(spec: string): string | null {
  const m = /^@edgenn\/([^/]+)(\/.*)?$/.exec(spec);
  if (!m) return null;
  const dir = join(ROOT, "packages", m[1]!);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    exports: Record<string, { "@edgenn/source"?: string }>;
  };
  const entry = pkg.exports[`.${m[2] ?? ""}`]?.["@edgenn/source"];
  if (!entry) throw new Error(`docs: no @edgenn/source export for ${spec}`);
  return join(dir, entry);
}

/** The specifier of a static import/export line (or the `} from '…'` line ending one), or of `import(…)`. */
const IMPORT =
  /(^\s*(?:import|export)\b[^'"\n]*?|^\s*\}\s*from\s*|\bimport\(\s*)(['"])([^'"\n]+)\2/gm;

/** A line of a module to run, and where it comes from ("" for a setup line). */
interface Line {
  text: string;
  at: string;
}

/** The lines of a block, each with its file:line. */
function linesOf(b: Block): Line[] {
  return b.code.split("\n").map((text, i) => ({ text, at: `${b.file}:${b.line + 1 + i}` }));
}

/** Blocks as one module: assertions wired, imports resolved, `edgenn` names a block uses imported. */
function toModule(lines: readonly Line[], edgennNames: readonly string[], dir: string): string {
  const code = lines.map((l) => l.text).join("\n");
  const ownCode = lines
    .filter((l) => l.at !== "")
    .map((l) => l.text)
    .join("\n");
  // `expr; // → value` at the top level becomes an assertion
  let src = lines
    .map(({ text, at }) => {
      const m = /^(\S.*?);?\s*\/\/ → (.*)$/.exec(text);
      if (!m || /^(const|let|var|import|export|return|if|for|while)\b/.test(m[1]!)) return text;
      // a note may follow the value after two spaces, in parentheses: `// → 6477   (= …)`
      const expected = m[2]!.replace(/\s{2,}\(.*\)\s*$/, "").trim();
      return `await globalThis.__docCheck(async () => (${m[1]}), ${JSON.stringify(expected)}, ${JSON.stringify(at)});`;
    })
    .join("\n");
  src = src.replace(IMPORT, (all, pre: string, q: string, spec: string) => {
    const abs = sourceOf(spec) ?? (spec.startsWith(".") ? join(ROOT, spec) : null);
    return abs === null ? all : `${pre}${q}${relativeSpec(dir, abs)}${q}`;
  });
  // a block gets the exports of `edgenn` it names but neither imports nor declares
  const imported = new Set<string>();
  for (const m of ownCode.matchAll(/^\s*import\s*\{([^}]*)\}/gm))
    for (const n of m[1]!.split(","))
      imported.add(
        n
          .trim()
          .split(/\s+as\s+/)
          .at(-1)!,
      );
  const declared = new Set<string>(imported);
  for (const m of code.matchAll(/\b(?:const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g))
    declared.add(m[1]!);
  for (const m of code.matchAll(/\b(?:const|let|var)\s*[[{]([^=]*)[\]}]\s*=/g))
    for (const n of m[1]!.matchAll(/[A-Za-z_$][\w$]*/g)) declared.add(n[0]);
  const used = edgennNames.filter(
    (n) => !declared.has(n) && new RegExp(`(^|[^.\\w$])${n.replace("$", "\\$")}\\b`).test(code),
  );
  if (used.length > 0) src = `import { ${used.join(", ")} } from "edgenn";\n${src}`;
  return src;
}

function relativeSpec(fromDir: string, abs: string): string {
  const r = relative(fromDir, abs).split("\\").join("/");
  return r.startsWith(".") ? r : `./${r}`;
}

/** Plain values from what an expression returns: Tensors and typed arrays become arrays. */
function plain(v: unknown): unknown {
  if (v !== null && typeof v === "object") {
    const t = v as { toArray?: () => unknown; dtype?: unknown; shape?: unknown };
    if (typeof t.toArray === "function" && t.dtype !== undefined) return t.toArray();
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    if (Array.isArray(v)) return v.map(plain);
    if (Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** Deep equality where the k-th number of `expected` holds to the digits its text shows. */
function sameValue(
  actual: unknown,
  expected: unknown,
  digits: number[],
  at: { k: number },
): boolean {
  if (typeof expected === "number") {
    const d = digits[at.k++] ?? 0;
    if (typeof actual !== "number") return false;
    if (Number.isNaN(expected)) return Number.isNaN(actual);
    if (!Number.isFinite(expected)) return actual === expected;
    const tol = d < 0 ? Math.abs(expected) * 5e-4 : 0.5 * 10 ** -d + 1e-9 * Math.abs(expected);
    return Math.abs(actual - expected) <= tol;
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => sameValue(actual[i], e, digits, at))
    );
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object") return false;
    return Object.entries(expected).every(([k, e]) =>
      sameValue((actual as Record<string, unknown>)[k], e, digits, at),
    );
  }
  return Object.is(actual, expected);
}

/** The decimals each number literal of `text` shows (−1: written with an exponent). */
function numberDigits(text: string): number[] {
  const noStrings = text.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""');
  return [...noStrings.matchAll(/(?<![\w.])-?\d[\d_]*(\.\d+)?([eE][-+]?\d+)?/g)].map((m) =>
    m[2] ? -1 : (m[1]?.length ?? 1) - 1,
  );
}

async function docCheck(fn: () => Promise<unknown>, expectedText: string, at: string) {
  const thrown = /^throws (\w+)(?::\s*([\s\S]*))?$/.exec(expectedText);
  if (thrown) {
    let error: unknown;
    try {
      await fn();
    } catch (e) {
      error = e;
    }
    expect(error, `${at}: expected to throw ${thrown[1]}`).toBeInstanceOf(Error);
    const e = error as Error;
    expect(e.name, `${at}: the error's class (message «${e.message}»)`).toBe(thrown[1]);
    if (thrown[2] !== undefined) {
      const pattern = thrown[2]!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/…/g, ".*");
      const re = new RegExp(`^${pattern}$`, "s");
      expect(
        re.test(e.message),
        `${at}: the message was «${e.message}», the doc says «${thrown[2]}»`,
      ).toBe(true);
    }
    return;
  }
  const actual = plain(await fn());
  // a test parses the JS literal a doc writes after "→" (global scope: no access to this module)
  // biome-ignore lint/security/noGlobalEval: test code, parsing the docs' own literals
  const globalEval = globalThis.eval;
  const expected = globalEval(`(${expectedText})`) as unknown;
  const ok = sameValue(actual, expected, numberDigits(expectedText), { k: 0 });
  expect(ok, `${at}: got ${JSON.stringify(actual)}, the doc says ${expectedText}`).toBe(true);
}

const files = markdownFiles();
const blocks = files.flatMap((f) => extractBlocks(f, readFileSync(join(ROOT, f), "utf8")));
const tmp = mkdtempSync(join(HERE, ".docs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the code blocks of README.md and docs/", () => {
  it("finds the blocks, and every marker is a known one with a reason", () => {
    expect(blocks.length).toBeGreaterThan(20);
    for (const b of blocks) {
      if (b.marker === undefined) continue;
      expect(b.marker, `${b.file}:${b.line}: an unknown marker`).toMatch(
        /^(not run: \S.{8,}|same as: \S+|continues)$|^(?!not run|same as|continues)/,
      );
    }
    // skipped blocks stay few
    const skipped = blocks.filter((b) => b.marker?.startsWith("not run:"));
    expect(skipped.length).toBeLessThanOrEqual(8);
  });

  it("an assertion line fails when the doc is wrong", async () => {
    await expect(docCheck(async () => [1, 2], "[1, 3]", "self-test")).rejects.toThrow();
    await expect(docCheck(async () => 0.36, "0.3", "self-test")).rejects.toThrow();
    await docCheck(async () => 0.2500001, "0.25", "self-test");
    await expect(
      docCheck(
        async () => {
          throw new TypeError("x: bad");
        },
        "throws RangeError: x: bad",
        "self-test",
      ),
    ).rejects.toThrow();
  });

  // a block marked `<!-- continues -->` runs in one module with the blocks before it on its page
  const units: Block[][] = [];
  for (const b of blocks) {
    const last = units.at(-1);
    if (b.marker === "continues" && last?.[0]?.file === b.file) last.push(b);
    else units.push([b]);
  }
  let counter = 0;
  for (const unit of units) {
    const b = unit[0]!;
    const name = `${b.file}:${b.line}${unit.length > 1 ? ` (+${unit.length - 1} continuing)` : ""}`;
    const skip = SKIP.find((s) => s.file === b.file && b.code.includes(s.contains));
    if (b.marker?.startsWith("not run:") || skip) {
      it.skip(`${name} (${skip?.reason ?? b.marker})`, () => {});
      continue;
    }
    const same = /^same as: (\S+)$/.exec(b.marker ?? "");
    if (same) {
      it(`${name} is an excerpt of ${same[1]}`, () => {
        const norm = (s: string) =>
          s
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "" && l !== "// …")
            .join("\n");
        const source = norm(readFileSync(join(ROOT, same[1]!), "utf8"));
        // an excerpt may leave out lines at "// …"; every run of lines between those must be verbatim
        for (const part of b.code.split(/^\s*\/\/ …\s*$/m)) {
          const p = norm(part);
          if (p !== "") expect(source, `${name}: not in ${same[1]}:\n${p}`).toContain(p);
        }
      });
      continue;
    }
    it(`${name} runs`, { timeout: 30_000 }, async () => {
      const edgenn = await import("edgenn");
      const setup = SETUP.filter((s) => s.file === b.file && b.code.includes(s.contains)).flatMap(
        (s) => s.code.split("\n").map((text) => ({ text, at: "" })),
      );
      const dir = join(tmp, `b${counter++}`);
      mkdirSync(dir, { recursive: true });
      const lines = [...setup, ...unit.flatMap(linesOf)];
      const src = `${toModule(lines, Object.keys(edgenn), dir)}\nexport {};\n`;
      const file = join(dir, `block.${unit.some((u) => u.lang === "ts") ? "ts" : "mjs"}`);
      writeFileSync(file, src);
      const g = globalThis as { __docCheck?: typeof docCheck };
      g.__docCheck = docCheck;
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      const cwd = process.cwd();
      // a block may change global settings (limits, fallback): each starts from the same state
      const limits = edgenn.setLimits({});
      try {
        await import(/* @vite-ignore */ pathToFileURL(file).href);
      } finally {
        log.mockRestore();
        process.chdir(cwd);
        edgenn.setBackend(edgenn.cpuBackend());
        edgenn.setLimits(limits);
        edgenn.setCpuFallback(false);
      }
    });
  }
});
