/** @file Algebraic simplification: identities, involutions, movement chains, broadcasts, reductions of broadcasts.
 *
 * Every rule here gives the same result as the original on every input, NaN, Inf and signed
 * zeros included, up to float rounding. Rules that do change NaN/Inf results are marked
 * `onlyIf: fastMath` and off by default: x*0 -> 0 (NaN*0 is NaN, Inf*0 is NaN), x-x -> 0, and
 * x + (+0) -> x (-0 + +0 is +0, and 1/x then tells +Inf from -Inf; x + (-0) -> x is always exact).
 */
import { isFloat, numStr, opDef, sameShape, sizeOf, type DType, type Graph, type Node, type OpName, type Value } from "../ir/index.js";
import { CUSTOM_GRAD, GRAD_MARKER } from "./grad.js";
import { K, any, op, opB, rulePass, splatOf, x, y, type Match, type Rule, type RuleEnv } from "./rewrite.js";

const rule = (name: string, why: string, pat: Rule["pat"], to: Rule["to"], onlyIf?: Rule["onlyIf"]): Rule => ({ name, why, pat, to, ...(onlyIf ? { onlyIf } : {}) });
const fast = (o: { fastMath?: boolean }): boolean => !!o.fastMath;

/** Units: `op(x, unit) == x` for every x (the right side only, unless the op is commutative). */
const UNITS: readonly { readonly op: OpName; readonly unit: number }[] = [
  { op: "add", unit: -0 },
  { op: "sub", unit: 0 },
  { op: "mul", unit: 1 },
  { op: "div", unit: 1 },
  { op: "pow", unit: 1 },
  { op: "maximum", unit: -Infinity },
  { op: "minimum", unit: Infinity },
];

/** Ops that are their own inverse. */
const INVOLUTIONS: readonly OpName[] = ["neg", "logical_not"];

/** Movement ops that map a splat constant to a splat constant (every output element is some input element). */
const SPLAT_PRESERVING: readonly OpName[] = ["broadcast_to", "reshape", "transpose", "slice"];

/** Casts through a wider type and back: the round trip is exact. */
const EXACT_WIDENING: Readonly<Record<DType, readonly DType[]>> = { f32: ["f64"], i32: ["f64"], bool: ["i32", "f32", "f64"], f64: [] };

/** Reductions by what reducing copies of one value gives: sum multiplies by the count, the rest keep it. */
const REDUCE_OF_COPIES: Partial<Record<OpName, "times-count" | "same">> = { sum: "times-count", mean: "same", max: "same", min: "same" };

/**
 * Sums start from +0 (the interpreter's and the kernels' init), so a sum of -0s is +0: where a
 * rewrite replaces a sum or mean by the value itself, `+ 0` keeps that (x + 0 is x for every
 * other x, and maps -0 to +0). Integers have no -0.
 */
const SUMS_FROM_ZERO = new Set<OpName>(["sum", "mean"]);
const asSum = (b: RuleEnv["b"], r: Node, v: Value): Value => (SUMS_FROM_ZERO.has(r.op) && isFloat(v.dtype) ? b.o.add(v, b.constant(0, v.dtype)) : v);

const axesOf = (n: Node): readonly number[] => n.attrs["axes"] as readonly number[];
const keepOf = (n: Node): boolean => n.attrs["keepDims"] as boolean;
const permOf = (n: Node): readonly number[] => n.attrs["perm"] as readonly number[];
const isIdentityPerm = (p: readonly number[]): boolean => p.every((a, i) => a === i);
const reduceOut = (inShape: readonly number[], axes: readonly number[], keep: boolean): number[] =>
  keep ? inShape.map((d, i) => (axes.includes(i) ? 1 : d)) : inShape.filter((_, i) => !axes.includes(i));

/** A reshape whose only effect is adding leading size-1 axes: NumPy broadcasting does that by itself. */
const isLeadingUnitReshape = (n: Node): boolean => {
  const from = n.inputs[0]!.shape;
  const to = n.outputs[0]!.shape;
  const lead = to.length - from.length;
  return lead >= 0 && to.slice(0, lead).every((d) => d === 1) && sameShape(to.slice(lead), from);
};
const BROADCAST_VIEWS = new Set<OpName>(["broadcast_to"]);

