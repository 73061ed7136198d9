export * from "./arbitraries.js";
export * from "./expect.js";
export * from "./reference.js";
export * from './doc-examples.js';
export * from './conformance.js';
