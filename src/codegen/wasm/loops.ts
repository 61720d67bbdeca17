/** @file Fused loop bodies as Wasm functions: elementwise chains (f32x4 / f64x2 SIMD where every op has a vector form) and reductions.
 *
 * The analysis follows the js emitter (src/codegen/js/fused.ts): every body value is mapped onto
 * the domain D's axes (right-aligned broadcasting before a reduction, the kept axes after it),
 * inputs are read through views (strides; 0 where broadcast), and the Nest collapses axes where
 * every access agrees. Each array access keeps one running pointer per loop level, bumped by its
 * stride at the end of each iteration, so the innermost loop does no index arithmetic.
 *
 * SIMD: when the body has no reduction, every array is of one float dtype, every op has a vector
 * form and every access moves by 0 or 1 element along the innermost loop, the innermost loop runs
 * 4 (f32) or 2 (f64) elements per iteration and a scalar copy of the body finishes the rest.
 * Comparisons yield lane masks there, and `where` is a bitselect. The same ops in the same order
 * as the scalar path: results do not depend on which path ran.
 *
 * Reductions accumulate floats in f64 and round once (the interpreter's semantics), visiting the
 * reduced elements in row-major order.
 */
import { sameShape, sizeOf, stridesOf, type DType, type Node, type Shape, type Value } from "../../ir/index.js";
import { isSplatConst, kernelOf, Unsupported, type BodySpec } from "../js/fused.js";
import { Nest, type Access } from "../js/nest.js";
import { Func, Op, Simd, T, type ValType } from "./encode.js";
import { pushConst, scalarType, WASM_OPS, type HostFn, type WasmCtx } from "./ops.js";

export const BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };

const lowering = (n: Node) => WASM_OPS[n.op];
const isReduce = (n: Node): boolean => "reduce" in lowering(n);
const isUnitReshape = (n: Node): boolean =>
  kernelOf(n) === "reshape" && sameShape(n.inputs[0]!.shape.filter((d) => d !== 1), n.outputs[0]!.shape.filter((d) => d !== 1));

interface View {
  readonly param: number;
  readonly dtype: DType;
  readonly strides: readonly number[];
}

export function load(f: Func, d: DType, simd: boolean, stride: number): void {
  if (simd) {
    if (stride === 0) f.simdMem(d === "f32" ? Simd.load32_splat : Simd.load64_splat, d === "f32" ? 2 : 3);
    else f.simdMem(Simd.load, 0);
    return;
  }
  if (d === "f32") f.mem(Op.f32_load, 2);
  else if (d === "f64") f.mem(Op.f64_load, 3);
  else if (d === "i32") f.mem(Op.i32_load, 2);
  else f.mem(Op.i32_load8_u, 0);
}
export function store(f: Func, d: DType, simd: boolean): void {
  if (simd) f.simdMem(Simd.store, 0);
  else if (d === "f32") f.mem(Op.f32_store, 2);
  else if (d === "f64") f.mem(Op.f64_store, 3);
  else if (d === "i32") f.mem(Op.i32_store, 2);
  else f.mem(Op.i32_store8, 0);
}

