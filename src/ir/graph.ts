/** @file The SSA graph: values, nodes, graphs, and the builder that is the only way to make nodes. */
import { DTypeError, GraftError, UsageError, withLoc } from "./errors.js";
import type { DType } from "./dtype.js";
import type { Shape } from "./shape.js";
import { shapeStr } from "./shape.js";
import { OPS, type AttrsOf, type OpName } from "./ops/index.js";
import { constAttrs } from "./ops/source.js";
import { checkAttrs } from "./attrs.js";

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

export const typeStr = (t: TensorType): string => `${t.dtype}${shapeStr(t.shape)}`;
export const sameType = (a: TensorType, b: TensorType): boolean =>
  a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** An SSA value: a graph input, a state parameter, or one output of a node. */
export class Value {
  constructor(
    readonly id: number,
    readonly type: TensorType,
    /** The node that defines it; null for inputs and state parameters. */
    readonly def: Node | null = null,
    /** Which output of `def` it is. */
    readonly index = 0,
  ) {}
  get dtype(): DType {
    return this.type.dtype;
  }
  get shape(): Shape {
    return this.type.shape;
  }
}

export type AttrValue = number | boolean | string | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  readonly op: OpName;
  readonly inputs: readonly Value[];
  readonly attrs: Attrs;
  readonly outputs: readonly Value[];
  /** Where the user's code created it ("model.ts:12"), when known. */
  readonly loc?: string;
  /** A nested graph, for region ops (fused kernels). */
  readonly body?: Graph;
}

/** A variable or optimizer slot read by the step: an input whose new value `assigns` records. */
export interface StateParam {
  readonly value: Value;
  readonly name: string;
  readonly trainable: boolean;
}

export interface Assign {
  readonly state: Value;
  readonly value: Value;
}

/** An immutable function in SSA form. Passes make new graphs; they never edit one. */
export class Graph {
  constructor(
    readonly name: string,
    readonly inputs: readonly Value[],
    readonly state: readonly StateParam[],
    readonly nodes: readonly Node[],
    readonly outputs: readonly Value[],
    readonly assigns: readonly Assign[],
  ) {}
}

/** A number where a value is expected becomes a scalar constant of the other operands' dtype. */
export type Operand = Value | number;

type OpCalls = { readonly [K in OpName]: (...inputs: Operand[]) => Value };

/**
 * Builds graphs. Every node goes through `emit`, which checks arity and attributes and runs the
 * op's shape/dtype inference, so a graph made by a builder is typed by construction.
 */
export class Builder {
  private nextId = 0;
  private readonly inputs: Value[] = [];
  private readonly state: StateParam[] = [];
  private readonly nodes: Node[] = [];
  private readonly outs: Value[] = [];
  private readonly assigns: Assign[] = [];
  /** Source location stamped on nodes emitted without an explicit one. */
  loc: string | undefined;

  constructor(readonly name = "main") {}

  input(type: TensorType): Value {
    const v = new Value(this.nextId++, { dtype: type.dtype, shape: [...type.shape] });
    this.inputs.push(v);
    return v;
  }

  stateParam(type: TensorType, name: string, trainable = true): Value {
    const v = new Value(this.nextId++, { dtype: type.dtype, shape: [...type.shape] });
    this.state.push({ value: v, name, trainable });
    return v;
  }

  /** Emits one node and returns its first output. */
  emit<K extends OpName>(op: K, inputs: readonly Operand[], attrs?: Partial<AttrsOf<K>>, loc?: string, body?: Graph): Value {
    return this.emitMulti(op, inputs, attrs, loc, body)[0]!;
  }

