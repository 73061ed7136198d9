export * from "./alloc.js";
export * from "./arbitraries.js";
export * from "./conformance.js";
export * from "./doc-examples.js";
export * from "./expect.js";
export * from "./reference.js";
