/** @file Generates docs/ops.md from the op registry: each primitive's signature, dtypes, broadcasting, gradient rule, backends and tfjs/JAX equivalents (`npm run docs:ops`; a test checks it is current). */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { OP_NAMES, opDef, type OpName } from "../src/ir/index.js";
import type { DType } from "../src/ir/dtype.js";
import type { TensorType } from "../src/ir/graph.js";

const DTYPES: readonly DType[] = ["f32", "f64", "i32", "bool"];
/** Attribute values that fit a [2,3] probe input (by attribute name), for calling the rules. */
const SAMPLE: Record<string, unknown> = {
  axes: [1], keepDims: false, axis: 1, perm: [1, 0], shape: [2, 3], begin: [0, 0], size: [1, 2], before: [0, 1], after: [1, 0],
  dtype: "f32", transposeA: false, transposeB: false, value: [1], n: 1, kind: "elementwise", name: "k",
};
/** JAX's name for the same primitive (jax.lax unless noted), where it has one. */
const JAX: Partial<Record<OpName, string>> = {
  neg: "lax.neg", exp: "lax.exp", log: "lax.log", sqrt: "lax.sqrt", rsqrt: "lax.rsqrt", square: "lax.square", abs: "lax.abs", sign: "lax.sign",
  tanh: "lax.tanh", sigmoid: "lax.logistic", relu: "jax.nn.relu", sin: "lax.sin", cos: "lax.cos", log1p: "lax.log1p", expm1: "lax.expm1",
  floor: "lax.floor", logical_not: "lax.bitwise_not", add: "lax.add", sub: "lax.sub", mul: "lax.mul", div: "lax.div", pow: "lax.pow",
  maximum: "lax.max", minimum: "lax.min", equal: "lax.eq", not_equal: "lax.ne", less: "lax.lt", less_equal: "lax.le", greater: "lax.gt",
  greater_equal: "lax.ge", logical_and: "lax.bitwise_and", logical_or: "lax.bitwise_or", where: "lax.select", cast: "lax.convert_element_type",
  sum: "lax.reduce_sum", mean: "jnp.mean", max: "lax.reduce_max", min: "lax.reduce_min", prod: "lax.reduce_prod", argmax: "lax.argmax",
  reshape: "lax.reshape", transpose: "lax.transpose", broadcast_to: "lax.broadcast_in_dim", slice: "lax.slice", pad: "lax.pad",
  concat: "lax.concatenate", matmul: "lax.dot_general", gather: "jnp.take", scatter_add: "lax.scatter_add", const: "jnp.asarray",
  iota: "lax.broadcasted_iota", random_uniform: "jax.random.uniform", random_normal: "jax.random.normal", stop_gradient: "lax.stop_gradient",
  custom_grad: "jax.custom_vjp",
};
/** Lowering slots an OpDef may have besides the interpreter (backends added later show up here by themselves). */
const BACKEND_KEYS = ["js", "tfjs", "wasm", "onnx"] as const;

const t = (dtype: DType, shape: readonly number[]): TensorType => ({ dtype, shape }) as TensorType;
const attrsFor = (name: OpName): Record<string, unknown> => {
  const d = opDef(name);
  return { ...Object.fromEntries(Object.keys(d.attrs).map((k) => [k, SAMPLE[k]])), ...(d.defaults ?? {}) };
};
const arityOf = (name: OpName): number => {
  const a = opDef(name).arity;
  return a === "variadic" ? 2 : a;
};
const accepts = (name: OpName, ins: readonly TensorType[]): boolean => {
  try {
    opDef(name).infer(ins, attrsFor(name) as never);
    return true;
  } catch {
    return false;
  }
};

/** The dtypes the op's own inference rule accepts for its data inputs (indices stay i32, conditions bool). */
function dtypesOf(name: OpName): string {
  const n = arityOf(name);
  if (n === 0) return "any (attribute `dtype`)";
  const ok = DTYPES.filter((d) => {
    // a contraction's second operand is [3,2], so that [2,3] x [3,2] is a valid product
    const same = Array.from({ length: n }, (_, i) => t(d, opDef(name).kind === "contract" && i === 1 ? [3, 2] : [2, 3]));
    // the other forms: an index input last (gather, scatter_add), a bool condition first (where)
    const idx = n >= 2 ? [[...same.slice(0, -1), t("i32", [2])]] : [];
    const cond = n === 3 ? [[t("bool", [2, 3]), ...same.slice(1)]] : [];
    return [same, ...idx, ...cond].some((ins) => accepts(name, ins));
  });
  return ok.length ? ok.join(", ") : "(see its inference rule)";
}

