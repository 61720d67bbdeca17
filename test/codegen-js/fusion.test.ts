/** @file Fusion patterns on the js backend: every fused golden graph, and DSL programs, equal the interpreter; no region is split. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, type Graph, type NDArray } from "../../src/ir/index.js";
import { lowerStages, type Stages } from "../../src/passes/pipeline.js";
import { JsExecutable, jsBackend } from "../../src/runtime/js.js";
import * as G from "../../src/index.js";
import { Cell, checkAgainstInterpreter, expectClose, randomArray, rng } from "./harness.js";

const GOLDEN = join(__dirname, "..", "golden");

/** Random inputs and state for a graph: floats, and small non-negative ints (they are often indices). */
function argsFor(g: Graph, seed: number): { inputs: NDArray[]; state: NDArray[] } {
  const r = rng(seed);
  const gen = (v: Graph["inputs"][number]): NDArray => randomArray(v.type, v.dtype === "i32" ? { idx: 3 } : v.dtype === "bool" ? "bool" : "float", r);
  return { inputs: g.inputs.map(gen), state: g.state.map((s) => gen(s.value)) };
}

function compileNotes(stages: Stages): readonly string[] {
  return (jsBackend.compile(stages, {}) as JsExecutable).program.notes;
}

describe("golden fusion patterns", () => {
  const files = ["fuse", "memory"].flatMap((d) => readdirSync(join(GOLDEN, d)).filter((f) => f.endsWith(".ir")).map((f) => join(d, f)));
  it("found the golden files", () => expect(files.length).toBeGreaterThanOrEqual(10));
  for (const file of files) {
    it(file, () => {
      const text = readFileSync(join(GOLDEN, file), "utf8");
      const [input, expected] = text.split("\n// ----\n");
      const graphs: Graph[] = [parse(input!)];
      // the expected side is itself a fused graph when the golden prints IR
      if (!/^\/\/ print: /m.test(input!)) graphs.push(parse(expected!));
      graphs.forEach((g, k) => {
        const { inputs, state } = argsFor(g, 17 + k);
        checkAgainstInterpreter(g, inputs, state);
        const fused = k === 1 ? { traced: g } : lowerStages(g);
        expect(compileNotes(fused), "every fusion region compiles as one kernel").toEqual([]);
      });
    });
  }
});

/** Runs a DSL step on js and on the interpreter from the same variable values; compares outputs and variables. */
function sameAsInterpreter(make: () => { step: (...a: G.Tensor[]) => unknown; vars: G.Variable[] }, args: G.Tensor[], steps = 2): string {
  const a = make();
  const b = make();
  const fj = G.fn(a.step, { backend: "js" });
  const fi = G.fn(b.step, { backend: "interp" });
  for (let s = 0; s < steps; s++) {
    const oj = fj(...args);
    const oi = fi(...args);
    const list = (o: unknown): unknown[] => (o === undefined ? [] : Array.isArray(o) ? o : [o]);
    const lj = list(oj);
    const li = list(oi);
    li.forEach((t, i) => expectClose((lj[i] as G.Tensor).nd, (t as G.Tensor).nd, `step ${s} output ${i}`));
    b.vars.forEach((v, i) => expectClose(a.vars[i]!.read(), v.read(), `step ${s} variable ${v.name}`));
  }
  const notes = (jsBackend.compile({ traced: fj.graph("traced"), fused: fj.graph("fused") }, {}) as JsExecutable).program.notes;
  expect(notes).toEqual([]);
  return fj.source();
}

