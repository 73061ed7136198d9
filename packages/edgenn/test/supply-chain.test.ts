// Supply-chain checks on every published package (packages/* except the private testkit), on the
// tarball `npm pack` makes from the built package (`pnpm build` runs before the tests in CI):
//   - runtime dependencies: only workspace @edgenn/* packages that are themselves published; no
//     optional or bundled dependencies; peers only @edgenn/* and, for @edgenn/backend-gpujs only,
//     gpu.js marked optional;
//   - no install-time code: no preinstall/install/postinstall/prepare/prepublish script and no
//     binding.gyp (npm runs `node-gyp rebuild` for one even without a script);
//   - the tarball holds only dist/, src/ (when `files` lists it: the "@edgenn/source" export
//     condition points there), package.json, README and LICENSE, and no tests, tsbuildinfo or
//     dist-tsc; it has a README and a LICENSE;
//   - publint (0.3.25) on the tarball reports no error (warnings and suggestions are printed);
//   - @arethetypeswrong/core (0.18.5, the library behind `attw`) reports no problem, except the
//     one justified below.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bundleDependencies?: unknown;
  bundledDependencies?: unknown;
}

interface Problem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

interface AttwCore {
  createPackageFromTarballData(data: Uint8Array): unknown;
  checkPackage(pkg: unknown): Promise<{ types: unknown; problems?: Problem[] }>;
}

const PACKAGES_DIR = fileURLToPath(new URL("../../", import.meta.url));
const all = readdirSync(PACKAGES_DIR)
  .filter((d) => existsSync(join(PACKAGES_DIR, d, "package.json")))
  .map((d) => {
    const dir = join(PACKAGES_DIR, d);
    return { dir, pkg: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson };
  });
const published = all.filter((p) => p.pkg.private !== true);
const publishedNames = new Set(published.map((p) => p.pkg.name));

const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall", "prepare", "prepublish"];
const ALLOWED_FILE = /^(dist\/.+|src\/.+|package\.json|README(\.md)?|LICEN[CS]E(\.md|\.txt)?)$/i;
const FORBIDDEN_FILE =
  /(\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)(test|tests|__tests__)\/|\.tsbuildinfo$|^dist-tsc\/|node_modules\/|\.tgz$)/;

/**
 * The one accepted attw problem: `NoResolution` of a subpath (`@edgenn/tensor/kernels`, …) under
 * the node10 resolution (TypeScript's `moduleResolution: "node"`), which ignores `exports` and so
 * cannot see any subpath. The packages require Node >= 20.19 and document `node16`, `nodenext` or
 * `bundler` resolution; the root entry point resolves under node10 too (through `main`/`types`).
 */
function accepted(p: Problem): boolean {
  return p.kind === "NoResolution" && p.resolutionKind === "node10" && p.entrypoint !== ".";
}

let attw: AttwCore;
const packDir = mkdtempSync(join(tmpdir(), "edgenn-pack-"));

beforeAll(async () => {
  // @arethetypeswrong/core is a dependency of the installed CLI (not hoisted by pnpm): resolve it
  // from the CLI's real location, and run it in this process (one TypeScript load for all).
  const require = createRequire(import.meta.url);
  const cli = realpathSync(require.resolve("@arethetypeswrong/cli/package.json"));
  const core = createRequire(cli).resolve("@arethetypeswrong/core");
  attw = (await import(pathToFileURL(core).href)) as AttwCore;
});

afterAll(() => {
  rmSync(packDir, { recursive: true, force: true });
});

test("the published packages are every package but the private testkit", () => {
  expect(published.length).toBeGreaterThanOrEqual(8);
  expect(all.filter((p) => p.pkg.private === true).map((p) => p.pkg.name)).toEqual([
    "@edgenn/testkit",
  ]);
});

