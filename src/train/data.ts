/** @file Dataset: a host-side input pipeline in the tf.data style (fromTensorSlices, shuffle, batch, map,
 * repeat, take), iterable with for...of, deterministic with a seed. Elements are trees of eager tensors. */
import { Tensor } from "../dsl/index.js";
import { asInputArray, isTensorInput } from "../dsl/inputs.js";
import { flatten, unflatten, type TreeDef } from "../dsl/pytree.js";
import { allocStorage, flattenNested, nd, sameShape, ShapeError, shapeStr, sizeOf, UsageError, type NDArray } from "../ir/index.js";
import { mulberry32 } from "../ir/random.js";
/** The seeded generator `shuffle` uses, for user code that wants the same stream (mulberry32). */
export { mulberry32 };

/** What fromTensorSlices accepts: a tensor-like (Tensor, typed array, nested numbers, tfjs tensor) or a tuple/object of them. */
export type Sliceable = unknown;

/** Number of elements, when known; Infinity for repeat(); undefined when it cannot be known. */
export type Cardinality = number | undefined;

/**
 * A re-iterable sequence of elements. Each `for...of` starts a fresh pass: a shuffled dataset draws a
 * new order per pass (epoch), determined by its seed and how many passes came before.
 */
export class Dataset<T = unknown> implements Iterable<T> {
  private constructor(
    private readonly open: () => Iterator<T>,
    private readonly size: Cardinality,
  ) {}

  /**
   * Slices along the first axis: element i holds row i of every component. Arrays of numbers (nested,
   * rectangular) are one tensor; other arrays are tuples and plain objects are dicts of components.
   */
  static fromTensorSlices<S = unknown>(data: Sliceable): Dataset<S> {
    const { leaves, def } = flatten(data, isComponent);
    if (leaves.length === 0) throw new UsageError("Dataset.fromTensorSlices: no tensors found in the argument");
    const cols = leaves.map(toArray);
    const n = cols[0]!.shape[0];
    cols.forEach((c, i) => {
      if (c.shape.length === 0) throw new ShapeError(`Dataset.fromTensorSlices: component ${i} is a scalar; it needs a first axis to slice`);
      if (c.shape[0] !== n) throw new ShapeError(`Dataset.fromTensorSlices: components have different first dimensions (${cols.map((k) => shapeStr(k.shape)).join(", ")})`);
    });
    const rows = cols.map((c) => ({ c, rowShape: c.shape.slice(1), rowSize: sizeOf(c.shape.slice(1)) }));
    const element = (i: number): S =>
      unflatten(def, rows.map(({ c, rowShape, rowSize }) => new Tensor({ nd: { dtype: c.dtype, shape: rowShape, data: c.data.subarray(i * rowSize, (i + 1) * rowSize) } }))) as S;
    return new Dataset<S>(() => countUp(n!, element), n);
  }

  /** Elements given as a list (each a tree of tensors). */
  static fromElements<S>(elements: readonly S[]): Dataset<S> {
    const list = [...elements];
    return new Dataset<S>(() => list[Symbol.iterator](), list.length);
  }

  /** 0, 1, ..., n-1 as i32 scalars. */
  static range(n: number): Dataset<Tensor> {
    return new Dataset<Tensor>(() => countUp(n, (i) => new Tensor({ nd: nd("i32", [], [i]) })), n);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.open();
  }

  /** Number of elements a pass yields (Infinity after repeat(); undefined when unknown). */
  cardinality(): Cardinality {
    return this.size;
  }

  /** All elements of one pass. */
  toArray(): T[] {
    if (this.size === Infinity) throw new UsageError("Dataset.toArray: the dataset repeats forever; take(n) first");
    return [...this];
  }

  /** f applied to every element, lazily (eagerly with DSL ops on small tensors: keep it light). */
  map<U>(f: (x: T) => U): Dataset<U> {
    const up = this;
    return new Dataset<U>(function* () {
      for (const x of up) yield f(x);
    }, this.size);
  }

  /** The first n elements. */
  take(n: number): Dataset<T> {
    const up = this;
    return new Dataset<T>(function* () {
      if (n <= 0) return;
      let k = 0;
      for (const x of up) {
        yield x;
        if (++k >= n) return;
      }
    }, this.size === undefined ? undefined : Math.min(n, this.size));
  }

  /** Everything after the first n elements. */
  skip(n: number): Dataset<T> {
    const up = this;
    return new Dataset<T>(function* () {
      let k = 0;
      for (const x of up) if (k++ >= n) yield x;
    }, this.size === undefined ? undefined : Math.max(0, this.size - n));
  }

  /** `count` passes over the data (forever when omitted); a shuffle upstream reshuffles each pass. */
  repeat(count = Infinity): Dataset<T> {
    const up = this;
    return new Dataset<T>(function* () {
      for (let r = 0; r < count; r++) {
        let any = false;
        for (const x of up) {
          any = true;
          yield x;
        }
        if (!any) return;
      }
    }, this.size === undefined ? undefined : this.size * count);
  }

