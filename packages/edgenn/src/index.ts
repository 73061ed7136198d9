/**
 * edgenn: a pure-TypeScript neural-network library for the edge. This umbrella package re-exports
 * every package: tensors and ops, autograd, and the `nn` and `optim` namespaces (plus `fit`,
 * `evaluate` and `predict` at the top level). Import from here, or from `@edgenn/*` for a smaller set.
 * @packageDocumentation
 */
export * from "@edgenn/autograd";
export * as nn from "@edgenn/nn";
export { evaluate, fit, predict } from "@edgenn/nn";
export * as optim from "@edgenn/optim";
export * from "@edgenn/tensor";