/** elementwise(broadcast_to(s), ...) -> elementwise(s, ...) when implicit broadcasting gives the same result type. */
function elideBroadcasts(m: Match, env: RuleEnv): Value | undefined {
  const n = m.n["e"]!;
  let changed = false;
  const ins = n.inputs.map((v) => {
    const d = v.def;
    if (d && (BROADCAST_VIEWS.has(d.op) || (d.op === "reshape" && isLeadingUnitReshape(d)))) return (changed = true), d.inputs[0]!;
    return v;
  });
  if (!changed) return undefined;
  try {
    return env.b.emit(n.op, ins, n.attrs as never);
  } catch {
    return undefined; // the operands no longer broadcast together: keep the explicit broadcast
  }
}

/** reduce(broadcast_to(x, S)) over axes that only the broadcast created: x (times the count, for sum). */
function reduceOfBroadcast(m: Match, env: RuleEnv): Value | undefined {
  const r = m.n["r"]!;
  const how = REDUCE_OF_COPIES[r.op];
  const src = m.v["x"]!;
  if (!how) return undefined;
  const S = r.inputs[0]!.shape;
  const off = S.length - src.shape.length;
  const full = [...new Array<number>(off).fill(1), ...src.shape];
  const axes = axesOf(r);
  if (!axes.every((i) => full[i] === 1)) return undefined;
  const b = env.b;
  let v = b.emit("reshape", [src], { shape: reduceOut(full, axes, keepOf(r)) });
  const out = r.outputs[0]!.shape;
  if (!sameShape(v.shape, out)) v = b.emit("broadcast_to", [v], { shape: [...out] });
  const count = sizeOf(axes.map((i) => S[i]!));
  return asSum(b, r, how === "same" || count === 1 ? v : b.o.mul(v, b.constant(count, src.dtype)));
}

/** No gradient marker is left to expand: only then is a gradient barrier just the identity. */
const autodiffDone = (g: Graph): boolean => !g.nodes.some((n) => n.op === GRAD_MARKER || n.op === CUSTOM_GRAD);

