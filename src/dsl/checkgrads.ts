/** @file `checkGrads`: analytic gradients against central finite differences, in float64, with reports a person can act on.
 *
 * How (and why these defaults):
 * - `f` is traced once; its graph (and the graph of its VJP) run through the reference
 *   interpreter in float64 whatever the user's dtype, so the numeric side has ~16 digits to
 *   spend: PyTorch's gradcheck insists on double precision for the same reason.
 * - Central differences, (F(x+εe) − F(x−εe)) / 2ε: truncation error O(ε²·F'''), round-off
 *   O(1e-16·|F|/ε). ε = 1e-6 balances them near 1e-10..1e-12 relative for smooth functions
 *   (gradcheck's ε; JAX's check_grads uses 1e-4 to leave room for float32; PyTensor's
 *   verify_grad 1e-7 in float64).
 * - An entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|, atol = 1e-5 and
 *   rtol = 1e-3 (gradcheck's defaults): four orders of magnitude above the f64 noise, yet a
 *   wrong factor, sign or broadcast sum is off by O(1) relative, far outside.
 * - mode "full" compares the whole Jacobian: one numeric column per input element (2 runs each)
 *   and one analytic row per output element (a VJP with a one-hot cotangent). It names the
 *   input, element and output element of the worst entry. "random" compares inner products
 *   <u, J v> for random unit directions v (inputs) and random u (outputs): the analytic side is
 *   a VJP (J^T u)·v, the numeric side a directional difference, as JAX's check_vjp and
 *   PyTensor's random projection do; a failure is then narrowed to one input at a time.
 *   "auto" (default) is full when there are at most 128 input and 128 output elements.
 * - order 2 checks the first order, then applies the same check to the VJP function
 *   x ↦ ∇ₓ Σ u·f(x) with a fixed random u, i.e. second derivatives against differences of
 *   analytic gradients (JAX's check_grads(order=2) works the same way).
 * - dtype "f32" also compiles f and its VJP with `fn` for a backend and runs them in float32, as
 *   the user's program runs, comparing against the same float64 differences with float32
 *   tolerances (atol 1e-4, rtol 2e-3): the float64 check cannot see a NaN from 0 · Inf in an
 *   unselected branch (exp(89) is finite in f64), cancellation, or a backend rounding differently.
 * Inputs that are not float tensors (indices, masks) are passed through unchecked.
 */
import { GradError, interpret, isFloat, nd, shapeStr, sizeOf, stridesOf, UsageError, verify, type Graph, type NDArray, type Value } from "../ir/index.js";
import { expandGradients } from "../passes/grad.js";
import { Tensor } from "./tensor.js";
import { Trace, withTrace } from "./trace.js";
import { flatten } from "./pytree.js";
import { gradients } from "./autodiff.js";
import { add, cast, mul, sum } from "./ops.js";
import { fn } from "./fn.js";
import { defaultBackend } from "../runtime/index.js";
import { tensor } from "./create.js";
import type { Variable } from "./variable.js";

export interface CheckGradsOptions {
  /** Highest derivative order to check, 1 or 2 (default 1). */
  readonly order?: 1 | 2;
  /** Finite-difference step (default 1e-6; the graph runs in float64). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-5). */
  readonly atol?: number;
  /** Relative tolerance, against the numeric value (default 1e-3). */
  readonly rtol?: number;
  /** "full" Jacobian, "random" projections, or "auto" (default: full when small). */
  readonly mode?: "auto" | "full" | "random";
  /** Random directions in random mode (default 3). */
  readonly directions?: number;
  /** Seed for the random directions and cotangents (default 0). */
  readonly seed?: number;
  /**
   * "f64" (default): only the float64 check. "f32": also run the analytic gradient as the user's
   * program runs it (float32, compiled by `fn` for `backend`) against the same float64 differences,
   * with `f32Tol`: overflow in an unselected branch, cancellation and backend precision bugs show.
   */
  readonly dtype?: "f64" | "f32" | "float64" | "float32";
  /** The backend the f32 gradient runs on (default: fn's default backend). */
  readonly backend?: string;
  /** Tolerances of the f32 comparison (default atol 1e-4, rtol 2e-3: ~16000 f32 ulps, far below an O(1) error). */
  readonly f32Tol?: { readonly atol?: number; readonly rtol?: number };
}

