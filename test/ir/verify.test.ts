/** @file The verifier on hand-broken graphs (nodes made without the builder), with golden messages. */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { Builder, Graph, Value, verify, VerifyError, type Assign, type Node, type OpName, type StateParam, type TensorType } from "../../src/ir/index.js";
import { errorOf, expectGolden, sections } from "./golden.js";

const f32 = (...shape: number[]): TensorType => ({ dtype: "f32", shape });

/** Builds graphs node by node with no checks at all, so each case can break one invariant. */
class Raw {
  private id = 0;
  val(t: TensorType): Value {
    return new Value(this.id++, t);
  }
  node(op: string, inputs: Value[], outTypes: TensorType[], attrs: Record<string, unknown> = {}, body?: Graph): Node {
    const outputs: Value[] = [];
    const n: Node = { op: op as OpName, inputs, attrs: attrs as Node["attrs"], outputs, ...(body ? { body } : {}) };
    outTypes.forEach((t, i) => outputs.push(new Value(this.id++, t, n, i)));
    return n;
  }
  graph(inputs: Value[], nodes: Node[], outputs: Value[], state: StateParam[] = [], assigns: Assign[] = []): Graph {
    return new Graph("broken", inputs, state, nodes, outputs, assigns);
  }
}

/** Each case returns a graph that breaks exactly one invariant. */
const CASES: Record<string, () => Graph> = {
  "use before def": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const a = r.node("neg", [x], [f32(2)]);
    const b = r.node("exp", [a.outputs[0]!], [f32(2)]);
    return r.graph([x], [b, a], [b.outputs[0]!]);
  },
  "wrong declared shape": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("add", [x, x], [f32(3)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "wrong declared dtype (a comparison is bool)": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("less", [x, x], [f32(2)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "arity": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("add", [x], [f32(2)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "bad attribute value": () => {
    const r = new Raw();
    const x = r.val(f32(2, 3));
    const n = r.node("sum", [x], [f32(2)], { axes: "1", keepDims: false });
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "unknown attribute": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("exp", [x], [f32(2)], { fast: true });
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "missing attribute": () => {
    const r = new Raw();
    const x = r.val(f32(6));
    const n = r.node("reshape", [x], [f32(2, 3)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "operands that do not type-check (shapes)": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const y = r.val(f32(3));
    const n = r.node("mul", [x, y], [f32(3)]);
    return r.graph([x, y], [n], [n.outputs[0]!]);
  },
  "operands that do not type-check (f32 with i32)": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const y = r.val({ dtype: "i32", shape: [2] });
    const n = r.node("add", [x, y], [f32(2)]);
    return r.graph([x, y], [n], [n.outputs[0]!]);
  },
  "wrong number of outputs": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("neg", [x], [f32(2), f32(2)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "unknown op": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("frobnicate", [x], [f32(2)]);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "value defined twice": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("neg", [x], [f32(2)]);
    return r.graph([x], [n, n], [n.outputs[0]!]);
  },
  "output does not point back to its node": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const other = r.node("exp", [x], [f32(2)]);
    const n: Node = { op: "neg", inputs: [x], attrs: {}, outputs: [other.outputs[0]!] };
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "returned value not defined": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const stray = r.node("neg", [x], [f32(2)]);
    return r.graph([x], [], [stray.outputs[0]!]);
  },
  "assign type mismatch": () => {
    const r = new Raw();
    const x = r.val(f32(3));
    const w = r.val(f32(2));
    const n = r.node("neg", [x], [f32(3)]);
    return r.graph([x], [n], [], [{ value: w, name: "w", trainable: true }], [{ state: w, value: n.outputs[0]! }]);
  },
  "double assign": () => {
    const r = new Raw();
    const w = r.val(f32(2));
    const n = r.node("neg", [w], [f32(2)]);
    const m = r.node("exp", [w], [f32(2)]);
    return r.graph([], [n, m], [], [{ value: w, name: "w", trainable: true }], [{ state: w, value: n.outputs[0]! }, { state: w, value: m.outputs[0]! }]);
  },
  "assign to something that is not state": () => {
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("neg", [x], [f32(2)]);
    return r.graph([x], [n], [], [], [{ state: x, value: n.outputs[0]! }]);
  },
  "assigned value not defined": () => {
    const r = new Raw();
    const w = r.val(f32(2));
    const stray = r.node("neg", [w], [f32(2)]);
    return r.graph([], [], [], [{ value: w, name: "w", trainable: true }], [{ state: w, value: stray.outputs[0]! }]);
  },
  "broken fusion body (checked recursively)": () => {
    const r = new Raw();
    const bx = r.val(f32(2));
    const bn = r.node("neg", [bx], [f32(2)]);
    const bm = r.node("exp", [bn.outputs[0]!], [f32(2)]);
    const body = new Graph("k", [bx], [], [bm, bn], [bm.outputs[0]!], []);
    const x = r.val(f32(2));
    const n = r.node("fusion", [x], [f32(2)], { kind: "elementwise", name: "k" }, body);
    return r.graph([x], [n], [n.outputs[0]!]);
  },
  "fusion body that does not match its operands": () => {
    const b = new Builder("k");
    const bx = b.input(f32(3));
    b.output(b.o.neg(bx));
    const r = new Raw();
    const x = r.val(f32(2));
    const n = r.node("fusion", [x], [f32(3)], { kind: "elementwise", name: "k" }, b.finish());
    return r.graph([x], [n], [n.outputs[0]!]);
  },
};

describe("verifier", () => {
  it("rejects each hand-broken graph with the golden message", () => {
    const results = Object.entries(CASES).map(([name, make]) => {
      const g = make();
      let err: unknown;
      try {
        verify(g);
      } catch (e) {
        err = e;
      }
      // every case must be caught, and as a VerifyError (not a crash inside the verifier)
      expect(err, name).toBeInstanceOf(VerifyError);
      return [name, errorOf(() => verify(g))] as const;
    });
    expectGolden(path.join(__dirname, "golden", "verify-errors.txt"), sections(results));
  });

  it("the builder refuses what the verifier would reject (arity, attributes, types), with the node's location", () => {
    const b = new Builder("b");
    const x = b.input(f32(2, 3));
    expect(() => b.emit("add", [x])).toThrow("add: expects 2 input(s), got 1");
    expect(() => b.emit("sum", [x], { axes: [0.5] }, "m.ts:1")).toThrow("sum: attribute 'axes' of sum must be a list of integers, got [0.5]\n  at m.ts:1");
    expect(() => b.emit("exp", [x], { fast: true } as never)).toThrow("exp: unknown attribute 'fast' for exp");
    expect(() => b.emit("reshape", [x], {})).toThrow("reshape: reshape needs attribute 'shape' (ints)");
    expect(() => b.emit("reshape", [x], { shape: [4] })).toThrow("reshape: cannot reshape f32[2,3] (6 elements) to [4]");
    // dtype attributes are stored in canonical spelling
    expect(b.emit("cast", [x], { dtype: "int32" as never }).dtype).toBe("i32");
    expect(b.finish().nodes.at(-1)!.attrs.dtype).toBe("i32");
  });

  it("accepts what the builder makes", () => {
    const b = new Builder("ok");
    const x = b.input(f32(2, 3));
    const w = b.stateParam(f32(3), "w");
    const y = b.emit("sum", [b.o.mul(x, w)], { axes: [1] });
    b.assign(w, b.o.add(w, 1));
    b.output(y);
    const g = b.finish();
    expect(verify(g)).toBe(g);
  });
});
