/** @file Bodies of the hand-written kernels an op names in its `{kernel}` lowering: matmul, movement copies, indexing, random.
 *
 * Movement ops (transpose, broadcast_to, slice, pad, concat) are strided copies, so they reuse the
 * loop-nest emitter with the source (or destination) access carrying the permuted, zeroed or
 * offset strides; reshape never gets here (it is a zero-copy alias). Matmul, gather, scatter_add,
 * argmax and the random generators call the runtime's helpers (src/runtime/aot-runtime.ts).
 */
import { broadcastStrides, sizeOf, stridesOf, UsageError, type Node, type Shape, type Value } from "../../ir/index.js";
import type { MatmulAttrs } from "../../ir/ops/index.js";
import { matmulDims } from "../../ir/ops/contract.js";
import { Nest, type Access } from "./nest.js";

/** Text of a kernel body plus program-level constant arrays it reads. */
export interface KernelBody {
  readonly text: string;
  readonly statics?: ReadonlyMap<string, string>;
}

const attr = <T>(n: Node, k: string): T => n.attrs[k] as T;

/** A strided copy `out[access] = in[access]` over `dims`. */
function copy(dims: Shape, from: Access, to: Access): string {
  const nest = new Nest(dims, dims.map(() => false), [from, to]);
  nest.store(1, nest.load(0, "x"));
  return nest.print();
}

const dense = (array: string, shape: Shape, offset = 0): Access => ({ array, strides: stridesOf(shape), offset });
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

/**
 * A matmul call per batch entry. Strides let the helper read transposed operands directly:
 * A is [M,K] (row stride K) or, transposed, [K,M] (row stride 1, depth stride M); likewise B.
 */
export function matmulCall(a: Value, b: Value, out: Value, t: MatmulAttrs, x: string, y: string, o: string, staticName: string): KernelBody {
  const { m, k, n, batch } = matmulDims(a.type, b.type, t);
  const [sAi, sAk] = t.transposeA ? [1, m] : [k, 1];
  const [sBk, sBj] = t.transposeB ? [1, k] : [n, 1];
  const args = (aOff: string, bOff: string, cOff: string): string =>
    `matmul(${x}, ${aOff}, ${sAi}, ${sAk}, ${y}, ${bOff}, ${sBk}, ${sBj}, ${o}, ${cOff}, ${m}, ${k}, ${n});`;
  const count = sizeOf(batch);
  if (batch.length === 0 || count === 1) {
    return { text: `// [${out.shape}] = ${t.transposeA ? "A^T" : "A"} [${m}x${k}] . ${t.transposeB ? "B^T" : "B"} [${k}x${n}]\n${args("0", "0", "0")}` };
  }
  // batch offsets of each operand (broadcast batch dims repeat the same matrix)
  const bsa = broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * m * k);
  const bsb = broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * k * n);
  const bst = stridesOf(batch);
  const offA: number[] = [];
  const offB: number[] = [];
  for (let p = 0; p < count; p++) {
    const idx = bst.map((s, d) => Math.floor(p / s) % batch[d]!);
    offA.push(dot(idx, bsa));
    offB.push(dot(idx, bsb));
  }
  const linear = (offs: number[]): number | undefined => (offs.every((v, p) => v === p * (offs[1] ?? 0)) ? offs[1] ?? 0 : undefined);
  const la = linear(offA);
  const lb = linear(offB);
  const statics = new Map<string, string>();
  const ref = (offs: number[], lin: number | undefined, tag: string): string => {
    if (lin !== undefined) return lin === 0 ? "0" : `q * ${lin}`;
    statics.set(`${staticName}_${tag}`, `new Int32Array(${JSON.stringify(offs)})`);
    return `${staticName}_${tag}[q]`;
  };
  const text = [
    `// ${count} x ([${m}x${k}] . [${k}x${n}]), batch [${batch}]`,
    `for (let q = 0; q < ${count}; q++) {`,
    `  ${args(ref(offA, la, "a"), ref(offB, lb, "b"), `q * ${m * n}`)}`,
    `}`,
  ].join("\n");
  return { text, statics };
}

/**
 * y[R,C] = x[C,R]^T in 32x32 tiles: a plain loop reads x down its columns, touching a new cache
 * line per element; inside a tile both sides stay in L1.
 */
