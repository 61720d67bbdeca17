/** @file Loop nests over a kernel's domain: axis collapsing, loop-invariant hoisting, and the text of the loops.
 *
 * A kernel reads and writes arrays through accesses: an array plus one stride per domain axis and
 * a base offset (a broadcast input has stride 0 on the axes it is stretched over; a transposed
 * read has permuted strides). Before emitting, axes are collapsed where every access agrees
 * (`st[a] == st[a+1] * n[a+1]`), so same-shape operands become one flat loop (the contiguous fast
 * path) and a bias add over [128,256] stays two loops with the bias read at `j`.
 *
 * Every statement gets a level: the number of enclosing loops it needs. A load's level is one past
 * the innermost loop its access moves along; a computation's is the max of its operands'. So a
 * row-broadcast value is read once per row, and math on it is done once per row, outside the
 * inner loop. Offsets are computed incrementally per level and shared by accesses with the same
 * strides.
 *
 * Reductions: loops are split into an outer group (kept axes) and an inner group (reduced axes,
 * innermost). Accumulators are declared at the boundary, combined in the innermost loop, and the
 * "post" statements (finish, epilogue math, reduced stores) run after the inner loops close.
 */

export interface Access {
  readonly array: string;
  /** One stride per domain axis, in the domain's axis order (0: not moving along that axis). */
  readonly strides: readonly number[];
  /** A constant, or an expression evaluated before the nest (e.g. a row block's start). */
  readonly offset: number | string;
}

/** A value inside the loop body: its text (a name or literal) and the loop depth it needs. */
export interface Ref {
  readonly text: string;
  readonly level: number;
}

interface Stmt {
  readonly level: number;
  readonly text: string;
}

/** Builds the statements of one loop nest, then prints it. */
export class Nest {
  /** Collapsed loop extents, outermost first. */
  readonly extents: number[];
  /** How many of the collapsed loops are outer (kept) loops; the rest reduce. */
  readonly outerLoops: number;
  /** For each registered access: collapsed strides (one per loop). */
  readonly cstrides: number[][];
  private readonly offsets: (number | string)[];
  private readonly arrays: string[];
  private readonly pre: Stmt[] = [];
  private readonly post: string[] = [];
  private readonly accDecls: string[] = [];
  private readonly combines: string[] = [];
  private readonly offsetDecls = new Map<string, Stmt & { name: string }>();
  private readonly loads = new Map<string, Ref>();
  private tmp = 0;

  /**
   * `dims` are the domain extents; `reduced[a]` marks axes the kernel reduces over. Loops run over
   * kept axes (in order) and then reduced axes (in order). `accesses` lists every array access the
   * kernel will make, so collapsing can respect all of them.
   */
  constructor(dims: readonly number[], reduced: readonly boolean[], accesses: readonly Access[]) {
    const order = [...dims.keys()].filter((a) => !reduced[a]).concat([...dims.keys()].filter((a) => reduced[a]));
    // drop size-1 axes: they contribute nothing to any offset
    const axes = order.filter((a) => dims[a] !== 1);
    const ext: number[] = [];
    const grp: boolean[] = [];
    const st: number[][] = accesses.map(() => []);
    // merge from the innermost axis outward while every access agrees
    for (let p = axes.length - 1; p >= 0; p--) {
      const a = axes[p]!;
      const last = ext.length - 1;
      const canMerge = last >= 0 && grp[0] === !!reduced[a] &&
        accesses.every((acc, k) => acc.strides[a] === st[k]![0]! * ext[0]!);
      if (canMerge) {
        ext[0] = ext[0]! * dims[a]!;
        // the merged axis keeps the inner stride
      } else {
        ext.unshift(dims[a]!);
        grp.unshift(!!reduced[a]);
        accesses.forEach((acc, k) => st[k]!.unshift(acc.strides[a]!));
      }
    }
    this.extents = ext;
    this.outerLoops = grp.filter((r) => !r).length;
    this.cstrides = st;
    this.offsets = accesses.map((a) => a.offset);
    this.arrays = accesses.map((a) => a.array);
  }

  get depth(): number {
    return this.extents.length;
  }

