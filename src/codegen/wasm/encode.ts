/** @file A small WebAssembly binary encoder: one module with an imported memory, imported host functions and exported kernels.
 *
 * graft writes its own bytes instead of depending on binaryen or wabt: a step's module is a few
 * dozen straight-line functions whose instructions the emitters already pick one by one, so an
 * optimizer has little to add, and encoding is a single pass over number arrays (W1's module
 * builds in about a millisecond; see bench/RESULTS.md for the comparison with binaryen).
 */

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof T)[keyof typeof T];

/** Opcodes used by graft's emitters (single-byte ones; SIMD ones go through `simd`). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b, local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, f32_load: 0x2a, f64_load: 0x2b, i32_load8_u: 0x2d, i32_store: 0x36, f32_store: 0x38, f64_store: 0x39, i32_store8: 0x3a,
  i32_const: 0x41, f32_const: 0x43, f64_const: 0x44,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_le_s: 0x4c, i32_ge_s: 0x4e,
  f32_eq: 0x5b, f32_ne: 0x5c, f32_lt: 0x5d, f32_gt: 0x5e, f32_le: 0x5f, f32_ge: 0x60,
  f64_eq: 0x61, f64_ne: 0x62, f64_lt: 0x63, f64_gt: 0x64, f64_le: 0x65, f64_ge: 0x66,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75,
  f32_abs: 0x8b, f32_neg: 0x8c, f32_floor: 0x8e, f32_sqrt: 0x91, f32_add: 0x92, f32_sub: 0x93, f32_mul: 0x94, f32_div: 0x95, f32_min: 0x96, f32_max: 0x97, f32_copysign: 0x98,
  f64_abs: 0x99, f64_neg: 0x9a, f64_floor: 0x9c, f64_sqrt: 0x9f, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2, f64_div: 0xa3, f64_min: 0xa4, f64_max: 0xa5, f64_copysign: 0xa6,
  f32_convert_i32_s: 0xb2, f32_demote_f64: 0xb6, f64_convert_i32_s: 0xb7, f64_promote_f32: 0xbb,
} as const;

/** SIMD opcodes (prefix 0xfd, then the LEB128 index). */
export const Simd = {
  load: 0x00, load32_splat: 0x09, load64_splat: 0x0a, store: 0x0b, const: 0x0c, i32x4_splat: 0x11, f32x4_splat: 0x13, f64x2_splat: 0x14,
  f32x4_extract_lane: 0x1f, f64x2_extract_lane: 0x21,
  f32x4_eq: 0x41, f32x4_ne: 0x42, f32x4_lt: 0x43, f32x4_gt: 0x44, f32x4_le: 0x45, f32x4_ge: 0x46,
  f64x2_eq: 0x47, f64x2_ne: 0x48, f64x2_lt: 0x49, f64x2_gt: 0x4a, f64x2_le: 0x4b, f64x2_ge: 0x4c,
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52,
  f32x4_floor: 0x68, f64x2_floor: 0x75,
  f32x4_abs: 0xe0, f32x4_neg: 0xe1, f32x4_sqrt: 0xe3, f32x4_add: 0xe4, f32x4_sub: 0xe5, f32x4_mul: 0xe6, f32x4_div: 0xe7, f32x4_min: 0xe8, f32x4_max: 0xe9,
  f64x2_abs: 0xec, f64x2_neg: 0xed, f64x2_sqrt: 0xef, f64x2_add: 0xf0, f64x2_sub: 0xf1, f64x2_mul: 0xf2, f64x2_div: 0xf3, f64x2_min: 0xf4, f64x2_max: 0xf5,
} as const;

export function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
}

export function sleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const scratch = new DataView(new ArrayBuffer(8));