  /** Emits one node and returns all its outputs. */
  emitMulti<K extends OpName>(op: K, inputs: readonly Operand[], attrs?: Partial<AttrsOf<K>>, loc?: string, body?: Graph): Value[] {
    const def = OPS[op];
    if (!def) throw new UsageError(`unknown op '${String(op)}'`);
    const where = loc ?? this.loc;
    const firstVal = (pred: (v: Value) => boolean) => inputs.find((x): x is Value => x instanceof Value && pred(x));
    // weak numbers take the dtype of the numeric operands (not a where's bool condition); with
    // none, they are f32 (`where(c, 1, 0)`)
    const dtypeHint = firstVal((v) => v.dtype !== "bool")?.dtype ?? "f32";
    const bad = dtypeHint === "i32" ? inputs.find((x) => typeof x === "number" && !Number.isInteger(x)) : undefined;
    if (bad !== undefined) {
      throw withLoc(new DTypeError(`${op}: the number ${bad} cannot be an i32 operand without losing its fraction; cast the tensor first (x.cast("f32"))`), where);
    }
    const vals = inputs.map((x) => (typeof x === "number" ? this.emit("const", [], constAttrs(dtypeHint, [], [x]), where) : x));
    let full = { ...def.defaults, ...(attrs ?? {}) } as AttrsOf<K>;
    let types: TensorType[];
    try {
      if (def.arity !== "variadic" && vals.length !== def.arity) {
        throw new UsageError(`${op}: expects ${def.arity} input(s), got ${vals.length}`);
      }
      // attributes are checked against the op's schema here, so a built graph is valid by construction
      const checked = checkAttrs(op, full as Record<string, unknown>);
      if ("problems" in checked) throw new UsageError(`${op}: ${checked.problems.join("; ")}`);
      full = checked.attrs as AttrsOf<K>;
      const t = (def.infer as (ins: TensorType[], a: AttrsOf<K>, body?: Graph) => TensorType | TensorType[])(
        vals.map((v) => v.type), full, body);
      types = Array.isArray(t) ? t : [t];
    } catch (e) {
      throw withLoc(e instanceof GraftError ? e : new UsageError(`${op}: ${String(e)}`), where);
    }
    const outputs: Value[] = [];
    const node: Node = { op, inputs: vals, attrs: full as Attrs, outputs, ...(where ? { loc: where } : {}), ...(body ? { body } : {}) };
    types.forEach((t, i) => outputs.push(new Value(this.nextId++, t, node, i)));
    this.nodes.push(node);
    return outputs;
  }

  /** A scalar (or splatted) constant. */
  constant(value: number, dtype: DType = "f32", shape: Shape = []): Value {
    return this.emit("const", [], constAttrs(dtype, shape, [value]));
  }

  /** Ops by name, for rules and passes: `b.o.mul(dy, y)`. Attribute-taking ops use `emit`. */
  readonly o: OpCalls = new Proxy({} as OpCalls, {
    get: (_t, op: string) => (...inputs: Operand[]) => this.emit(op as OpName, inputs),
  });

  output(...vs: Value[]): this {
    this.outs.push(...vs);
    return this;
  }

  assign(state: Value, value: Value): this {
    this.assigns.push({ state, value });
    return this;
  }

  finish(): Graph {
    return new Graph(this.name, [...this.inputs], [...this.state], [...this.nodes], [...this.outs], [...this.assigns]);
  }
}

/**
 * Copies `g` node by node through a new builder. `rewrite` may return replacement outputs for a
 * node (built with `b`, from already-mapped inputs) or undefined to copy it unchanged. This is
 * the one mechanism passes use to make a new graph.
 */
export function rebuild(
  g: Graph,
  rewrite?: (node: Node, inputs: Value[], b: Builder) => Value[] | undefined,
  name = g.name,
): Graph {
  const b = new Builder(name);
  const map = new Map<Value, Value>();
  const get = (v: Value): Value => {
    const m = map.get(v);
    if (!m) throw new UsageError(`rebuild: value %${v.id} is used before it is defined`);
    return m;
  };
  for (const v of g.inputs) map.set(v, b.input(v.type));
  for (const s of g.state) map.set(s.value, b.stateParam(s.value.type, s.name, s.trainable));
  for (const n of g.nodes) {
    const ins = n.inputs.map(get);
    b.loc = n.loc;
    const outs = rewrite?.(n, ins, b) ?? b.emitMulti(n.op, ins, n.attrs as never, n.loc, n.body);
    if (outs.length !== n.outputs.length) throw new UsageError(`rebuild: ${n.op} rewrite gave ${outs.length} outputs, expected ${n.outputs.length}`);
    n.outputs.forEach((o, i) => map.set(o, outs[i]!));
  }
  b.loc = undefined;
  b.output(...g.outputs.map(get));
  for (const a of g.assigns) b.assign(get(a.state), get(a.value));
  return b.finish();
}