  /** One past the innermost loop access `k` moves along (0: it reads one element for the whole nest). */
  levelOf(k: number): number {
    const s = this.cstrides[k]!;
    for (let l = s.length - 1; l >= 0; l--) if (s[l] !== 0) return l + 1;
    return 0;
  }

  /** The index expression of access `k` at loop depth `level`, declaring shared partial offsets on the way. */
  private index(k: number, level: number): string {
    const s = this.cstrides[k]!;
    let expr = this.offsets[k] ? String(this.offsets[k]) : "";
    for (let l = 0; l < level; l++) {
      if (s[l] === 0) continue;
      const term = s[l] === 1 ? `i${l}` : `i${l} * ${s[l]}`;
      const full = expr ? `${expr} + ${term}` : term;
      const deeper = s.slice(l + 1, level).some((x) => x !== 0);
      if (!deeper) {
        expr = full;
        continue;
      }
      // a partial offset reused inside deeper loops: name it once per distinct prefix
      const key = `${this.offsets[k]}|${s.slice(0, l + 1).join(",")}`;
      let d = this.offsetDecls.get(key);
      if (!d) {
        const name = `o${this.offsetDecls.size}`;
        d = { name, level: l + 1, text: `const ${name} = ${full};` };
        this.offsetDecls.set(key, d);
      }
      expr = d.name;
    }
    return expr || "0";
  }

  /** Reads access `k` (deduplicated): `const name = array[index]` at the access's level. */
  load(k: number, name?: string): Ref {
    const level = this.levelOf(k);
    const sig = `${this.arrays[k]}|${this.offsets[k]}|${this.cstrides[k]!.join(",")}`;
    const hit = this.loads.get(sig);
    if (hit) return hit;
    const n = name ?? `a${this.tmp++}`;
    this.pre.push({ level, text: `const ${n} = ${this.arrays[k]}[${this.index(k, level)}];` });
    const ref = { text: n, level };
    this.loads.set(sig, ref);
    return ref;
  }

  /** Computes `text` from `deps` at the deepest of their levels; `post` puts it after the reduction. */
  compute(name: string, text: string, deps: readonly Ref[], post = false): Ref {
    if (post) {
      this.post.push(`const ${name} = ${text};`);
      return { text: name, level: this.outerLoops };
    }
    const level = deps.reduce((m, d) => Math.max(m, d.level), 0);
    this.pre.push({ level, text: `const ${name} = ${text};` });
    return { text: name, level };
  }

  /** Stores `value` through access `k`: in the innermost loop it moves along, or after the reduction. */
  store(k: number, value: Ref, post = false): void {
    if (post) {
      this.post.push(`${this.arrays[k]}[${this.index(k, this.outerLoops)}] = ${value.text};`);
      return;
    }
    const level = Math.max(this.levelOf(k), value.level);
    this.pre.push({ level, text: `${this.arrays[k]}[${this.index(k, level)}] = ${value.text};` });
  }

  /** An accumulator: declared before the reduced loops, `combine` run in the innermost loop. */
  accumulate(name: string, init: string, combine: string): Ref {
    this.accDecls.push(`let ${name} = ${init};`);
    this.combines.push(`${name} = ${combine};`);
    return { text: name, level: this.outerLoops };
  }

  /** The product of the reduced loops' extents: each accumulator's element count. */
  get reducedCount(): number {
    return this.extents.slice(this.outerLoops).reduce((a, b) => a * b, 1);
  }

  /** The loop nest as text. */
  print(): string {
    const out: string[] = [];
    const emit = (k: number, ind: string): void => {
      const here = [...this.offsetDecls.values()].filter((d) => d.level === k).map((d) => d.text);
      for (const s of here) out.push(ind + s);
      for (const s of this.pre) if (s.level === k) out.push(ind + s.text);
      if (k === this.outerLoops) for (const s of this.accDecls) out.push(ind + s);
      if (k < this.depth) {
        out.push(`${ind}for (let i${k} = 0; i${k} < ${this.extents[k]}; i${k}++) {`);
        emit(k + 1, ind + "  ");
        out.push(`${ind}}`);
      } else {
        for (const s of this.combines) out.push(ind + s);
      }
      if (k === this.outerLoops) for (const s of this.post) out.push(ind + s);
    };
    emit(0, "");
    return out.join("\n");
  }
}
