/**
 * edgenn: a pure-TypeScript neural-network library for the edge. This umbrella package re-exports
 * every package (tensors and ops, autograd); import from here, or from `@edgenn/*` for a smaller set.
 * @packageDocumentation
 */
export * from "@edgenn/autograd";
export * from "@edgenn/tensor";
