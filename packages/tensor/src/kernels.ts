/**
 * The CPU kernels as plain functions over typed arrays, importable without `Tensor`:
 * `import { gemm } from '@edgenn/tensor/kernels'`.
 * @packageDocumentation
 */
export {
  type ArrayView,
  binary,
  cast,
  copy,
  erf,
  roundHalfEven,
  sigmoid,
  softplus,
  unary,
  where,
} from "./kernels/elementwise.js";
export { gather, scatterAdd } from "./kernels/gather.js";
export { gemm } from "./kernels/gemm.js";
export { reduce } from "./kernels/reduce.js";
export { coalesce, forEachRow } from "./kernels/strided.js";