describe("DSL programs", () => {
  const r = rng(3);
  const rand = (shape: number[], fill: "float" | "pos" = "float") => new G.Tensor({ nd: randomArray({ dtype: "f32", shape }, fill, r) });

  it("the elementwise chain with a mean over the last axis is one loop nest", () => {
    const x = rand([16, 32]);
    const src = sameAsInterpreter(() => ({ step: (t) => G.mean(G.tanh(t.mul(0.5).add(0.1)).mul(t).add(G.relu(t.sub(0.2)).mul(0.3)), -1), vars: [] }), [x]);
    expect(src.match(/^function k\d+/gm)).toHaveLength(1);
    expect(src).toMatch(/Math\.tanh/);
  });

  it("softmax cross-entropy: row max, exp-sum with epilogue, and the rest", () => {
    const x = rand([8, 10]);
    const y = G.tensor(Int32Array.from({ length: 8 }, (_, i) => i % 10), [8], "i32");
    sameAsInterpreter(() => ({ step: (z, lab) => G.mean(G.sum(G.oneHot(lab, 10).mul(G.logSoftmax(z)), -1).neg()), vars: [] }), [x, y]);
  });

  it("column reductions, keepDims and broadcast back (batch norm style)", () => {
    const x = rand([12, 5]);
    sameAsInterpreter(() => ({
      step: (t) => {
        const mu = G.mean(t, 0, true);
        const d = t.sub(mu);
        return d.div(G.sqrt(G.mean(d.square(), 0, true).add(1e-5)));
      },
      vars: [],
    }), [x]);
  });

  it("matmul with bias and relu epilogue, gradients and an in-place Adam-like update", () => {
    const x = rand([6, 7]);
    const make = () => {
      const w = G.variable(new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [7, 5] }, "float", rng(5)) }), { name: "w" });
      const bias = G.variable(G.zeros([5]), { name: "bias" });
      const m = G.variable(G.zeros([7, 5]), { name: "m" });
      const step = (t: G.Tensor) => {
        const loss = G.mean(G.relu(G.matmul(t, w).add(bias)).square());
        const [gw, gb] = G.gradients(loss, [w, bias]);
        const mn = m.mul(0.9).add(gw!.mul(0.1));
        m.assign(mn);
        w.assign(w.sub(mn.mul(0.01)));
        bias.assign(bias.sub(gb!.mul(0.01)));
        return loss;
      };
      return { step, vars: [w, bias, m] };
    };
    sameAsInterpreter(make, [x], 3);
  });

  it("the seed's sign-agreement update with its first-step flag as state", () => {
    const g = rand([20]);
    const make = () => {
      const v = G.variable(new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [20] }, "float", rng(9)) }), { name: "var" });
      const pv = G.variable(G.zeros([20]), { name: "pv" });
      const pg = G.variable(G.zeros([20]), { name: "pg" });
      const it = G.variable(G.tensor(0), { name: "iter" });
      const step = (grad: G.Tensor) => {
        const m = v.sub(grad.mul(0.1));
        const agree = G.greaterEqual(grad.mul(pg), 0);
        const next = G.where(G.equal(it, 0), m, G.where(agree, m, pv.add(v).div(2)));
        pv.assign(v);
        pg.assign(grad);
        v.assign(next);
        it.assign(it.add(1));
        return next;
      };
      return { step, vars: [v, pv, pg, it] };
    };
    sameAsInterpreter(make, [g], 3);
  });

  it("views inside bodies: expandDims, squeeze and broadcastTo of inputs", () => {
    const x = rand([4, 6]);
    const b = rand([6]);
    sameAsInterpreter(() => ({
      step: (t, u) => G.sum(t.mul(G.broadcastTo(G.expandDims(u, 0), [4, 6])).add(G.expandDims(G.squeeze(G.expandDims(u, 0), [0]), 0)), 1),
      vars: [],
    }), [x, b]);
  });

  it("a reduction whose prologue value is also an output", () => {
    const x = rand([5, 9]);
    sameAsInterpreter(() => ({
      step: (t) => {
        const e = G.exp(t.sub(1));
        return [e, G.sum(e, -1)];
      },
      vars: [],
    }), [x]);
  });
});

describe("the state rules", () => {
  it("swapping two variables through assigns reads the old values", () => {
    const b = new G.ir.Builder("swap");
    const a = b.stateParam({ dtype: "f32", shape: [3] }, "a");
    const c = b.stateParam({ dtype: "f32", shape: [3] }, "c");
    b.assign(a, c).assign(c, a);
    const g = b.finish();
    const exec = jsBackend.compile({ traced: g }, {});
    const ca = new Cell("a", G.ir.nd("f32", [3], [1, 2, 3]));
    const cc = new Cell("c", G.ir.nd("f32", [3], [4, 5, 6]));
    exec.run([], [ca, cc]);
    expect([...ca.a.data]).toEqual([4, 5, 6]);
    expect([...cc.a.data]).toEqual([1, 2, 3]);
  });

  it("an update written in place over a state that is also returned keeps the returned old value", () => {
    const b = new G.ir.Builder("ret_old");
    const x = b.input({ dtype: "f32", shape: [4] });
    const w = b.stateParam({ dtype: "f32", shape: [4] }, "w");
    b.output(w);
    b.assign(w, b.o.add(w, x));
    const g = b.finish();
    const { inputs, state } = argsFor(g, 2);
    checkAgainstInterpreter(g, inputs, state);
  });
});

describe("regions the emitter refuses", () => {
  it("are split into their body's nodes, with the reason noted, and still compute the same", () => {
    // a hand-made "elementwise" region with a transpose inside (outside the contract: data moves)
    const body = new G.ir.Builder("odd");
    const bx = body.input({ dtype: "f32", shape: [3, 3] });
    const by = body.input({ dtype: "f32", shape: [3, 3] });
    body.output(body.o.add(body.emit("transpose", [bx], { perm: [1, 0] }), by));
    const b = new G.ir.Builder("split");
    const x = b.input({ dtype: "f32", shape: [3, 3] });
    const w = b.stateParam({ dtype: "f32", shape: [3, 3] }, "w");
    const pw = b.stateParam({ dtype: "f32", shape: [3, 3] }, "prev_w");
    const [y] = b.emitMulti("fusion", [x, w], { kind: "elementwise", name: "transpose_add" }, undefined, body.finish());
    b.output(y!);
    b.assign(w, y!).assign(pw, w);
    const g = b.finish();
    const { inputs, state } = argsFor(g, 5);
    const exec = jsBackend.compile({ traced: g }, {}) as JsExecutable;
    expect(exec.program.notes.join("\n")).toMatch(/transpose_add.*split into 2 kernels: transpose cannot be part of a fused loop/);
    expect(exec.source()).toMatch(/\/\/ note: fusion "transpose_add"/);
    checkAgainstInterpreter(g, inputs, state);
  });
});

