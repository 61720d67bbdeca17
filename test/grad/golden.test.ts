/** @file Golden IR of gradients: the traced stage (with `grad` markers) and the grad stage, for small functions.
 * Bless with UPDATE_GOLDEN=1 and review the diff. Each file is also an IR-in/IR-out test of the grad pass alone. */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { customGradient, fn, gradients, grad, ir, tensor, variable, type Tensor } from "../../src/index.js";
import { expandGradients } from "../../src/passes/grad.js";
import { expectGolden, sections } from "../ir/golden.js";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "golden", "grad");
const noLoc = { locs: false } as const;

const w = variable(tensor([[0.5, -0.5], [1, 2], [0, 1]]), { name: "w" });
const scale = customGradient((x: Tensor) => ({ value: x.mul(3), gradFunc: (dy: Tensor) => dy.mul(3) }));

const CASES: [string, (...a: Tensor[]) => unknown, Tensor[]][] = [
  // d sum(exp x) = exp x: the gradient multiplies by the forward output, no second exp
  ["exp", (x) => gradients(x!.exp().sum(), x!), [tensor([1, 2, 3])]],
  // dA = dY B^T, dB = A^T dY: two matmuls with transpose flags, no transpose nodes
  ["matmul", (a, b) => gradients(a!.matmul(b!).sum(), [a!, b!]), [tensor([[1, 2, 3], [4, 5, 6]]), tensor([[1, 0], [0, 1], [1, 1]])]],
  // a broadcast bias gets its cotangent summed back over the batch axis
  ["bias-broadcast", (x, b) => gradients(x!.add(b!).tanh().sum(), b!), [tensor([[1, 2], [3, 4], [5, 6]]), tensor([0.1, 0.2])]],
  // x used twice: cotangents accumulate with one add
  ["reuse", (x) => gradients(x!.mul(x!.sin()).sum(), x!), [tensor([0.5, 1])]],
  // a training step: gradient with respect to a variable's state parameter, then assign
  ["sgd-step", (x) => {
    const loss = x!.matmul(w).square().mean();
    const g = gradients(loss, w);
    w.assign(w.sub(g.mul(0.1)));
    return loss;
  }, [tensor([[1, 2, 3]])]],
  // the user's gradFunc is the body of custom_grad; the grad stage inlines it
  ["custom-gradient", (x) => gradients(scale(x!).square().sum(), x!), [tensor([1, -1])]],
  // second derivative: the inner marker is expanded first, then differentiated
  ["second-order", (x) => grad((t: Tensor) => (grad((u: Tensor) => u.sin().sum())(t) as Tensor).sum())(x!), [tensor([0.5, 1])]],
];

describe("golden gradient IR", () => {
  it.each(CASES)("%s", (name, step, args) => {
    const f = fn(step as (...a: Tensor[]) => unknown, { backend: "interp", name });
    f(...args);
    const traced = f.ir("traced", noLoc);
    const graded = f.ir("grad", noLoc);
    expectGolden(path.join(DIR, `${name}.txt`), sections([["traced", traced], ["grad", graded]]));
    // the pass alone, on parsed text: IR in, IR out
    expect(ir.print(expandGradients(ir.parse(traced)), noLoc)).toBe(graded);
  });

  it("exp's gradient reuses the forward exp; matmul's is two transposed-flag matmuls", () => {
    const e = fn(CASES[0]![1] as (x: Tensor) => Tensor, { backend: "interp" });
    e(tensor([1, 2]));
    expect(e.ir("grad", noLoc).match(/= exp /g)).toHaveLength(1);
    const m = fn(CASES[1]![1] as (a: Tensor, b: Tensor) => Tensor[], { backend: "interp" });
    m(tensor([[1, 2]]), tensor([[1], [2]]));
    const text = m.ir("grad", noLoc);
    expect(text).toMatch(/matmul %\d+, %1 \{transposeA=false, transposeB=true\}/);
    expect(text).toMatch(/matmul %0, %\d+ \{transposeA=true, transposeB=false\}/);
    expect(text).not.toMatch(/= transpose /);
  });
});
