/** @file The rewrite engine: small declarative patterns, rule tables, applied bottom-up through `rebuild`. */
import { opDef, rebuild, sameType, type Builder, type Graph, type Node, type OpKind, type OpName, type Value } from "../ir/index.js";
import type { PassContext, PassOptions } from "./pass.js";
import { eliminateDeadCode } from "./dce.js";

/**
 * A pattern over values. `op` matches a node by name (only for rules that are about one specific
 * op, declared in a table), `kind` by kind; `args` match its inputs in order (both orders when the
 * op is commutative); `bind` names what matched; `splat` matches a constant whose every element is
 * that number (any dtype and shape).
 */
export type Pat =
  | { readonly any: true; readonly bind?: string }
  | { readonly splat: number | "any"; readonly bind?: string }
  | {
      readonly op?: OpName | readonly OpName[];
      readonly kind?: OpKind;
      readonly args?: readonly Pat[];
      readonly bind?: string;
      /** Extra condition on the matched node (attrs, shapes). */
      readonly when?: (n: Node) => boolean;
    };

/** What a successful match captured: values and nodes by their `bind` names. */
export interface Match {
  readonly v: Record<string, Value>;
  readonly n: Record<string, Node>;
  /** Splat constants' numbers by bind name. */
  readonly k: Record<string, number>;
}

// pattern builders, so rules read like the math
export const x: Pat = { any: true, bind: "x" };
export const y: Pat = { any: true, bind: "y" };
export const z: Pat = { any: true, bind: "z" };
export const any = (bind: string): Pat => ({ any: true, bind });
export const K = (value: number | "any", bind?: string): Pat => ({ splat: value, ...(bind ? { bind } : {}) });
export const op = (name: OpName | readonly OpName[], ...args: Pat[]): Pat => ({ op: name, args });
export const opB = (bind: string, name: OpName | readonly OpName[], args: Pat[], when?: (n: Node) => boolean): Pat => ({ op: name, args, bind, ...(when ? { when } : {}) });

/** A constant node (a source with stored values), independent of the op's name. */
export function constNode(v: Value): Node | undefined {
  const n = v.def;
  return n && opDef(n.op).kind === "source" && Array.isArray(n.attrs["value"]) ? n : undefined;
}

/** The number every element of `v` holds, when `v` is a constant with one repeated value. */
export function splatOf(v: Value): number | undefined {
  const vals = constNode(v)?.attrs["value"] as readonly number[] | undefined;
  if (!vals || vals.length === 0) return undefined;
  for (let i = 1; i < vals.length; i++) if (!Object.is(vals[i], vals[0])) return undefined;
  return vals[0];
}

function matchPat(p: Pat, v: Value, m: { v: Record<string, Value>; n: Record<string, Node>; k: Record<string, number> }): boolean {
  if ("any" in p) return bindV(p.bind, v, m);
  if ("splat" in p) {
    const s = splatOf(v);
    // Object.is: K(0) is +0 only and K(-0) is -0 only (x + -0 is x, x + +0 is not when x = -0)
    if (s === undefined || (p.splat !== "any" && !Object.is(s, p.splat))) return false;
    if (p.bind) m.k[p.bind] = s;
    return bindV(p.bind, v, m);
  }
  const n = v.def;
  if (!n) return false;
  if (p.op !== undefined && (typeof p.op === "string" ? n.op !== p.op : !p.op.includes(n.op))) return false;
  if (p.kind !== undefined && opDef(n.op).kind !== p.kind) return false;
  if (p.when && !p.when(n)) return false;
  if (p.bind) m.n[p.bind] = n;
  if (!p.args) return bindV(p.bind, v, m);
  if (p.args.length !== n.inputs.length) return false;
  const tryOrder = (ins: readonly Value[]): boolean => {
    const save = { v: { ...m.v }, n: { ...m.n }, k: { ...m.k } };
    if (p.args!.every((a, i) => matchPat(a, ins[i]!, m))) return true;
    Object.assign(m, save); // undo partial bindings before trying the other order
    return false;
  };
  if (tryOrder(n.inputs)) return bindV(p.bind, v, m);
  if (opDef(n.op).flags?.commutative && n.inputs.length === 2 && tryOrder([n.inputs[1]!, n.inputs[0]!])) return bindV(p.bind, v, m);
  return false;
}

/** A name bound twice must be the same value (x - x matches only one x). */
function bindV(bind: string | undefined, v: Value, m: { v: Record<string, Value> }): boolean {
  if (!bind) return true;
  const prev = m.v[bind];
  if (prev && prev !== v) return false;
  m.v[bind] = v;
  return true;
}

