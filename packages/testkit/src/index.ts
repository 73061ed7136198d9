export * from "./arbitraries.js";
export * from "./expect.js";
export * from "./reference.js";