function broadcasting(name: OpName): string {
  const def = opDef(name);
  if (def.kind !== "elementwise" || arityOf(name) < 2) return "—";
  // [2,1] with [1,3] (with [2,1] again for a third input): legal only under NumPy's rules
  const d = DTYPES.find((dt) => accepts(name, [t(dt, [2, 3]), t(dt, [2, 3])])) ?? "bool";
  const ins = Array.from({ length: arityOf(name) }, (_, i) => t(i === 0 && arityOf(name) === 3 ? "bool" : d, i % 2 ? [1, 3] : [2, 1]));
  return accepts(name, ins) ? "NumPy rules" : "same shapes";
}

function gradient(name: OpName): string {
  const v = opDef(name).vjp as unknown;
  if (typeof v === "function") return "VJP rule (in IR)";
  if (v && typeof v === "object" && "zero" in v) return `zero: ${(v as { zero: string }).zero}`;
  if (v && typeof v === "object" && "none" in v) return `none: ${(v as { none: string }).none}`;
  return "?";
}

function backends(name: OpName): string {
  const d = opDef(name) as unknown as Record<string, unknown>;
  const js = d["js"] as { expr?: unknown; reduce?: unknown; kernel?: string } | undefined;
  const jsText = js ? (js.expr ? "js (fused expr)" : js.reduce ? "js (reduction)" : `js (kernel ${js.kernel})`) : undefined;
  return ["interp", jsText, ...BACKEND_KEYS.slice(1).filter((k) => d[k] !== undefined)].filter(Boolean).join(", ");
}

/** The tfjs lowering itself, called on placeholder inputs: what `tf.*` call the op becomes. */
function tfjsOf(name: OpName): string {
  const n = arityOf(name);
  const args = ["x", "y", "z"].slice(0, n);
  const ins = Array.from({ length: n }, () => t("f32", [2, 3]));
  try {
    const s = opDef(name).tfjs(args, attrsFor(name) as never, { ins, out: t("f32", [2, 3]) });
    return `\`${s.replace(/\|/g, "\\|")}\``;
  } catch {
    return "—";
  }
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The whole reference page. */
export function opReference(): string {
  const kinds = [...new Set(OP_NAMES.map((n) => opDef(n).kind))];
  const out = [
    "# graft op reference",
    "",
    "Generated from the op registry (`src/ir/ops`) by `npm run docs:ops`; a test fails when it is out of date.",
    "Dtypes and broadcasting are what each op's own inference rule accepts; the tfjs column is its tfjs lowering",
    "called on placeholder inputs `x, y, z` (sample attributes); every op runs on the reference interpreter (`interp`).",
    "",
  ];
  for (const kind of kinds) {
    out.push(`## ${kind}`, "", "| op | inputs | attributes | dtypes | broadcasting | gradient | backends | tfjs | JAX |", "|---|---|---|---|---|---|---|---|---|");
    for (const name of OP_NAMES.filter((n) => opDef(n).kind === kind)) {
      const d = opDef(name);
      const attrs = Object.entries(d.attrs).map(([k, ty]) => `${k}: ${ty}${d.defaults && k in d.defaults ? ` = ${JSON.stringify((d.defaults as Record<string, unknown>)[k])}` : ""}`).join(", ") || "—";
      out.push(`| \`${name}\` | ${d.arity} | ${cell(attrs)} | ${dtypesOf(name)} | ${broadcasting(name)} | ${cell(gradient(name))} | ${backends(name)} | ${tfjsOf(name)} | ${JAX[name] ? `\`${JAX[name]}\`` : "—"} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  writeFileSync(new URL("../docs/ops.md", import.meta.url), opReference());
  console.log(`wrote docs/ops.md (${OP_NAMES.length} ops)`);
}