/** Matches `p` against the value `v` (a node's output, already in the new graph). */
export function match(p: Pat, v: Value): Match | undefined {
  const m = { v: {}, n: {}, k: {} };
  return matchPat(p, v, m) ? m : undefined;
}

export interface RuleEnv {
  readonly b: Builder;
  readonly opts: PassOptions;
  /** The node being rewritten (its output type is what the replacement must have). */
  readonly node: Node;
  /** How many users (nodes, returns, assigns) a value of the new graph has, as far as is known. */
  readonly uses: (v: Value) => number;
}

/** One rewrite: `name` is the rule as math ("x*1 -> x"); `why` a one-line reason. */
export interface Rule {
  readonly name: string;
  readonly why: string;
  readonly pat: Pat;
  /** Builds the replacement (from matched values, with `env.b`); undefined declines. */
  readonly to: (m: Match, env: RuleEnv) => Value | undefined;
  /** Only when this option is on (e.g. fastMath). */
  readonly onlyIf?: (opts: PassOptions) => boolean;
  /** Only on graphs where this holds (checked once per sweep), e.g. "autodiff is done". */
  readonly graphIf?: (g: Graph) => boolean;
}

/** A rule-driven pass: walks nodes in order and replaces a node's (single) output by the first rule that fires. */
export interface RewriteResult {
  readonly graph: Graph;
  readonly fired: ReadonlyMap<string, number>;
}

/**
 * Applies `rules` to every single-output node of `g`, bottom-up, once. A rule sees the node as
 * rebuilt so far (its inputs are already rewritten, so patterns match the new producers). A
 * replacement must have exactly the node's type, otherwise the rule is skipped: rewrites never
 * change a value's shape or dtype.
 */
export function applyRules(g: Graph, rules: readonly Rule[], opts: PassOptions): RewriteResult {
  const fired = new Map<string, number>();
  const active = new Set(rules.filter((r) => (!r.onlyIf || r.onlyIf(opts)) && (!r.graphIf || r.graphIf(g))));
  // use counts of the old graph, carried to the new values that stand for them
  const oldUses = new Map<Value, number>();
  const bump = (v: Value) => oldUses.set(v, (oldUses.get(v) ?? 0) + 1);
  for (const n of g.nodes) n.inputs.forEach(bump);
  g.outputs.forEach(bump);
  for (const a of g.assigns) bump(a.value);
  const newUses = new Map<Value, number>();
  const carry = (from: Value, to: Value) => newUses.set(to, (newUses.get(to) ?? 0) + (oldUses.get(from) ?? 0));
  const uses = (v: Value): number => newUses.get(v) ?? Infinity;
  const graph = rebuild(g, (n, ins, b) => {
    if (n.outputs.length !== 1 || n.body) {
      const outs = b.emitMulti(n.op, ins, n.attrs as never, n.loc, n.body);
      outs.forEach((o, i) => carry(n.outputs[i]!, o));
      return outs;
    }
    // match against the node as it would be in the new graph: copy it first, try rules on that
    const copy = b.emitMulti(n.op, ins, n.attrs as never, n.loc)[0]!;
    const env: RuleEnv = { b, opts, node: copy.def!, uses };
    let result = copy;
    for (const r of rules) {
      if (!active.has(r)) continue;
      const m = match(r.pat, copy);
      if (!m) continue;
      const out = r.to(m, env);
      if (!out || out === copy || !sameType(out.type, copy.type)) continue;
      fired.set(r.name, (fired.get(r.name) ?? 0) + 1);
      result = out;
      break;
    }
    carry(n.outputs[0]!, result);
    return [result];
  });
  return { graph, fired };
}

/** A pass from a rule table, applied until no rule fires (bounded), noting which rules fired. */
export function rulePass(name: string, description: string, rules: readonly Rule[], maxSweeps = 8) {
  return {
    name,
    description,
    run: (g: Graph, ctx: PassContext): Graph => {
      let cur = g;
      const total = new Map<string, number>();
      for (let i = 0; i < maxSweeps; i++) {
        const r = applyRules(cur, rules, ctx.options);
        cur = eliminateDeadCode(r.graph);
        for (const [k, c] of r.fired) total.set(k, (total.get(k) ?? 0) + c);
        if (r.fired.size === 0) break;
      }
      if (total.size) {
        const lines = ctx.notes.get(name) ?? [];
        for (const [k, c] of total) lines.push(`${k}  x${c}`);
        ctx.notes.set(name, lines);
      }
      return cur;
    },
  };
}