function tiledTranspose(R: number, C: number, x: string, y: string): string {
  return [
    `// [${R},${C}] <- [${C},${R}]^T in 32x32 tiles`,
    `for (let r0 = 0; r0 < ${R}; r0 += 32) {`,
    `  const r1 = Math.min(r0 + 32, ${R});`,
    `  for (let c0 = 0; c0 < ${C}; c0 += 32) {`,
    `    const c1 = Math.min(c0 + 32, ${C});`,
    `    for (let r = r0; r < r1; r++) {`,
    `      for (let c = c0; c < c1; c++) ${y}[r * ${C} + c] = ${x}[c * ${R} + r];`,
    `    }`,
    `  }`,
    `}`,
  ].join("\n");
}

/** Rows [base, base + rows) of an unbatched product, into `o` (rows x n, from offset 0). */
export function matmulRowsCall(a: Value, b: Value, t: MatmulAttrs, x: string, y: string, o: string, base: string, rows: string): { text: string; m: number; n: number } {
  const { m, k, n } = matmulDims(a.type, b.type, t);
  const [sAi, sAk] = t.transposeA ? [1, m] : [k, 1];
  const [sBk, sBj] = t.transposeB ? [1, k] : [n, 1];
  return { text: `matmul(${x}, ${base}${sAi === 1 ? "" : ` * ${sAi}`}, ${sAi}, ${sAk}, ${y}, 0, ${sBk}, ${sBj}, ${o}, 0, ${rows}, ${k}, ${n});`, m, n };
}

/** Kernels for movement, indexing and random ops: `x` names the inputs, `y` the output. */
export function namedKernel(kernel: string, n: Node, x: readonly string[], y: string): KernelBody {
  const out = n.outputs[0]!;
  const ins = n.inputs;
  switch (kernel) {
    case "transpose": {
      const perm = attr<number[]>(n, "perm");
      const st = stridesOf(ins[0]!.shape);
      if (perm.length === 2 && perm[0] === 1 && sizeOf(out.shape) >= 4096) return { text: tiledTranspose(out.shape[0]!, out.shape[1]!, x[0]!, y) };
      return { text: copy(out.shape, { array: x[0]!, strides: perm.map((p) => st[p]!), offset: 0 }, dense(y, out.shape)) };
    }
    case "broadcast_to":
      return { text: copy(out.shape, { array: x[0]!, strides: broadcastStrides(ins[0]!.shape, out.shape), offset: 0 }, dense(y, out.shape)) };
    case "slice": {
      const st = stridesOf(ins[0]!.shape);
      return { text: copy(out.shape, { array: x[0]!, strides: st, offset: dot(attr<number[]>(n, "begin"), st) }, dense(y, out.shape)) };
    }
    case "pad": {
      const ost = stridesOf(out.shape);
      const before = attr<number[]>(n, "before");
      return { text: `${y}.fill(0);\n${copy(ins[0]!.shape, dense(x[0]!, ins[0]!.shape), { array: y, strides: ost, offset: dot(before, ost) })}` };
    }
    case "concat": {
      const axis = attr<number>(n, "axis");
      const ost = stridesOf(out.shape);
      let start = 0;
      const parts = ins.map((v, i) => {
        const c = copy(v.shape, dense(x[i]!, v.shape), { array: y, strides: ost, offset: start * ost[axis]! });
        start += v.shape[axis]!;
        return `// input ${i}: [${v.shape}]\n${c}`;
      });
      return { text: parts.join("\n") };
    }
    case "gather": {
      const axis = attr<number>(n, "axis");
      const s = ins[0]!.shape;
      return { text: `gather(${x[0]}, ${x[1]}, ${y}, ${sizeOf(s.slice(0, axis))}, ${s[axis]}, ${sizeOf(s.slice(axis + 1))});` };
    }
    case "scatter_add": {
      const axis = attr<number>(n, "axis");
      const s = out.shape;
      return { text: `scatterAdd(${x[0]}, ${x[1]}, ${y}, ${sizeOf(s.slice(0, axis))}, ${s[axis]}, ${sizeOf(s.slice(axis + 1))});` };
    }
    case "argmax": {
      const axis = attr<number>(n, "axis");
      const s = ins[0]!.shape;
      return { text: `argmax(${x[0]}, ${y}, ${sizeOf(s.slice(0, axis))}, ${s[axis]}, ${sizeOf(s.slice(axis + 1))});` };
    }
    case "random_uniform":
      return { text: `randomUniform(${x[0]}, ${y});` };
    case "random_normal":
      return { text: `randomNormal(${x[0]}, ${y});` };
    default:
      throw new UsageError(`js codegen: no kernel '${kernel}' for ${n.op}`);
  }
}
