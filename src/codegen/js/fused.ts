/** @file Fused loop bodies: elementwise chains, and reductions with their prologue and epilogue, as one loop nest.
 *
 * A body is a list of nodes between kernel parameters (inputs) and stored values (outputs). Each
 * body value lives in one of two phases: the domain phase (values over the domain shape D, which
 * feed reductions or are elementwise outputs) and the reduced phase (reductions, and values
 * computed from them over the reduced shape). Every value's dimensions are mapped to D's axes,
 * and every use is checked against that map, so a body that would need data moved between
 * iterations (anything that is not broadcasting) is refused with a reason instead of miscompiled.
 *
 * Views (broadcast_to, and reshapes that only add or drop size-1 axes) of a body input are not
 * computed: they change the strides the input is read with. broadcast_to of a computed value is
 * the identity at each domain point (broadcasting is already how values meet).
 */
import { opDef, sameShape, sizeOf, stridesOf, type Node, type Shape, type Value } from "../../ir/index.js";
import { Nest, type Access, type Ref } from "./nest.js";
import { BYTES, literal } from "./text.js";

/** A body a loop kernel computes. Inputs are parameters; outputs are stored (in order). */
export interface BodySpec {
  readonly inputs: readonly Value[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
}

/** A fused body this emitter does not handle; the caller splits it into smaller kernels. */
export class Unsupported extends Error {}

export interface LoopBody {
  readonly text: string;
  /** [input, output] parameter pairs that may share one array: read exactly where it is written. */
  readonly inplace: ReadonlyArray<readonly [number, number]>;
  /** Constant arrays the body reads (name -> setup expression), declared once by the program. */
  readonly statics: ReadonlyMap<string, string>;
}

export interface BodyNames {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** A JS name for a body value (readable temporaries). */
  readonly value: (v: Value) => string;
  /** A program-level name for a non-splat constant node's data. */
  readonly constArray: (n: Node) => { name: string; init: string };
}

export const kernelOf = (n: Node): string | undefined => {
  const js = opDef(n.op).js;
  return "kernel" in js ? js.kernel : undefined;
};
/** A constant with one (splatted) value: inlined as a literal. */
export const isSplatConst = (n: Node | null): boolean => !!n && kernelOf(n) === "const" && (n.attrs["value"] as readonly number[]).length === 1;
/** Constants with data, and iota: program-level arrays read like inputs. */
const isStaticSource = (n: Node): boolean => kernelOf(n) === "const" || kernelOf(n) === "iota";
const isReduction = (n: Node): boolean => "reduce" in opDef(n.op).js;
const isExpr = (n: Node): boolean => "expr" in opDef(n.op).js;
/** Reshapes that only insert or remove size-1 axes keep every element's offset. */
const isUnitReshape = (n: Node): boolean =>
  kernelOf(n) === "reshape" && sameShape(n.inputs[0]!.shape.filter((d) => d !== 1), n.outputs[0]!.shape.filter((d) => d !== 1));

/** An array read through a view: the parameter (or static) and one stride per dim of the viewed shape. */
interface View {
  readonly array: string;
  readonly strides: readonly number[];
}

/**
 * A window of rows [base, base + rows) of the domain's first axis: the loops cover only those rows,
 * full-size arrays are read and written at an offset of `base` rows, and the `local` inputs hold
 * just the window (a matmul epilogue run block by block on a product that is never whole).
 */
export interface RowWindow {
  readonly rows: number;
  readonly base: string;
  readonly local: ReadonlySet<number>;
}

/** Emits a body as one loop nest over its domain. Throws Unsupported for bodies outside the fused-stage contract. */
export function emitLoopBody(spec: BodySpec, names: BodyNames, window?: RowWindow): LoopBody {
  const reductions = spec.nodes.filter(isReduction);
  const first = reductions[0];
  const D: Shape = first ? first.inputs[0]!.shape : spec.outputs[0]?.shape ?? [];
  if (window && (reductions.length || D.length === 0)) throw new Unsupported("a row window needs an elementwise body over a domain with rows");
  const localArrays = new Set([...(window?.local ?? [])].map((i) => names.inputs[i]!));
  // full-size arrays in a window start `base` rows in; local ones hold only the window
  const offsetOf = (array: string, st: readonly number[]): number | string =>
    window && !localArrays.has(array) && st[0] !== 0 ? `${window.base} * ${st[0]}` : 0;
  const axes: readonly number[] = first ? (first.attrs["axes"] as readonly number[]) : [];
  for (const r of reductions) {
    if (!sameShape(r.inputs[0]!.shape, D) || (r.attrs["axes"] as number[]).join() !== axes.join()) throw new Unsupported("reductions over different domains or axes");
  }
  const reduced = D.map((_, a) => axes.includes(a));
  const outerAxes = [...D.keys()].filter((a) => !reduced[a]);
  const outerSize = sizeOf(outerAxes.map((a) => D[a]!));
  const allAxes = D.map((_, a) => a);

  const views = new Map<Value, View>();
  spec.inputs.forEach((v, i) => views.set(v, { array: names.inputs[i]!, strides: stridesOf(v.shape) }));
  const post = new Set<Value>(); // values that depend on a reduction
  const maps = new Map<Value, number[]>(); // D axis of each dim of each computed value
  const statics = new Map<string, string>();

  // right-aligned broadcasting of `shape` into the dims of a value whose D axes are `into`
  const rightAlign = (shape: Shape, into: readonly number[]): number[] => shape.map((_, i) => into[into.length - shape.length + i] ?? -1);
  const outMap = (shape: Shape, isPost: boolean): number[] => {
    if (!isPost) {
      const m = rightAlign(shape, allAxes);
      if (m.some((a, i) => shape[i] !== 1 && (a < 0 || shape[i] !== D[a]))) throw new Unsupported(`a value of shape [${shape}] does not broadcast to the loop [${D}]`);
      return m;
    }
    if (shape.length === D.length && shape.every((n, a) => (reduced[a] ? n === 1 : n === D[a]))) return allAxes;
    if (shape.length === outerAxes.length && shape.every((n, j) => n === D[outerAxes[j]!])) return outerAxes;
    throw new Unsupported(`a value of shape [${shape}] after the reduction is not the reduced shape`);
  };

  // pass 1: phases, axis maps and every array access (the nest collapses axes with all of them in view)
  const accesses: Access[] = [];
  const useAccess = new Map<string, number>(); // `${node}:${operand}` -> access
  const access = (view: View, shape: Shape, map: readonly number[]): number => {
    const st = D.map(() => 0);
    shape.forEach((n, i) => {
      if (n !== 1 && view.strides[i] !== 0) st[map[i]!] = view.strides[i]!;
    });
    accesses.push({ array: view.array, strides: st, offset: offsetOf(view.array, st) });
    return accesses.length - 1;
  };
  spec.nodes.forEach((n, ni) => {
    if (isSplatConst(n)) return;
    const out = n.outputs[0]!;
    if (isStaticSource(n)) {
      const c = names.constArray(n);
      statics.set(c.name, c.init);
      views.set(out, { array: c.name, strides: stridesOf(out.shape) });
      return;
    }
    const src = views.get(n.inputs[0]!);
    if (src && kernelOf(n) === "broadcast_to") {
      const off = out.shape.length - n.inputs[0]!.shape.length;
      views.set(out, { array: src.array, strides: out.shape.map((_, d) => (d >= off && n.inputs[0]!.shape[d - off] !== 1 ? src.strides[d - off]! : 0)) });
      return;
    }
    if (src && isUnitReshape(n)) {
      const kept = n.inputs[0]!.shape.map((d, i) => [d, src.strides[i]!] as const).filter(([d]) => d !== 1).map(([, s]) => s);
      let k = 0;
      views.set(out, { array: src.array, strides: out.shape.map((d) => (d === 1 ? 0 : kept[k++]!)) });
      return;
    }
    if (!isExpr(n) && !isReduction(n) && kernelOf(n) !== "broadcast_to") throw new Unsupported(`${n.op} cannot be part of a fused loop`);
    const isPost = isReduction(n) || n.inputs.some((v) => post.has(v));
    const om = outMap(out.shape, isPost);
    if (isPost) post.add(out);
    maps.set(out, om);
    n.inputs.forEach((v, k) => {
      const expected = isReduction(n) ? allAxes : rightAlign(v.shape, om);
      if (isPost && !isReduction(n) && v.shape.some((s, i) => s !== 1 && reduced[expected[i]!])) throw new Unsupported("a value after the reduction reads one that varies over the reduced axes");
      const view = views.get(v);
      if (view) {
        useAccess.set(`${ni}:${k}`, access(view, v.shape, expected));
        return;
      }
      const have = maps.get(v);
      if (have && v.shape.some((s, i) => s !== 1 && have[i] !== expected[i])) throw new Unsupported("a value is read with another axis alignment than it was computed with");
    });
  });
  // outputs: domain-phase ones are written over D, reduced ones over the kept axes
  const outAccess = spec.outputs.map((o, j) => {
    if (post.has(o)) {
      if (sizeOf(o.shape) !== outerSize) throw new Unsupported("a reduced output of unexpected size");
      const rm = stridesOf(outerAxes.map((a) => D[a]!));
      const st = D.map(() => 0);
      outerAxes.forEach((a, k) => (st[a] = rm[k]!));
      accesses.push({ array: names.outputs[j]!, strides: st, offset: 0 });
    } else {
      if (!sameShape(o.shape, D)) throw new Unsupported(`an output of shape [${o.shape}] is not the loop's shape [${D}]`);
      accesses.push({ array: names.outputs[j]!, strides: stridesOf(D), offset: offsetOf(names.outputs[j]!, stridesOf(D)) });
    }
    return accesses.length - 1;
  });
  // an output that is a body input (or a view of one) is read at the output's index
  const passAccess = new Map<number, number>();
  spec.outputs.forEach((o, j) => {
    const view = views.get(o);
    if (view) passAccess.set(j, access(view, o.shape, rightAlign(o.shape, allAxes)));
  });

  // pass 2: statements (a window loops over its rows only; strides stay those of the whole domain)
  const nest = new Nest(window ? [window.rows, ...D.slice(1)] : D, reduced, accesses);
  const refs = new Map<Value, Ref>();
  const count = sizeOf(axes.map((a) => D[a]!));
  spec.nodes.forEach((n, ni) => {
    const out = n.outputs[0]!;
    const def = opDef(n.op);
    if (isSplatConst(n)) {
      refs.set(out, { text: literal((n.attrs["value"] as number[])[0]!, out.dtype), level: 0 });
      return;
    }
    if (views.has(out)) return;
    const args = n.inputs.map((v, k): Ref => {
      const acc = useAccess.get(`${ni}:${k}`);
      const r = acc !== undefined ? nest.load(acc) : refs.get(v);
      if (!r) throw new Unsupported("a value is used before the body computes it");
      return r;
    });
    const name = names.value(out);
    if (kernelOf(n) === "broadcast_to") {
      refs.set(out, args[0]!);
      return;
    }
    if ("reduce" in def.js) {
      const r = def.js.reduce;
      const acc = `${name}_acc`;
      const combine = r.combine(acc, args[0]!.text);
      const a = nest.accumulate(acc, r.init, out.dtype === "i32" ? `(${combine}) | 0` : combine);
      // accumulate in doubles (as the interpreter); the result is f32 before anything reads it
      const fin = r.finish ? r.finish(a.text, String(count)) : a.text;
      refs.set(out, nest.compute(name, out.dtype === "f32" ? `Math.fround(${fin})` : fin, [], true));
      return;
    }
    if (!("expr" in def.js)) throw new Unsupported(`${n.op} has no expression lowering`);
    let text = def.js.expr(args.map((a) => a.text), n.attrs as never, { ins: n.inputs.map((v) => v.type), out: out.type });
    const same = args.findIndex((a, k) => a.text === text && n.inputs[k]!.dtype === out.dtype);
    if (same >= 0) {
      refs.set(out, args[same]!); // the identity on an operand (stop_gradient, same-dtype cast)
      return;
    }
    // storage semantics the interpreter gets from its typed arrays: i32 wraps; every f32 result rounds
    // to f32 (a value is f32 after every op, as in the interpreter and tfjs: (x + 1e8) - 1e8 is 96 at
    // x = 100, never 100; exp(100) * exp(-100) is Inf). fround is one cvtsd2ss/cvtss2sd pair in V8;
    // ops whose result is an operand (max, where, neg, abs, ...) are exact and skip it.
    if (out.dtype === "i32") text = `(${text}) | 0`;
    else if (out.dtype === "f32" && !(def.flags?.exact && n.inputs.every((v) => v.dtype !== "f64"))) text = `Math.fround(${text})`;
    refs.set(out, nest.compute(name, text, args, post.has(out)));
  });
  spec.outputs.forEach((o, j) => {
    const pa = passAccess.get(j);
    const r = pa !== undefined ? nest.load(pa) : refs.get(o);
    if (!r) throw new Unsupported("an output is not computed by the body");
    nest.store(outAccess[j]!, r, post.has(o));
  });

  // in place: an input read only with the very access an output is written with (same index at every
  // loop point; loads come before stores at each point, and a reduced output is stored after its row)
  const inplace: [number, number][] = [];
  const sig = (a: Access): string => `${a.offset}|${a.strides.join(",")}`;
  spec.inputs.forEach((v, i) => {
    const mine = new Set(accesses.filter((a) => a.array === names.inputs[i]).map(sig));
    if (mine.size !== 1) return;
    const only = [...mine][0]!;
    outAccess.forEach((k, j) => {
      // and the same element width, or element i of the two views would be different bytes
      if (sig(accesses[k]!) === only && BYTES[v.dtype] === BYTES[spec.outputs[j]!.dtype]) inplace.push([i, j]);
    });
  });
  return { text: nest.print(), inplace, statics };
}