/** Emits `spec` as a function of (input pointers..., output pointers...). Throws Unsupported when a body is outside what it handles. */
export function emitLoopWasm(spec: BodySpec, host: (n: HostFn) => number): { fn: Func; simd: boolean } {
  const reductions = spec.nodes.filter(isReduce);
  const first = reductions[0];
  const D: Shape = first ? first.inputs[0]!.shape : spec.outputs[0]?.shape ?? [];
  const axes: readonly number[] = first ? (first.attrs["axes"] as readonly number[]) : [];
  for (const r of reductions) {
    if (!sameShape(r.inputs[0]!.shape, D) || (r.attrs["axes"] as number[]).join() !== axes.join()) throw new Unsupported("reductions over different domains or axes");
  }
  const reduced = D.map((_, a) => axes.includes(a));
  const outerAxes = [...D.keys()].filter((a) => !reduced[a]);
  const outerSize = sizeOf(outerAxes.map((a) => D[a]!));
  const allAxes = D.map((_, a) => a);
  const nIn = spec.inputs.length;

  const views = new Map<Value, View>();
  spec.inputs.forEach((v, i) => views.set(v, { param: i, dtype: v.dtype, strides: stridesOf(v.shape) }));
  const post = new Set<Value>();
  const maps = new Map<Value, number[]>();
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

  const accesses: (Access & { param: number; dtype: DType })[] = [];
  const useAccess = new Map<string, number>();
  const access = (view: View, shape: Shape, map: readonly number[]): number => {
    const st = D.map(() => 0);
    shape.forEach((n, i) => {
      if (n !== 1 && view.strides[i] !== 0) st[map[i]!] = view.strides[i]!;
    });
    accesses.push({ array: `p${view.param}`, strides: st, offset: 0, param: view.param, dtype: view.dtype });
    return accesses.length - 1;
  };
  const computed: Node[] = [];
  spec.nodes.forEach((n, ni) => {
    if (isSplatConst(n)) return;
    const out = n.outputs[0]!;
    const src = views.get(n.inputs[0]!);
    if (src && kernelOf(n) === "broadcast_to") {
      const off = out.shape.length - n.inputs[0]!.shape.length;
      views.set(out, { ...src, strides: out.shape.map((_, d) => (d >= off && n.inputs[0]!.shape[d - off] !== 1 ? src.strides[d - off]! : 0)) });
      return;
    }
    if (src && isUnitReshape(n)) {
      const kept = n.inputs[0]!.shape.map((d, i) => [d, src.strides[i]!] as const).filter(([d]) => d !== 1).map(([, s]) => s);
      let k = 0;
      views.set(out, { ...src, strides: out.shape.map((d) => (d === 1 ? 0 : kept[k++]!)) });
      return;
    }
    const low = lowering(n);
    const bcast = kernelOf(n) === "broadcast_to";
    if (!("ew" in low) && !("reduce" in low) && !bcast) throw new Unsupported(`${n.op} cannot be part of a fused Wasm loop`);
    const isPost = "reduce" in low || n.inputs.some((v) => post.has(v));
    const om = outMap(out.shape, isPost);
    if (isPost) post.add(out);
    maps.set(out, om);
    computed.push(n);
    n.inputs.forEach((v, k) => {
      const expected = "reduce" in low ? allAxes : rightAlign(v.shape, om);
      if (isPost && !("reduce" in low) && v.shape.some((s, i) => s !== 1 && reduced[expected[i]!])) throw new Unsupported("a value after the reduction reads one that varies over the reduced axes");
      const view = views.get(v);
      if (view) {
        useAccess.set(`${ni}:${k}`, access(view, v.shape, expected));
        return;
      }
      if (isPost && !("reduce" in low) && v.def && !isSplatConst(v.def) && !post.has(v)) throw new Unsupported("a value after the reduction reads one computed before it");
      const have = maps.get(v);
      if (have && v.shape.some((s, i) => s !== 1 && have[i] !== expected[i])) throw new Unsupported("a value is read with another axis alignment than it was computed with");
    });
  });
  const outAccess = spec.outputs.map((o, j) => {
    const param = nIn + j;
    if (post.has(o)) {
      if (sizeOf(o.shape) !== outerSize) throw new Unsupported("a reduced output of unexpected size");
      const rm = stridesOf(outerAxes.map((a) => D[a]!));
      const st = D.map(() => 0);
      outerAxes.forEach((a, k) => (st[a] = rm[k]!));
      accesses.push({ array: `p${param}`, strides: st, offset: 0, param, dtype: o.dtype });
    } else {
      if (!sameShape(o.shape, D)) throw new Unsupported(`an output of shape [${o.shape}] is not the loop's shape [${D}]`);
      accesses.push({ array: `p${param}`, strides: stridesOf(D), offset: 0, param, dtype: o.dtype });
    }
    return accesses.length - 1;
  });
  const passAccess = new Map<number, number>();
  spec.outputs.forEach((o, j) => {
    const view = views.get(o);
    if (view) passAccess.set(j, access(view, o.shape, rightAlign(o.shape, allAxes)));
  });

  const resolveView = (v: Value): Value => (v.def && kernelOf(v.def) === "broadcast_to" && !views.has(v) ? resolveView(v.def.inputs[0]!) : v);
  // a splat constant read by a node computed inside the loop (not only by invariants)
  const usedInLoop = (v: Value): boolean => spec.nodes.some((n) => n.inputs.includes(v) && !invariant.has(n.outputs[0]!)) || spec.outputs.includes(v);
  const nest = new Nest(D, reduced, accesses);
  const depth = nest.depth;
  const outerLoops = nest.outerLoops;
  const ext = nest.extents;

  // loop invariants: domain values that depend only on accesses that never move and on constants are
  // computed once before the loops (in scalar form; splatted for SIMD use)
  const moves = (k: number): boolean => nest.cstrides[k]!.some((x) => x !== 0);
  const invariant = new Set<Value>();
  spec.nodes.forEach((n, ni) => {
    if (!computed.includes(n) || post.has(n.outputs[0]!) || isReduce(n) || kernelOf(n) === "broadcast_to") return;
    const ok = n.inputs.every((v, k) => {
      const acc = useAccess.get(`${ni}:${k}`);
      if (acc !== undefined) return !moves(acc);
      return (v.def && isSplatConst(v.def)) || invariant.has(resolveView(v));
    });
    if (ok) invariant.add(n.outputs[0]!);
  });
  const invariantOnly = new Set<number>(); // accesses read only by invariant nodes (loaded before the loops)
  useAccess.forEach((acc, key) => {
    const n = spec.nodes[Number(key.split(":")[0])]!;
    if (invariant.has(n.outputs[0]!)) invariantOnly.add(acc);
  });
  useAccess.forEach((acc, key) => {
    const n = spec.nodes[Number(key.split(":")[0])]!;
    if (!invariant.has(n.outputs[0]!)) invariantOnly.delete(acc);
  });

  // SIMD eligibility (see the file comment)
  const vdt = spec.outputs[0]?.dtype;
  const W = vdt === "f32" ? 4 : 2;
  const splattable = (d: DType): boolean => d === vdt || d === "bool";
  const probe = (n: Node): boolean => {
    const low = lowering(n);
    if ("reduce" in low) return true;
    if (!("ew" in low)) return kernelOf(n) === "broadcast_to";
    return !!low.ew(ctxFor(new Func([], []), n, true), n.attrs as never);
  };
  // a reduction vectorizes when its reduced elements run along the innermost loop (its lanes are then folded in order)
  const simd = (!reductions.length || (outerLoops < depth && reductions.every((r) => r.inputs[0]!.dtype === vdt && r.outputs[0]!.dtype !== "i32"))) &&
    depth > 0 && (vdt === "f32" || vdt === "f64") && ext[depth - 1]! >= W &&
    accesses.every((a, k) => invariantOnly.has(k) || (a.dtype === vdt && nest.cstrides[k]![depth - 1]! <= 1 && nest.cstrides[k]![depth - 1]! >= 0)) &&
    spec.nodes.every((n) => {
      const o = n.outputs[0]!;
      if (invariant.has(o)) return splattable(o.dtype) || n.outputs.length !== 1;
      if (isSplatConst(n)) return o.dtype === vdt || !usedInLoop(o);
      return views.has(o) || ((o.dtype === vdt || o.dtype === "bool") && probe(n));
    });

  const f = new Func([...spec.inputs, ...spec.outputs].map(() => T.i32), []);
  const tmps = new Map<string, number>();
  function ctxFor(fn: Func, n: Node, vec: boolean): WasmCtx {
    return {
      f: fn, ins: n.inputs.map((v) => v.dtype), out: n.outputs[0]!.dtype, simd: vec, host,
      tmp: (t: ValType, slot: number) => {
        const key = `${t}:${slot}`;
        let l = tmps.get(key);
        if (l === undefined) tmps.set(key, (l = f.local(t)));
        return l;
      },
    };
  }
  // pointers: one per distinct (param, collapsed strides), one local per level
  const ptrKey = accesses.map((a, k) => `${a.param}|${nest.cstrides[k]!.join(",")}`);
  const keys = [...new Set(ptrKey)];
  const P = keys.map((key) => Array.from({ length: depth + 1 }, (_, l) => (l === 0 ? Number(key.split("|")[0]) : f.local(T.i32))));
  const keyStrides = keys.map((key) => nest.cstrides[ptrKey.indexOf(key)]!);
  const keyBytes = keys.map((key) => BYTES[accesses[ptrKey.indexOf(key)]!.dtype]);
  const ptrOf = (k: number, level: number): number => P[keys.indexOf(ptrKey[k]!)]![level]!;
  const counters = ext.map(() => f.local(T.i32));
  const slocal = new Map<Value, number>();
  const vlocal = new Map<Value, number>();
  const localOf = (v: Value, vec: boolean): number => {
    const m = vec ? vlocal : slocal;
    let l = m.get(v);
    if (l === undefined) m.set(v, (l = f.local(vec ? T.v128 : scalarType(v.dtype))));
    return l;
  };
  const accs = new Map<Node, number>();
  for (const r of reductions) accs.set(r, f.local(r.outputs[0]!.dtype === "i32" ? T.i32 : T.f64));

  const push = (n: Node, k: number, level: number, vec: boolean): void => {
    const v = n.inputs[k]!;
    const ni = spec.nodes.indexOf(n);
    const acc = useAccess.get(`${ni}:${k}`);
    if (acc !== undefined) {
      f.get(ptrOf(acc, level));
      load(f, accesses[acc]!.dtype, vec, nest.cstrides[acc]![depth - 1] ?? 0);
    } else if (v.def && isSplatConst(v.def)) {
      pushConst(f, v.dtype, (v.def.attrs["value"] as number[])[0]!, vec);
    } else {
      const r = resolve(v);
      f.get(vec && invariant.has(r) ? splatOf(r) : localOf(r, vec && !invariant.has(r)));
    }
  };
  const splats = new Map<Value, number>();
  const splatOf = (v: Value): number => splats.get(v)!;
  // broadcast_to of a computed value is the identity at each domain point
  const resolve = (v: Value): Value => (v.def && kernelOf(v.def) === "broadcast_to" && !views.has(v) ? resolve(v.def.inputs[0]!) : v);

  const compute = (n: Node, level: number, vec: boolean): void => {
    if (kernelOf(n) === "broadcast_to") return;
    const low = lowering(n);
    n.inputs.forEach((_, k) => push(n, k, level, vec));
    if ("reduce" in low) {
      const r = low.reduce;
      const acc = accs.get(n)!;
      const int = n.outputs[0]!.dtype === "i32";
      if (int && !r.ints) throw new Unsupported(`${n.op} on i32 runs as the js kernel`);
      const t = int ? T.i32 : T.f64;
      const x = ctxFor(f, n, false).tmp(t, 0);
      const combine = (): void => {
        // the element (f64 or i32) is on the stack
        if (r.combine === "add" || r.combine === "mul") {
          f.set(x).get(acc).get(x);
          f.op(int ? (r.combine === "add" ? Op.i32_add : Op.i32_mul) : r.combine === "add" ? Op.f64_add : Op.f64_mul);
        } else {
          // v > acc || v is NaN ? v : acc (the interpreter's max; min mirrored)
          f.set(x).get(x).get(acc).get(x).get(acc);
          const gt = r.combine === "max";
          if (int) f.op(gt ? Op.i32_gt_s : Op.i32_lt_s);
          else f.op(gt ? Op.f64_gt : Op.f64_lt).get(x).get(x).op(Op.f64_ne, Op.i32_or);
          f.op(Op.select);
        }
        f.set(acc);
      };
      const widen = (): void => void (!int && n.inputs[0]!.dtype === "f32" && f.op(Op.f64_promote_f32));
      if (!vec) {
        widen();
        combine();
        return;
      }
      // SIMD: the lanes are consecutive elements of the reduced loop: fold them in one by one, in order
      const lanes = ctxFor(f, n, true).tmp(T.v128, 9);
      f.set(lanes);
      for (let l = 0; l < W; l++) {
        f.get(lanes).simd(n.inputs[0]!.dtype === "f32" ? Simd.f32x4_extract_lane : Simd.f64x2_extract_lane).op(l);
        widen();
        combine();
      }
      return;
    }
    if (!("ew" in low)) throw new Unsupported(`${n.op} has no Wasm elementwise form`);
    const emit = low.ew(ctxFor(f, n, vec), n.attrs as never);
    if (!emit) throw new Unsupported(`${n.op} on ${n.inputs.map((v) => v.dtype).join(", ")} has no Wasm form`);
    emit();
    f.set(localOf(n.outputs[0]!, vec));
  };
  // outputs that pass an input through are loaded before any store at this point: an earlier
  // output may be written in place over that input (pv <- var while var <- its update)
  const passLocal = new Map<string, number>();
  const loadPasses = (level: number, vec: boolean, isPost: boolean): void => {
    passAccess.forEach((pa, j) => {
      if (post.has(spec.outputs[j]!) !== isPost) return;
      const key = `${j}:${vec}`;
      let l = passLocal.get(key);
      if (l === undefined) passLocal.set(key, (l = f.local(vec ? T.v128 : scalarType(accesses[pa]!.dtype))));
      f.get(ptrOf(pa, level));
      load(f, accesses[pa]!.dtype, vec, nest.cstrides[pa]![depth - 1] ?? 0);
      f.set(l);
    });
  };
  const storeOut = (j: number, level: number, vec: boolean): void => {
    const o = spec.outputs[j]!;
    f.get(ptrOf(outAccess[j]!, level));
    const pa = passAccess.get(j);
    if (pa !== undefined) {
      f.get(passLocal.get(`${j}:${vec}`)!);
    } else if (o.def && isSplatConst(o.def)) pushConst(f, o.dtype, (o.def.attrs["value"] as number[])[0]!, vec);
    else {
      const r = resolve(o);
      f.get(vec && invariant.has(r) ? splatOf(r) : localOf(r, vec && !invariant.has(r)));
    }
    store(f, o.dtype, vec);
  };

  const innermost = (vec: boolean): void => {
    for (const n of computed) if ((!post.has(n.outputs[0]!) || isReduce(n)) && !invariant.has(n.outputs[0]!)) compute(n, depth, vec);
    loadPasses(depth, vec, false);
    spec.outputs.forEach((o, j) => {
      if (!post.has(o)) storeOut(j, depth, vec);
    });
  };
  const bump = (l: number, times: number): void => {
    keys.forEach((_, q) => {
      const s = keyStrides[q]![l]!;
      if (s) f.get(P[q]![l + 1]!).i32(s * keyBytes[q]! * times).op(Op.i32_add).set(P[q]![l + 1]!);
    });
  };
  const level = (l: number): void => {
    if (l === outerLoops) {
      for (const r of reductions) {
        const init = (WASM_OPS[r.op] as { reduce: { init: number } }).reduce.init;
        if (r.outputs[0]!.dtype === "i32") f.i32(init === Infinity ? 0x7fffffff : init === -Infinity ? -0x80000000 : init);
        else f.f64(init);
        f.set(accs.get(r)!);
      }
    }
    if (l === depth) innermost(false);
    else {
      keys.forEach((_, q) => f.get(P[q]![l]!).set(P[q]![l + 1]!));
      if (simd && l === depth - 1) {
        const nv = Math.floor(ext[l]! / W);
        f.forLoop(counters[l]!, nv, 1, () => {
          innermost(true);
          bump(l, W);
        });
        if (ext[l]! % W) f.forLoop(counters[l]!, ext[l]! % W, 1, () => {
          innermost(false);
          bump(l, 1);
        });
      } else {
        f.forLoop(counters[l]!, ext[l]!, 1, () => {
          level(l + 1);
          bump(l, 1);
        });
      }
    }
    if (l === outerLoops) {
      const count = sizeOf(axes.map((a) => D[a]!));
      for (const r of reductions) {
        const out = r.outputs[0]!;
        f.get(accs.get(r)!);
        if ((WASM_OPS[r.op] as { reduce: { mean?: boolean } }).reduce.mean) f.f64(count).op(Op.f64_div);
        if (out.dtype === "f32") f.op(Op.f32_demote_f64);
        f.set(localOf(out, false));
      }
      for (const n of computed) if (post.has(n.outputs[0]!) && !isReduce(n)) compute(n, outerLoops, false);
      loadPasses(outerLoops, false, true);
      spec.outputs.forEach((o, j) => {
        if (post.has(o)) storeOut(j, outerLoops, false);
      });
    }
  };
  // the invariants, once: scalar, then splatted for the SIMD loop (a bool becomes a lane mask: 0 - b)
  for (const n of computed) {
    const o = n.outputs[0]!;
    if (!invariant.has(o)) continue;
    compute(n, 0, false);
    if (!simd) continue;
    const l = f.local(T.v128);
    f.get(localOf(o, false));
    if (o.dtype === "bool") {
      const t = f.local(T.i32);
      f.set(t).i32(0).get(t).op(Op.i32_sub).simd(Simd.i32x4_splat);
    } else f.simd(o.dtype === "f32" ? Simd.f32x4_splat : Simd.f64x2_splat);
    f.set(l);
    splats.set(o, l);
  }
  level(0);
  return { fn: f, simd };
}
