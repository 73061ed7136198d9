import { createGpuJsBackend } from "@edgenn/backend-gpujs";
import { conformanceCases, runConformance } from "@edgenn/testkit";
import { GPU } from "gpu.js";
import { describe, expect, it } from "vitest";
import { FLOAT_TOLERANCE, MODES } from "./modes.js";

describe.each(MODES)("conformance in gpu.js mode %s", (mode) => {
  it("every case matches the CPU backend within the declared tolerance", () => {
    const backend = createGpuJsBackend({ gpu: new GPU({ mode }), name: `gpujs-${mode}` });
    const results = runConformance(backend, FLOAT_TOLERANCE);
    expect(results.length).toBe(conformanceCases().length);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(backend.mode).toBe(mode);
  });
});
