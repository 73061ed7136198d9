import * as T from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

const a = (): T.Tensor =>
  T.tensor([
    [0.5, -1, 2],
    [3, -0.25, 1.5],
  ]);
const b = (): T.Tensor => T.tensor([2, 0.5, -1]);

// [method, extra arguments]: each method must equal the function of the same name with `this` first
const cases: [string, unknown[]][] = [
  ["add", [b()]],
  ["sub", [b()]],
  ["mul", [b()]],
  ["div", [b()]],
  ["pow", [2]],
  ["maximum", [b()]],
  ["minimum", [b()]],
  ["equal", [b()]],
  ["greater", [b()]],
  ["less", [b()]],
  ["greaterEqual", [b()]],
  ["lessEqual", [b()]],
  ["neg", []],
  ["abs", []],
  ["exp", []],
  ["square", []],
  ["sign", []],
  ["relu", []],
  ["sigmoid", []],
  ["tanh", []],
  ["softplus", []],
  ["sum", [1, true]],
  ["mean", [0]],
  ["max", [1]],
  ["min", [[0, 1]]],
  ["argmax", [1]],
  ["clip", [0, 1]],
  ["leakyRelu", [0.1]],
  ["softmax", [0]],
  ["logSoftmax", []],
  ["matmul", [T.ones([3, 2])]],
  ["reshape", [[3, 2]]],
  ["transpose", [[1, 0]]],
  ["expand", [[2, 2, 3]]],
  ["flatten", [0]],
  ["squeeze", []],
  ["unsqueeze", [0]],
  [
    "slice",
    [
      [0, 1],
      [1, 3],
    ],
  ],
  ["gather", [[1, 0], 1]],
  ["cast", ["int32"]],
  ["clone", []],
];

describe("Tensor methods", () => {
  it.each(cases)("%s matches the function", (name, args) => {
    T.tidy(() => {
      const viaMethod = (a() as unknown as Record<string, (...x: unknown[]) => T.Tensor>)[name]!(
        ...args,
      );
      const viaFunction = (T as unknown as Record<string, (...x: unknown[]) => T.Tensor>)[name]!(
        a(),
        ...args,
      );
      expect(viaMethod.shape).toEqual(viaFunction.shape);
      expect(viaMethod.dtype).toBe(viaFunction.dtype);
      expect(Array.from(viaMethod.dataSync())).toEqual(Array.from(viaFunction.dataSync()));
    });
  });

  it("log and sqrt methods work on positive input", () => {
    expect(T.tensor([1, 4]).sqrt().toArray()).toEqual([1, 2]);
    expect(T.tensor([1]).log().toArray()).toEqual([0]);
  });
});