  /**
   * Consecutive elements stacked along a new first axis; the last batch may be smaller unless
   * dropRemainder. Every element must have the same structure and shapes.
   */
  batch(batchSize: number, opts: { dropRemainder?: boolean } = {}): Dataset<T> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`Dataset.batch: batch size must be a positive integer, got ${batchSize}`);
    const up = this;
    const drop = opts.dropRemainder ?? false;
    const size = this.size === undefined || this.size === Infinity ? this.size : drop ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    return new Dataset<T>(function* () {
      let buf: T[] = [];
      for (const x of up) {
        buf.push(x);
        if (buf.length === batchSize) {
          yield stack(buf);
          buf = [];
        }
      }
      if (buf.length > 0 && !drop) yield stack(buf);
    }, size);
  }

  /**
   * tf.data's buffered shuffle: keep `bufferSize` elements, emit a random one, refill its place.
   * A buffer at least the dataset's size gives a uniform permutation. With a seed the order of pass
   * k depends only on (seed, k); `reshuffleEachIteration: false` repeats the first pass's order.
   */
  shuffle(bufferSize: number, opts: { seed?: number; reshuffleEachIteration?: boolean } = {}): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new UsageError(`Dataset.shuffle: buffer size must be a positive integer, got ${bufferSize}`);
    const up = this;
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const reshuffle = opts.reshuffleEachIteration ?? true;
    let pass = 0;
    return new Dataset<T>(function* () {
      const rand = mulberry32(mix(seed, reshuffle ? pass++ : 0));
      const buf: T[] = [];
      for (const x of up) {
        if (buf.length < bufferSize) {
          buf.push(x);
          continue;
        }
        const j = Math.floor(rand() * bufferSize);
        yield buf[j]!;
        buf[j] = x;
      }
      // drain: a Fisher-Yates pass over what is left
      while (buf.length > 0) {
        const j = Math.floor(rand() * buf.length);
        yield buf[j]!;
        buf[j] = buf[buf.length - 1]!;
        buf.pop();
      }
    }, this.size);
  }

  /** Accepted for tf.data compatibility; elements are produced on demand on the same thread. */
  prefetch(_bufferSize?: number): Dataset<T> {
    return this;
  }
}

function* countUp<S>(n: number, element: (i: number) => S): Generator<S> {
  for (let i = 0; i < n; i++) yield element(i);
}

/** A component of fromTensorSlices: a tensor-like, or an array that is numbers all the way down. */
function isComponent(x: unknown): boolean {
  if (isTensorInput(x)) return true;
  if (!Array.isArray(x)) return false;
  let probe: unknown = x;
  while (Array.isArray(probe)) probe = probe[0];
  return typeof probe === "number" || typeof probe === "boolean" || x.length === 0 ? isNumeric(x) : false;
}

function isNumeric(x: unknown[]): boolean {
  try {
    return flattenNested(x).data.every((v) => typeof v === "number" || typeof v === "boolean");
  } catch {
    return false;
  }
}

function toArray(x: unknown): NDArray {
  if (Array.isArray(x)) {
    const f = flattenNested(x);
    const dt = typeof (f.data[0] as unknown) === "boolean" ? "bool" : "f32";
    return nd(dt, f.shape, f.data);
  }
  return asInputArray(x);
}

/** An element's tensors and a key for its structure (fast paths for a tensor and a tuple of tensors). */
function leavesOf(e: unknown): { leaves: unknown[]; key: string; def?: TreeDef } {
  if (e instanceof Tensor) return { leaves: [e], key: "T" };
  if (Array.isArray(e) && e.every((x) => x instanceof Tensor)) return { leaves: e, key: `[${e.length}]` };
  const { leaves, def } = flatten(e);
  return { leaves, key: JSON.stringify(def), def };
}

/** Stacks a list of same-structured elements leaf by leaf along a new first axis. */
function stack<T>(elems: readonly T[]): T {
  const first = leavesOf(elems[0]);
  const cols = first.leaves.map((l, i) => {
    if (!(l instanceof Tensor)) throw new UsageError(`Dataset.batch: element component ${i} is not a tensor (${typeof l})`);
    return l.nd;
  });
  const outs = cols.map((a) => allocStorage(a.dtype, elems.length * a.data.length));
  elems.forEach((e, k) => {
    const { leaves, key } = k === 0 ? first : leavesOf(e);
    if (key !== first.key) throw new ShapeError(`Dataset.batch: element ${k} of the batch has a different structure from element 0`);
    for (let i = 0; i < cols.length; i++) {
      const a = (leaves[i] as Tensor).nd;
      const c = cols[i]!;
      if (a.dtype !== c.dtype || !sameShape(a.shape, c.shape)) {
        throw new ShapeError(`Dataset.batch: component ${i} of element ${k} is ${a.dtype}${shapeStr(a.shape)}, element 0 has ${c.dtype}${shapeStr(c.shape)} (batch needs equal shapes)`);
      }
      outs[i]!.set(a.data, k * a.data.length);
    }
  });
  const stacked = cols.map((c, i) => new Tensor({ nd: { dtype: c.dtype, shape: [elems.length, ...c.shape], data: outs[i]! } }));
  if (first.key === "T") return stacked[0] as T;
  if (!first.def) return stacked as T;
  return unflatten(first.def, stacked) as T;
}

/** Seed and pass number mixed into one 32-bit seed (a splitmix-style finalizer). */
function mix(seed: number, pass: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(pass + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