export interface CheckGradsResult {
  /** Comparisons made, per order. */
  readonly checks: number[];
  readonly mode: "full" | "random";
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
}

const DEFAULTS = { order: 1, eps: 1e-6, atol: 1e-5, rtol: 1e-3, mode: "auto", directions: 3, seed: 0, dtype: "f64" } as const;
const F32_TOL = { atol: 1e-4, rtol: 2e-3 };
const FULL_LIMIT = 128;

/** mulberry32: a small seeded generator for directions (reproducible reports). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

type Fn = (...args: never[]) => unknown;

/** One traced function: a forward graph (outputs Y) and a VJP graph (inputs + cotangents U -> Y, grads). */
interface Traced {
  readonly fwd: Graph;
  readonly vjp: Graph;
  readonly state: NDArray[];
  /** Positions of the checked (float tensor) arguments among the graph inputs. */
  readonly checked: number[];
  readonly outTypes: { shape: number[] }[];
}

function traceForCheck(f: Fn, args: readonly unknown[]): Traced {
  const tr = new Trace("check");
  const inputs: number[] = [];
  const sym = args.map((a, i) => {
    if (!(a instanceof Tensor)) return a;
    if (a.isSymbolic) throw new UsageError("checkGrads: call it with concrete tensors, outside fn");
    if (isFloat(a.dtype)) inputs.push(i);
    return tr.wrap(tr.builder.input({ dtype: a.dtype, shape: a.shape }));
  });
  const tensorArgs = args.map((a, i) => (a instanceof Tensor ? i : -1)).filter((i) => i >= 0);
  const checked = inputs.map((i) => tensorArgs.indexOf(i));
  if (checked.length === 0) throw new UsageError("checkGrads: no float tensor arguments to check");
  const b = tr.builder;
  const outs = withTrace(tr, () => {
    const r = (f as (...a: unknown[]) => unknown)(...sym);
    const ys = (flatten(r).leaves as Tensor[]).filter((y) => isFloat(y.dtype));
    if (ys.length === 0) throw new UsageError("checkGrads: f returned no float tensor");
    return ys.map((y) => tr.lift(y));
  });
  b.loc = undefined;
  b.output(...outs);
  const fwd = b.finish();
  const us = outs.map((y) => tr.wrap(b.input({ dtype: y.dtype, shape: y.shape })));
  const grads = withTrace(tr, () => {
    const s = outs.map((y, j) => sum(mul(tr.wrap(y), us[j]!))).reduce((p, q) => add(p, q));
    return gradients(s, inputs.map((i) => sym[i] as Tensor)).map((g) => tr.lift(g));
  });
  b.output(...grads);
  const lower = (g: Graph): Graph => verify(expandGradients(g));
  const state = [...tr.stateOf.keys()].map((v: Variable) => v.read());
  return { fwd: lower(fwd), vjp: lower(b.finish()), state, checked, outTypes: outs.map((v: Value) => ({ shape: [...v.shape] })) };
}

/**
 * The analytic gradient as the user's program computes it: f and its VJP compiled by `fn` for the
 * backend, float arguments in f32 (f64 ones are cast), the cotangents rounded to f32.
 */
