export { Module, type StateDict } from "./module.js";
