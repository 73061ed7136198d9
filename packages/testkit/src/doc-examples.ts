/*
 * Runs the `@example` blocks of TSDoc comments as tests. In an example, a line
 * `expr; // expected` whose comment parses as JSON is checked (numbers within float32 rounding);
 * every other line runs as written. Names in scope: everything `api` exports.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** One example: where it is and its code lines. */
export interface DocExample {
  readonly file: string;
  readonly line: number;
  readonly code: readonly string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory()
      ? walk(p)
      : p.endsWith(".ts") && !p.endsWith(".d.ts")
        ? [p]
        : [];
  });
}

/** Every `@example` block under `srcDir`. */
export function collectDocExamples(srcDir: string): DocExample[] {
  const out: DocExample[] = [];
  for (const file of walk(srcDir)) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const m = /^\s*\*?\s*@example\s*(.*)$/.exec(lines[i]!);
      if (!m) continue;
      const code: string[] = [];
      if (m[1]) code.push(m[1]);
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (/^\s*\*\//.test(l) || /^\s*\*\s*@\w/.test(l)) break;
        code.push(l.replace(/^\s*\*\s?/, ""));
      }
      const text = code
        .join("\n")
        .replace(/\*\/.*$/s, "")
        .trim();
      if (text) out.push({ file: relative(srcDir, file), line: i + 1, code: text.split("\n") });
      i = j - 1;
    }
  }
  return out;
}

function parseExpected(s: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(s.trim()) };
  } catch {
    return { ok: false };
  }
}

function same(actual: unknown, expected: unknown): boolean {
  if (typeof expected === "number") {
    if (typeof actual === "boolean") return Number(actual) === expected;
    if (typeof actual !== "number") return false;
    return Math.abs(actual - expected) <= 1e-6 + 1e-5 * Math.abs(expected);
  }
  if (Array.isArray(expected)) {
    const a = ArrayBuffer.isView(actual)
      ? Array.from(actual as unknown as ArrayLike<number>)
      : actual;
    return (
      Array.isArray(a) && a.length === expected.length && expected.every((e, i) => same(a[i], e))
    );
  }
  return actual === expected;
}

/**
 * Runs one example with `api` in scope; throws with the file and line when a checked line differs.
 * Returns how many lines were checked (a promise when the example uses `await`).
 */
export function runDocExample(
  ex: DocExample,
  api: Record<string, unknown>,
): number | Promise<number> {
  let checks = 0;
  const body = ex.code
    .map((l) => {
      const m = /^(.*?);\s*\/\/\s*(.+)$/.exec(l);
      if (!m || m[1]!.trim().startsWith("const ") || m[1]!.trim().startsWith("let ")) return l;
      const exp = parseExpected(m[2]!);
      if (!exp.ok) return l;
      checks++;
      return `__check(${m[1]}, ${JSON.stringify(exp.value)}, ${JSON.stringify(l.trim())});`;
    })
    .join("\n");
  const check = (actual: unknown, expected: unknown, line: string): void => {
    if (!same(actual, expected)) {
      throw new Error(
        `${ex.file}:${ex.line} example line \`${line}\` gave ${JSON.stringify(actual)}`,
      );
    }
  };
  const names = Object.keys(api).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k));
  // test-only: the example text is code the repository wrote, run like a REPL session; the block
  // lets an example declare a name that is also in scope
  const isAsync = /\bawait\b/.test(body);
  const Ctor = isAsync
    ? (Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor)
    : Function;
  const fn = new Ctor(...names, "__check", `{\n${body}\n}`);
  const result = fn(...names.map((k) => api[k]), check);
  return isAsync ? (result as Promise<void>).then(() => checks) : checks;
}