function f32Analytic(f: Fn, args: readonly unknown[], backend: string | undefined): Analytic {
  const a32 = args.map((a) => (a instanceof Tensor && a.dtype === "f64" ? cast(a, "f32") : a));
  const floatPos = a32.map((a, i) => (a instanceof Tensor && isFloat(a.dtype) ? i : -1)).filter((i) => i >= 0);
  const step = fn((us: Tensor[], ...a: unknown[]) => {
    const ys = (flatten((f as (...x: unknown[]) => unknown)(...a)).leaves as Tensor[]).filter((y) => isFloat(y.dtype));
    const s = ys.map((y, j) => sum(mul(y, us[j]!.dtype === y.dtype ? us[j]! : cast(us[j]!, y.dtype)))).reduce((p, q) => add(p, q));
    return gradients(s, floatPos.map((i) => a[i] as Tensor));
  }, { name: "checkgrads_f32", ...(backend ? { backend } : {}) });
  return (_x, us) => {
    const gs = step(us.map((u) => tensor(Float32Array.from(u.data), u.shape, "f32")), ...a32) as Tensor[];
    return gs.map((g) => nd("f64", g.shape, Array.from(g.dataSync())));
  };
}

/** Float64 copies of the tensor arguments (f32 ones keep dtype f32 with f64 storage: the interpreter's wide mode). */
const wideArgs = (args: readonly unknown[]): NDArray[] =>
  args.filter((a): a is Tensor => a instanceof Tensor).map((t) => (isFloat(t.dtype) ? { dtype: t.dtype, shape: t.shape, data: Float64Array.from(t.nd.data) } : t.nd));

const run = (g: Graph, ins: NDArray[], state: NDArray[]): NDArray[] => interpret(g, ins, state, { f64: true }).outputs;