describe("hand-built regions with tricky alignment", () => {
  /** One fusion node around `make(body, inputs)`; the graph returns its outputs. */
  function region(kind: string, ins: { dtype: "f32"; shape: number[] }[], make: (b: G.ir.Builder, xs: G.ir.Value[]) => G.ir.Value[]): Graph {
    const body = new G.ir.Builder("body");
    const bx = ins.map((t) => body.input(t));
    body.output(...make(body, bx));
    const b = new G.ir.Builder("outer");
    const xs = ins.map((t) => b.input(t));
    b.output(...b.emitMulti("fusion", xs, { kind, name: "tricky" }, undefined, body.finish()));
    return b.finish();
  }
  const check = (g: Graph, seed: number) => {
    const { inputs } = argsFor(g, seed);
    checkAgainstInterpreter(g, inputs);
    expect(compileNotes({ traced: g })).toEqual([]);
  };

  it("a [4] input broadcast over the reduced axis in the prologue, another [4] over the kept axis after", () => {
    const g = region("reduce", [{ dtype: "f32", shape: [4, 4] }, { dtype: "f32", shape: [4] }, { dtype: "f32", shape: [4] }], (b, [x, e, r]) => {
      const s = b.emit("sum", [b.o.mul(x!, e!)], { axes: [1], keepDims: false });
      return [b.o.add(s, r!)];
    });
    check(g, 1);
  });

  it("keepDims reductions with a [4,1] epilogue input, two reductions and a prologue output", () => {
    const g = region("reduce", [{ dtype: "f32", shape: [4, 6] }, { dtype: "f32", shape: [4, 1] }], (b, [x, c]) => {
      const e = b.o.exp(b.o.sub(x!, c!));
      const s = b.emit("sum", [e], { axes: [1], keepDims: true });
      const m = b.emit("max", [e], { axes: [1], keepDims: true });
      return [e, b.o.div(s, b.o.add(m, c!))];
    });
    check(g, 2);
  });

  it("a reduction over the leading axes of a 3-D domain with a broadcast middle input", () => {
    const g = region("reduce", [{ dtype: "f32", shape: [3, 4, 5] }, { dtype: "f32", shape: [4, 1] }], (b, [x, c]) => {
      const s = b.emit("sum", [b.o.mul(x!, c!)], { axes: [0, 1], keepDims: false });
      return [b.o.sqrt(b.o.abs(s))];
    });
    check(g, 3);
  });

  it("a matmul epilogue with a broadcast input and two outputs, one in the product's place", () => {
    const g = region("matmul", [{ dtype: "f32", shape: [2, 3, 4] }, { dtype: "f32", shape: [4, 5] }, { dtype: "f32", shape: [3, 1] }], (b, [a, w, c]) => {
      const p = b.emit("matmul", [a!, w!], { transposeA: false, transposeB: false });
      return [b.o.tanh(b.o.add(p, c!)), b.o.mul(p, 2)];
    });
    check(g, 4);
  });
});

describe("matmul updates in row blocks", () => {
  it("an update of state from a product runs block by block, with a partial last block", () => {
    const a = new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [10, 3] }, "float", rng(21)) });
    const bm = new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [3, 4096] }, "float", rng(22)) });
    const make = () => {
      const m = G.variable(G.zeros([10, 4096]), { name: "m" });
      const w = G.variable(new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [10, 4096] }, "float", rng(23)) }), { name: "w" });
      const step = (x: G.Tensor, y: G.Tensor) => {
        const mn = m.mul(0.9).add(G.matmul(x, y).mul(0.1));
        m.assign(mn);
        w.assign(w.sub(mn.mul(0.01)));
      };
      return { step, vars: [m, w] };
    };
    const src = sameAsInterpreter(make, [a, bm], 2);
    // 4096 columns: blocks of 4 rows, so 10 rows are 4 + 4 + 2
    expect(src).toMatch(/4 rows of the product at a time/);
    expect(src).toMatch(/if \(rows === 4\)/);
    expect(src).not.toMatch(/\.set\(/);
  });

  it("an update of the matmul's own operand is not written in place while later blocks still read it", () => {
    const a = new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [10, 10] }, "float", rng(31)) });
    const make = () => {
      const w = G.variable(new G.Tensor({ nd: randomArray({ dtype: "f32", shape: [10, 4096] }, "float", rng(32)) }), { name: "w" });
      return { step: (x: G.Tensor) => void w.assign(w.sub(G.matmul(x, w).mul(0.1))), vars: [w] };
    };
    expect(sameAsInterpreter(make, [a], 2)).toMatch(/4 rows of the product at a time/);
  });
});