describe.each(published.map((p) => [p.pkg.name, p] as const))("%s", (name, { dir, pkg }) => {
  let tarball: Uint8Array;
  let files: string[];

  beforeAll(() => {
    // The same tarball `npm publish` would upload (scripts are not run); --json lists its files.
    const out = execFileSync(
      "npm",
      ["pack", "--json", "--ignore-scripts", "--pack-destination", packDir],
      { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
    files = info.files.map((f) => f.path).sort();
    tarball = new Uint8Array(readFileSync(join(packDir, info.filename)));
  }, 60_000);

  test("runtime dependencies: only published workspace @edgenn/* packages", () => {
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      expect(dep, `${name} depends on ${dep}`).toMatch(/^@edgenn\//);
      expect(publishedNames.has(dep), `${name} depends on unpublished ${dep}`).toBe(true);
      expect(range, `${name} → ${dep}`).toMatch(/^workspace:/);
    }
    expect(pkg.optionalDependencies ?? {}).toEqual({});
    expect(pkg.bundleDependencies ?? pkg.bundledDependencies ?? []).toEqual([]);
    for (const [peer, range] of Object.entries(pkg.peerDependencies ?? {})) {
      if (peer === "gpu.js") {
        expect(name, "gpu.js is a peer of the GPU.js backend only").toBe("@edgenn/backend-gpujs");
        expect(pkg.peerDependenciesMeta?.[peer]?.optional, "gpu.js must be optional").toBe(true);
      } else {
        expect(peer, `${name} peer ${peer}`).toMatch(/^@edgenn\//);
        expect(publishedNames.has(peer)).toBe(true);
        expect(range).toMatch(/^workspace:/);
      }
    }
  });

  test("no install scripts, no native build", () => {
    for (const script of INSTALL_SCRIPTS) {
      expect(pkg.scripts?.[script], `${name} has a "${script}" script`).toBeUndefined();
    }
    expect(existsSync(join(dir, "binding.gyp"))).toBe(false);
    expect(files).not.toContain("binding.gyp");
  });

  test("the tarball holds only built files, sources, package.json, README and LICENSE", () => {
    expect(files).toContain("package.json");
    expect(files.some((f) => f.startsWith("dist/"))).toBe(true);
    const junk = files.filter((f) => !ALLOWED_FILE.test(f) || FORBIDDEN_FILE.test(f));
    expect(junk, `${name} packs files it should not`).toEqual([]);
    // src/ ships only when `files` says so (the "@edgenn/source" export condition points there).
    if (files.some((f) => f.startsWith("src/"))) expect(pkg.files).toContain("src");
  });

  test("the tarball has a README and a LICENSE", () => {
    expect(
      files.filter((f) => /^README(\.md)?$/i.test(f)),
      `${name} has no README`,
    ).toHaveLength(1);
    expect(
      files.filter((f) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(f)),
      `${name} has no LICENSE`,
    ).toHaveLength(1);
  });

  test("publint: no errors", async () => {
    const buffer = tarball.buffer.slice(
      tarball.byteOffset,
      tarball.byteOffset + tarball.byteLength,
    ) as ArrayBuffer;
    const { messages } = await publint({ pack: { tarball: buffer }, level: "suggestion" });
    const lines = messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    if (lines.length > 0) console.log(`publint ${name}:\n  ${lines.join("\n  ")}`);
    expect(lines.filter((l) => l.startsWith("error"))).toEqual([]);
  }, 30_000);

  test("are the types wrong: no problems (but node10 subpaths)", async () => {
    const analysis = await attw.checkPackage(attw.createPackageFromTarballData(tarball));
    expect(analysis.types, `${name} ships no types`).toBeTruthy();
    const all = analysis.problems ?? [];
    const kept = all.filter(accepted).map((p) => `${p.entrypoint} (${p.resolutionKind})`);
    if (kept.length > 0) console.log(`attw ${name}: accepted NoResolution of ${kept.join(", ")}`);
    const problems = all.filter((p) => !accepted(p));
    expect(problems).toEqual([]);
  }, 30_000);
});

// The checks must be able to fail: the same predicates on known-bad inputs.
test("the file and problem filters reject what they should", () => {
  for (const bad of [
    "test/add.test.ts",
    "src/ops/add.test.ts",
    "tsconfig.tsbuildinfo",
    "dist-tsc/index.d.ts",
    "vitest.config.ts",
    "edgenn-0.1.0.tgz",
  ]) {
    expect(ALLOWED_FILE.test(bad) && !FORBIDDEN_FILE.test(bad), bad).toBe(false);
  }
  for (const good of ["dist/index.js", "src/index.ts", "package.json", "README.md", "LICENSE"]) {
    expect(ALLOWED_FILE.test(good) && !FORBIDDEN_FILE.test(good), good).toBe(true);
  }
  expect(accepted({ kind: "NoResolution", entrypoint: ".", resolutionKind: "node10" })).toBe(false);
  expect(accepted({ kind: "FalseCJS", entrypoint: "./x", resolutionKind: "node10" })).toBe(false);
  expect(accepted({ kind: "NoResolution", entrypoint: "./x", resolutionKind: "node16-esm" })).toBe(
    false,
  );
});
