#!/usr/bin/env bash
# Runs the WebAssembly kernel tests with relaxed SIMD enabled (Node 20 keeps it behind a V8 flag).
# V8 flags are refused in NODE_OPTIONS and vitest's default `forks` pool does not pass them on, so
# vitest itself runs under the flag with the `threads` pool (worker threads share the flag).
# EDGENN_EXPECT_RELAXED=1 makes the suite fail if the relaxed kernels did not run after all.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
EDGENN_EXPECT_RELAXED=1 exec node --experimental-wasm-relaxed-simd node_modules/vitest/vitest.mjs \
  run --pool=threads packages/tensor/test/wasm "$@"