/** The code of one function, built instruction by instruction. Locals after the params are declared with `local`. */
export class Func {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }
  op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }
  simd(op: number): this {
    this.code.push(0xfd);
    uleb(this.code, op);
    return this;
  }
  get(i: number): this {
    this.code.push(Op.local_get);
    uleb(this.code, i);
    return this;
  }
  set(i: number): this {
    this.code.push(Op.local_set);
    uleb(this.code, i);
    return this;
  }
  tee(i: number): this {
    this.code.push(Op.local_tee);
    uleb(this.code, i);
    return this;
  }
  i32(v: number): this {
    this.code.push(Op.i32_const);
    sleb(this.code, v);
    return this;
  }
  f32(v: number): this {
    scratch.setFloat32(0, v, true);
    this.code.push(Op.f32_const, ...new Uint8Array(scratch.buffer, 0, 4));
    return this;
  }
  f64(v: number): this {
    scratch.setFloat64(0, v, true);
    this.code.push(Op.f64_const, ...new Uint8Array(scratch.buffer, 0, 8));
    return this;
  }
  /** A memory access with alignment log2 `align` and a constant byte offset. */
  mem(op: number, align: number, offset = 0): this {
    this.code.push(op, align);
    uleb(this.code, offset);
    return this;
  }
  simdMem(op: number, align: number, offset = 0): this {
    this.simd(op);
    this.code.push(align);
    uleb(this.code, offset);
    return this;
  }
  call(fn: number): this {
    this.code.push(Op.call);
    uleb(this.code, fn);
    return this;
  }
  /** `for (i = 0; i < n; i += step) body()`, with n > 0 known at compile time or held in a local. */
  forLoop(i: number, n: number | { local: number }, step: number, body: () => void): this {
    this.i32(0).set(i);
    const bound = (): void => void (typeof n === "number" ? this.i32(n) : this.get(n.local));
    // guard: a zero-trip loop never runs the body
    bound();
    this.op(Op.i32_const, 0, Op.i32_gt_s, Op.if, 0x40, Op.loop, 0x40);
    body();
    this.get(i).i32(step).op(Op.i32_add).tee(i);
    bound();
    this.op(Op.i32_lt_s, Op.br_if, 0, Op.end, Op.end);
    return this;
  }
  /** The function body (local declarations, run-length by type, then code), size-prefixed, into `w`. */
  encodeInto(w: Bytes): void {
    const head: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(head, groups.length);
    for (const [n, t] of groups) {
      uleb(head, n);
      head.push(t);
    }
    w.uleb(head.length + this.code.length + 1);
    w.bytes(head);
    w.bytes(this.code);
    w.byte(Op.end);
  }
}

/** A growable byte buffer (no intermediate arrays: module encoding stays in the millisecond range). */
export class Bytes {
  buf = new Uint8Array(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }
  bytes(bs: ArrayLike<number>): void {
    this.room(bs.length);
    this.buf.set(bs, this.length);
    this.length += bs.length;
  }
  uleb(v: number): void {
    const t: number[] = [];
    uleb(t, v);
    this.bytes(t);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

function name(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  out.push(...b);
}

function section(out: Bytes, id: number, body: number[] | Bytes): void {
  out.byte(id);
  out.uleb(body.length);
  out.bytes(body instanceof Bytes ? body.buf.subarray(0, body.length) : body);
}

/**
 * A module: imported memory `env.memory` (`pages` 64 KiB pages, shared when `shared`), the host
 * function imports (function indices 0..imports-1), then the functions, each exported by name.
 */
export function encodeModule(opts: { pages: number; maxPages: number; shared: boolean; imports: readonly Import[]; funcs: ReadonlyArray<{ name: string; fn: Func }> }): Uint8Array {
  const types: string[] = [];
  const typeOf = (p: readonly ValType[], r: readonly ValType[]): number => {
    const key = `${p.join(",")}>${r.join(",")}`;
    let i = types.indexOf(key);
    if (i < 0) i = types.push(key) - 1;
    return i;
  };
  const importTypes = opts.imports.map((im) => typeOf(im.params, im.results));
  const funcTypes = opts.funcs.map((f) => typeOf(f.fn.params, f.fn.results));
  const out = new Bytes();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const ty: number[] = [];
  uleb(ty, types.length);
  for (const key of types) {
    const [p, r] = key.split(">").map((s) => (s ? s.split(",").map(Number) : []));
    ty.push(0x60);
    uleb(ty, p!.length);
    ty.push(...p!);
    uleb(ty, r!.length);
    ty.push(...r!);
  }
  section(out, 1, ty);
  const im: number[] = [];
  uleb(im, opts.imports.length + 1);
  name(im, "env");
  name(im, "memory");
  im.push(0x02, opts.shared ? 0x03 : 0x01);
  uleb(im, opts.pages);
  uleb(im, opts.maxPages);
  opts.imports.forEach((x, i) => {
    name(im, x.module);
    name(im, x.name);
    im.push(0x00);
    uleb(im, importTypes[i]!);
  });
  section(out, 2, im);
  const fs: number[] = [];
  uleb(fs, funcTypes.length);
  for (const t of funcTypes) uleb(fs, t);
  section(out, 3, fs);
  const ex: number[] = [];
  uleb(ex, opts.funcs.length);
  opts.funcs.forEach((f, i) => {
    name(ex, f.name);
    ex.push(0x00);
    uleb(ex, opts.imports.length + i);
  });
  section(out, 7, ex);
  const code = new Bytes();
  code.uleb(opts.funcs.length);
  for (const f of opts.funcs) f.fn.encodeInto(code);
  section(out, 10, code);
  return out.result();
}