function idxStr(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return "[]";
  const st = stridesOf(shape);
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]!).join(",")}]`;
}

interface Mismatch {
  readonly where: string;
  /** Narrowed to one input (random mode): listed before the all-inputs probes. */
  readonly narrowed?: boolean;
  readonly analytic: number;
  readonly numeric: number;
  readonly abs: number;
  readonly rel: number;
}

class Tally {
  checks = 0;
  maxAbs = 0;
  maxRel = 0;
  bad: Mismatch[] = [];
  constructor(private readonly atol: number, private readonly rtol: number) {}
  compare(analytic: number, numeric: number, where: () => string, narrowed = false): void {
    this.checks++;
    const abs = Math.abs(analytic - numeric);
    const rel = abs / Math.max(Math.abs(numeric), 1e-300);
    const ok = abs <= this.atol + this.rtol * Math.abs(numeric);
    if (ok) {
      this.maxAbs = Math.max(this.maxAbs, abs);
      if (Math.abs(numeric) > this.atol) this.maxRel = Math.max(this.maxRel, rel);
    } else this.bad.push({ where: where(), narrowed, analytic, numeric, abs: Number.isNaN(abs) ? Infinity : abs, rel });
  }
}

/** Analytic gradients (J^T u for the cotangents `us`) at the float64 arguments `x`, one per checked input. */
type Analytic = (x: NDArray[], us: NDArray[]) => NDArray[];
/** One analytic source and the tally its comparisons go to. */
interface Side {
  readonly tally: Tally;
  readonly analytic: Analytic;
}

const f64Analytic = (t: Traced): Analytic => (x, us) => run(t.vjp, [...x, ...us], t.state).slice(t.outTypes.length);

function fullCheck(t: Traced, args: readonly unknown[], eps: number, sides: readonly Side[], inName: (k: number) => string): void {
  const x = wideArgs(args);
  const nOut = t.outTypes.map((o) => sizeOf(o.shape));
  // numeric Jacobian, column by column
  const numeric = t.checked.map((k) => {
    const xi = x[k]!;
    return Array.from({ length: xi.data.length }, (_, e) => {
      const orig = xi.data[e]!;
      xi.data[e] = orig + eps;
      const plus = run(t.fwd, x, t.state);
      xi.data[e] = orig - eps;
      const minus = run(t.fwd, x, t.state);
      xi.data[e] = orig;
      return plus.map((p, j) => Array.from(p.data, (v, o) => (v - minus[j]!.data[o]!) / (2 * eps)));
    });
  });
  // analytic Jacobian, row by row: J^T e_(j,o)
  const us = t.outTypes.map((o) => nd("f64", o.shape));
  t.outTypes.forEach((_, j) => {
    for (let o = 0; o < nOut[j]!; o++) {
      us[j]!.data.fill(0);
      us[j]!.data[o] = 1;
      for (const side of sides) {
        const grads = side.analytic(x, us.map((u, q) => (q === j ? u : nd("f64", u.shape))));
        t.checked.forEach((k, c) => {
          grads[c]!.data.forEach((a, e) => {
            side.tally.compare(a, numeric[c]![e]![j]![o]!, () =>
              `${inName(k)} element ${idxStr(x[k]!.shape, e)}, output ${j} (${shapeStr(t.outTypes[j]!.shape)}) element ${idxStr(t.outTypes[j]!.shape, o)}`);
          });
        });
      }
    }
  });
}

function randomCheck(t: Traced, args: readonly unknown[], eps: number, sides: readonly Side[], inName: (k: number) => string, directions: number, r: () => number): void {
  const x = wideArgs(args);
  const probe = (only: number | null, label: string): void => {
    const us = t.outTypes.map((o) => nd("f64", o.shape, Array.from({ length: sizeOf(o.shape) }, () => normal(r))));
    const vs = t.checked.map((k) => Float64Array.from(x[k]!.data, () => (only === null || only === k ? normal(r) : 0)));
    const norm = Math.sqrt(vs.reduce((s, v) => s + v.reduce((p, q) => p + q * q, 0), 0)) || 1;
    vs.forEach((v) => v.forEach((_, i) => (v[i]! /= norm)));
    const shifted = (sgn: number): NDArray[] => {
      const xs = x.map((a) => ({ ...a, data: Float64Array.from(a.data) }) as NDArray);
      t.checked.forEach((k, c) => xs[k]!.data.forEach((_, i) => (xs[k]!.data[i]! += sgn * eps * vs[c]![i]!)));
      return run(t.fwd, xs, t.state);
    };
    const plus = shifted(1);
    const minus = shifted(-1);
    let numeric = 0;
    plus.forEach((p, j) => p.data.forEach((v, o) => (numeric += (us[j]!.data[o]! * (v - minus[j]!.data[o]!)) / (2 * eps))));
    for (const side of sides) {
      let analytic = 0;
      side.analytic(x, us).forEach((g, c) => g.data.forEach((a, i) => (analytic += a * vs[c]![i]!)));
      side.tally.compare(analytic, numeric, () => `${label}: random projection <u, J v>`, only !== null);
    }
  };
  for (let d = 0; d < directions; d++) probe(null, "all inputs together");
  if (sides.some((s) => s.tally.bad.length)) {
    // narrow it down: which input is wrong
    for (const k of t.checked) probe(k, inName(k));
  }
}

function report(order: number, mode: string, o: { eps: number; atol: number; rtol: number }, tally: Tally, precision = "float64"): string {
  const worst = [...tally.bad].sort((p, q) => Number(!!q.narrowed) - Number(!!p.narrowed) || q.abs - p.abs);
  const lines = [
    `checkGrads: analytic and numeric gradients differ (order ${order}, ${mode === "full" ? "full Jacobian" : "random projections"}; eps=${o.eps}, atol=${o.atol}, rtol=${o.rtol}, ${precision})`,
    `  ${tally.bad.length} of ${tally.checks} comparison(s) fail; ${mode === "full" ? "worst first" : "inputs probed one at a time first"}:`,
  ];
  for (const m of worst.slice(0, 5)) {
    lines.push(`  - ${m.where}`, `      analytic ${m.analytic}   numeric ${m.numeric}   abs error ${m.abs.toExponential(3)}   rel error ${m.rel.toExponential(3)}`);
  }
  if (order === 2) lines.push("  (order 2 checks the gradient function x -> d/dx sum(u * f(x)) for a fixed random u: output j is the gradient for input j)");
  if (precision !== "float64") lines.push("  The float64 gradient passed: the float32 program loses it (a NaN/Inf is overflow, e.g. in a branch `where` does not select; a small error is cancellation or rounding).");
  lines.push("  A wrong VJP rule or custom gradient shows as a constant factor or sign; a kink (relu, abs, max) within eps of the point shows as an isolated entry.");
  return lines.join("\n");
}

/**
 * Checks `f`'s gradients at `args` against central finite differences in float64 and throws a
 * GradError naming the input, element, analytic and numeric values, and errors on mismatch.
 * `f` returns a tensor (or an array/object of tensors); non-scalar outputs are checked in full.
 */
export function checkGrads(f: Fn, args: readonly unknown[], opts: CheckGradsOptions = {}): CheckGradsResult {
  const o = { ...DEFAULTS, ...opts };
  if (o.order !== 1 && o.order !== 2) throw new UsageError(`checkGrads: order must be 1 or 2, got ${String(o.order)}`);
  if (!["f64", "f32", "float64", "float32"].includes(o.dtype)) throw new UsageError(`checkGrads: dtype must be "f64" or "f32", got ${JSON.stringify(o.dtype)}`);
  const f32 = o.dtype === "f32" || o.dtype === "float32";
  const tol32 = { ...F32_TOL, ...opts.f32Tol };
  const r = rng(o.seed);
  const names = args.map((a, i) => (a instanceof Tensor ? `input ${i} (${a.dtype}${shapeStr(a.shape)})` : `argument ${i}`));
  const tensorPos = args.map((a, i) => (a instanceof Tensor ? i : -1)).filter((i) => i >= 0);
  const inName = (k: number): string => names[tensorPos[k]!]!;
  const checks: number[] = [];
  let mode: "full" | "random" = "full";
  let maxAbs = 0;
  let maxRel = 0;
  let fk: Fn = f;
  for (let order = 1; order <= o.order; order++) {
    const t = traceForCheck(fk, args);
    const nIn = t.checked.reduce((s, k) => s + sizeOf((args[tensorPos[k]!] as Tensor).shape), 0);
    const nOut = t.outTypes.reduce((s, y) => s + sizeOf(y.shape), 0);
    mode = o.mode === "auto" ? (nIn <= FULL_LIMIT && nOut <= FULL_LIMIT ? "full" : "random") : o.mode;
    const tally = new Tally(o.atol, o.rtol);
    const sides: Side[] = [{ tally, analytic: f64Analytic(t) }];
    const t32 = new Tally(tol32.atol, tol32.rtol);
    if (f32) sides.push({ tally: t32, analytic: f32Analytic(fk, args, o.backend) });
    if (mode === "full") fullCheck(t, args, o.eps, sides, inName);
    else randomCheck(t, args, o.eps, sides, inName, o.directions, r);
    if (tally.bad.length) throw new GradError(report(order, mode, o, tally));
    if (t32.bad.length) throw new GradError(report(order, mode, { eps: o.eps, ...tol32 }, t32, `float32 on ${o.backend ?? defaultBackend()}`));
    checks.push(tally.checks);
    maxAbs = Math.max(maxAbs, tally.maxAbs);
    maxRel = Math.max(maxRel, tally.maxRel);
    if (order < o.order) {
      // the next order checks the VJP function with a fixed random cotangent
      const prev = fk;
      const us = t.outTypes.map((y) => tensor(Float64Array.from({ length: sizeOf(y.shape) }, () => normal(r)), y.shape, "f64"));
      fk = (...a: never[]) => {
        const ys = (flatten((prev as (...x: unknown[]) => unknown)(...a)).leaves as Tensor[]).filter((y) => isFloat(y.dtype));
        const s = ys.map((y, j) => sum(mul(y, us[j]!.dtype === y.dtype ? us[j]! : us[j]!.cast(y.dtype)))).reduce((p, q) => add(p, q));
        const xs = (a as unknown[]).filter((v): v is Tensor => v instanceof Tensor && isFloat(v.dtype));
        return gradients(s, xs);
      };
    }
  }
  return { checks, mode, maxAbsErr: maxAbs, maxRelErr: maxRel };
}
