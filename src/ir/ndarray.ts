/** @file Concrete arrays for the interpreter and eager mode, and the broadcasting loops they share. */
import { allocStorage, type DType, type Storage } from "./dtype.js";
import { broadcastStrides, sizeOf, type Shape } from "./shape.js";

/** A dense row-major array. `data` may be wider than `dtype` (f32 stored as f64 in wide mode). */
export interface NDArray {
  readonly dtype: DType;
  readonly shape: Shape;
  readonly data: Storage;
}

export function nd(dtype: DType, shape: Shape, data?: ArrayLike<number>, wide = false): NDArray {
  const store = allocStorage(dtype, sizeOf(shape), wide);
  if (data) {
    if (data.length === 1 && store.length !== 1) store.fill(data[0]!);
    else store.set(data);
  }
  return { dtype, shape: [...shape], data: store };
}

/** Calls `visit(outIndex, inOffsets)` for every element of `outShape`, inputs read with broadcasting. */
export function forEachBroadcast(outShape: Shape, inShapes: readonly Shape[], visit: (o: number, offs: Int32Array) => void): void {
  const rank = outShape.length;
  const n = sizeOf(outShape);
  const strides = inShapes.map((s) => broadcastStrides(s, outShape));
  const offs = new Int32Array(inShapes.length);
  const idx = new Int32Array(rank);
  for (let o = 0; o < n; o++) {
    visit(o, offs);
    // odometer increment, updating input offsets incrementally
    for (let ax = rank - 1; ax >= 0; ax--) {
      idx[ax]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += strides[k]![ax]!;
      if (idx[ax]! < outShape[ax]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= strides[k]![ax]! * outShape[ax]!;
      idx[ax] = 0;
    }
  }
}

/** Elementwise map with broadcasting: out[i] = f(a[i], b[i], ...). */
export function mapN(out: NDArray, ins: readonly NDArray[], f: (...xs: number[]) => number): NDArray {
  const datas = ins.map((x) => x.data);
  const od = out.data;
  if (ins.length === 1 && ins[0]!.data.length === od.length) {
    const a = datas[0]!;
    for (let i = 0; i < od.length; i++) od[i] = f(a[i]!);
    return out;
  }
  const args = new Array<number>(ins.length);
  forEachBroadcast(out.shape, ins.map((x) => x.shape), (o, offs) => {
    for (let k = 0; k < datas.length; k++) args[k] = datas[k]![offs[k]!]!;
    od[o] = f(...args);
  });
  return out;
}

/** Converts a nested JS array to flat data and its shape. */
export function flattenNested(x: unknown): { data: number[]; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      data.push(typeof v === "boolean" ? Number(v) : (v as number));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new RangeError("ragged");
    for (const e of v) walk(e, depth + 1);
  };
  walk(x, 0);
  return { data, shape };
}

/** Nested JS arrays (or a number for rank 0) from an NDArray. */
export function toNested(a: NDArray): unknown {
  const conv = (v: number): number | boolean => (a.dtype === "bool" ? v !== 0 : v);
  if (a.shape.length === 0) return conv(a.data[0]!);
  const build = (dim: number, off: number): unknown[] => {
    const n = a.shape[dim]!;
    const stride = sizeOf(a.shape.slice(dim + 1));
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(dim === a.shape.length - 1 ? conv(a.data[off + i]!) : build(dim + 1, off + i * stride));
    return out;
  };
  return build(0, 0);
}