export const SIMPLIFY_RULES: readonly Rule[] = [
  // identities: the unit of an op leaves the other operand unchanged
  ...UNITS.map((u) => rule(`${u.op}(x, ${numStr(u.unit)}) -> x`, "the unit of the op", op(u.op, x, K(u.unit)), (m) => m.v["x"])),
  rule("add(x, 0) -> x (fastMath)", "wrong for x = -0: -0 + 0 is +0", op("add", x, K(0)), (m) => m.v["x"], fast),
  rule("add(x, 0) -> x (integers)", "exact for i32, which has no -0", op("add", x, K(0)), (m) => (isFloat(m.v["x"]!.dtype) ? undefined : m.v["x"])),
  // x * -1 and x / -1 are negation (exact in IEEE arithmetic)
  rule("x * -1 -> neg x", "one op instead of a multiply by a constant", op("mul", x, K(-1)), (m, e) => e.b.o.neg(m.v["x"]!)),
  rule("x / -1 -> neg x", "one op instead of a division", op("div", x, K(-1)), (m, e) => e.b.o.neg(m.v["x"]!)),
  // involutions and signs: f(f(x)) = x; adding a negation is subtracting
  ...INVOLUTIONS.map((o) => rule(`${o}(${o}(x)) -> x`, "an involution applied twice", op(o, op(o, x)), (m) => m.v["x"])),
  rule("x + neg y -> x - y", "drops the negation", op("add", x, op("neg", y)), (m, e) => e.b.o.sub(m.v["x"]!, m.v["y"]!)),
  rule("x - neg y -> x + y", "drops the negation", op("sub", x, op("neg", y)), (m, e) => e.b.o.add(m.v["x"]!, m.v["y"]!)),
  rule("neg x * neg y -> x * y", "the signs cancel exactly", op("mul", op("neg", x), op("neg", y)), (m, e) => e.b.o.mul(m.v["x"]!, m.v["y"]!)),
  // negating a product with a constant negates the constant instead (exact: negation only flips the sign bit)
  rule("neg(x * c) -> x * -c", "one op fewer when the product has no other use", op("neg", opB("p", "mul", [x, K("any", "c")])),
    (m, e) => (e.uses(m.v["p"]!) === 1 ? e.b.o.mul(m.v["x"]!, e.b.constant(-m.k["c"]!, m.v["x"]!.dtype)) : undefined)),
  // integers have no NaN or Inf, so multiplying one by zero is zero
  rule("x * 0 -> 0 (integers)", "exact for i32", op("mul", x, K(0)),
    (m, e) => (isFloat(m.v["x"]!.dtype) ? undefined : e.b.constant(0, e.node.outputs[0]!.dtype, e.node.outputs[0]!.shape))),
  // selects
  rule("where(c, x, x) -> x", "both branches are the same value", op("where", any("c"), x, x), (m) => m.v["x"]),
  rule("where(true, x, y) -> x", "the condition is a constant", op("where", K(1), x, y), (m) => m.v["x"]),
  rule("where(false, x, y) -> y", "the condition is a constant", op("where", K(0), x, y), (m) => m.v["y"]),
  rule("where(not c, x, y) -> where(c, y, x)", "drops the negation", op("where", op("logical_not", any("c")), x, y), (m, e) => e.b.o.where(m.v["c"]!, m.v["y"]!, m.v["x"]!)),
  // nested selects sharing a branch: one select on a combined condition (the seed's "first step ?
  // m : where(agree, m, avg)"); only when the inner select has no other use, else nothing is saved
  rule("where(c, x, where(d, x, y)) -> where(c or d, x, y)", "one select instead of two",
    op("where", any("c"), x, opB("w", "where", [any("d"), x, y])),
    (m, e) => (e.uses(m.n["w"]!.outputs[0]!) === 1 ? e.b.o.where(e.b.o.logical_or(m.v["c"]!, m.v["d"]!), m.v["x"]!, m.v["y"]!) : undefined)),
  rule("where(c, where(d, x, y), y) -> where(c and d, x, y)", "one select instead of two",
    op("where", any("c"), opB("w", "where", [any("d"), x, y]), y),
    (m, e) => (e.uses(m.n["w"]!.outputs[0]!) === 1 ? e.b.o.where(e.b.o.logical_and(m.v["c"]!, m.v["d"]!), m.v["x"]!, m.v["y"]!) : undefined)),
  // no-op movement and casts: the engine only accepts a replacement of the same type, so
  // "reshape to its own shape", "broadcast to its own shape", "cast to its own dtype" are each one line
  rule("reshape(x) -> x when the shape is unchanged", "a no-op", op("reshape", x), (m) => m.v["x"]),
  rule("broadcast_to(x) -> x when the shape is unchanged", "a no-op", op("broadcast_to", x), (m) => m.v["x"]),
  rule("cast(x) -> x when the dtype is unchanged", "a no-op", op("cast", x), (m) => m.v["x"]),
  rule("transpose(x, identity) -> x", "a no-op", opB("t", "transpose", [x], (n) => isIdentityPerm(permOf(n))), (m) => m.v["x"]),
  { ...rule("stop_gradient(x) -> x", "after autodiff a gradient barrier is the identity", { kind: "barrier", args: [x] }, (m) => m.v["x"]), graphIf: autodiffDone },
  // chains of movement collapse into one
  rule("transpose(transpose(x, p), q) -> transpose(x, p∘q)", "one data movement instead of two",
    opB("o", "transpose", [opB("i", "transpose", [x])]), (m, e) => {
      const p = permOf(m.n["i"]!);
      const q = permOf(m.n["o"]!).map((a) => p[a]!);
      return isIdentityPerm(q) ? m.v["x"] : e.b.emit("transpose", [m.v["x"]!], { perm: q });
    }),
  rule("reshape(reshape(x)) -> reshape(x)", "only the final shape matters", opB("o", "reshape", [op("reshape", x)]),
    (m, e) => e.b.emit("reshape", [m.v["x"]!], { shape: [...m.n["o"]!.outputs[0]!.shape] })),
  rule("cast(cast(x, wider), x.dtype) -> x", "widening is exact, so narrowing back is the identity",
    opB("o", "cast", [opB("i", "cast", [x])]), (m) => {
      const from = m.v["x"]!.dtype;
      const mid = m.n["i"]!.outputs[0]!.dtype;
      return m.n["o"]!.outputs[0]!.dtype === from && EXACT_WIDENING[from].includes(mid) ? m.v["x"] : undefined;
    }),
  // constants: moving a splat constant gives a splat constant (no table is ever materialized)
  ...SPLAT_PRESERVING.map((o) =>
    rule(`${o}(splat c) -> splat c`, "a constant of the new shape", opB("mv", o, [K("any", "c")]),
      (m, e) => e.b.constant(m.k["c"]!, m.n["mv"]!.outputs[0]!.dtype, m.n["mv"]!.outputs[0]!.shape))),
  // broadcasts: elementwise ops broadcast by themselves (NumPy rules), so explicit ones are dropped
  rule("ew(broadcast_to(s), ...) -> ew(s, ...)", "implicit broadcasting reads s in place", { kind: "elementwise", bind: "e" }, elideBroadcasts),
  // reductions
  rule("reduce(x, []) -> x", "reducing no axes is the identity", opB("r", ["sum", "mean", "max", "min", "prod"], [x], (n) => axesOf(n).length === 0), (m, e) => asSum(e.b, m.n["r"]!, m.v["x"]!)),
  rule("reduce(x) over size-1 axes -> reshape(x)", "one element per slot: nothing to reduce",
    opB("r", ["sum", "mean", "max", "min", "prod"], [x], (n) => axesOf(n).every((a) => n.inputs[0]!.shape[a] === 1)),
    (m, e) => asSum(e.b, m.n["r"]!, e.b.emit("reshape", [m.v["x"]!], { shape: [...m.n["r"]!.outputs[0]!.shape] }))),
  rule("sum(broadcast_to(x)) over the broadcast axes -> x * count", "summing n copies is multiplying by n",
    opB("r", ["sum", "mean", "max", "min"], [op("broadcast_to", x)]), reduceOfBroadcast),
  rule("reshape(reduce(x, keepDims)) -> reduce(x, !keepDims)", "the reshape only adds or drops the reduced size-1 axes",
    opB("o", "reshape", [opB("r", ["sum", "mean", "max", "min", "prod"], [x])]), (m, e) => {
      const r = m.n["r"]!;
      const flipped = reduceOut(r.inputs[0]!.shape, axesOf(r), !keepOf(r));
      if (!sameShape(flipped, m.n["o"]!.outputs[0]!.shape)) return undefined;
      return e.b.emit(r.op, [m.v["x"]!], { axes: [...axesOf(r)], keepDims: !keepOf(r) } as never);
    }),
  // a reduction read only by another reduction keeps its reduced axes (as size 1), and the outer
  // one reduces them too: same result, and every reduction of one shape and axes has one keepDims,
  // so fusion can put them in one kernel
  rule("reduce2(reduce1(x, a, keepDims=false), b) -> reduce2(reduce1(x, a, keepDims=true), b' + a)", "uniform keepDims for fusion",
    opB("o", ["sum", "mean", "max", "min", "prod"], [opB("i", ["sum", "mean", "max", "min", "prod"], [x], (n) => !keepOf(n))], (n) => !keepOf(n)),
    (m, e) => {
      const inner = m.n["i"]!;
      if (e.uses(inner.outputs[0]!) !== 1) return undefined;
      const a = axesOf(inner);
      const kept = inner.inputs[0]!.shape.map((_, i) => i).filter((i) => !a.includes(i));
      const outerAxes = [...axesOf(m.n["o"]!).map((i) => kept[i]!), ...a].sort((p, q) => p - q);
      const r = e.b.emit(inner.op, [m.v["x"]!], { axes: [...a], keepDims: true } as never);
      return e.b.emit(m.n["o"]!.op, [r], { axes: outerAxes, keepDims: false } as never);
    }),
  // fastMath only: wrong for x = NaN or Inf (NaN*0 = NaN, Inf-Inf = NaN)
  rule("x * 0 -> 0 (fastMath)", "skips the multiply; wrong when x is NaN or Inf", op("mul", x, K(0)),
    (m, e) => e.b.constant(0, e.node.outputs[0]!.dtype, e.node.outputs[0]!.shape), fast),
  rule("x - x -> 0 (fastMath)", "wrong when x is NaN or Inf", op("sub", x, x),
    (m, e) => e.b.constant(0, e.node.outputs[0]!.dtype, e.node.outputs[0]!.shape), fast),
  rule("x / x -> 1 (fastMath)", "wrong when x is 0, NaN or Inf", op("div", x, x),
    (m, e) => (isFloat(m.v["x"]!.dtype) ? e.b.constant(1, e.node.outputs[0]!.dtype, e.node.outputs[0]!.shape) : undefined), fast),
];

export const simplify = rulePass("simplify", "algebraic identities, no-op movement, broadcast and reduction rewrites", SIMPLIFY_RULES);

/** Exposed for tests and `explain`: does `v` hold one repeated number? */
export const splatValue = splatOf;
export const isElementwise = (n: Node): boolean => opDef(n.op).kind === "elementwise";
