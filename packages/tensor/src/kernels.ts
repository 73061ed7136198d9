/**
 * The CPU kernels as plain functions over typed arrays, importable without `Tensor`:
 * `import { gemm } from '@edgenn/tensor/kernels'`.
 * @packageDocumentation
 */

export {
  type Conv2dDims,
  col2im,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  im2col,
} from "./kernels/conv.js";
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
export {
  avgPool2d,
  avgPool2dBackward,
  maxPool2d,
  maxPool2dBackward,
  type Pool2dDims,
} from "./kernels/pool.js";
export { reduce } from "./kernels/reduce.js";
export { coalesce, forEachRow } from "./kernels/strided.js";
