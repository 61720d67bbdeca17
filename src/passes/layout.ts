/** @file Layout of matmul operands: fold transposes into matmul's flags, or (per backend) spell them out. */
import type { Node, Value } from "../ir/index.js";
import { opB, rulePass, x, y, type Match, type Rule, type RuleEnv } from "./rewrite.js";
import type { Pass, PassContext } from "./pass.js";

const flag = (n: Node, k: "transposeA" | "transposeB"): boolean => n.attrs[k] as boolean;

/** A transpose that swaps the last two axes and leaves batch axes alone: what a matmul flag means. */
const swapsLastTwo = (n: Node): boolean => {
  const p = n.attrs["perm"] as readonly number[];
  const r = p.length;
  return r >= 2 && p[r - 1] === r - 2 && p[r - 2] === r - 1 && p.slice(0, r - 2).every((a, i) => a === i);
};
const swapPerm = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

const mm = (e: RuleEnv, a: Value, b: Value, transposeA: boolean, transposeB: boolean): Value => e.b.emit("matmul", [a, b], { transposeA, transposeB });

/** Transposes become flags: the js kernel reads either layout at the same speed, and no copy is made. */
export const FOLD_RULES: readonly Rule[] = [
  { name: "matmul(transpose(a), b) -> matmul(a, b, transposeA)", why: "no transposed copy of a",
    pat: opB("m", "matmul", [opB("t", "transpose", [x], swapsLastTwo), y]),
    to: (m: Match, e) => mm(e, m.v["x"]!, m.v["y"]!, !flag(m.n["m"]!, "transposeA"), flag(m.n["m"]!, "transposeB")) },
  { name: "matmul(a, transpose(b)) -> matmul(a, b, transposeB)", why: "no transposed copy of b",
    pat: opB("m", "matmul", [x, opB("t", "transpose", [y], swapsLastTwo)]),
    to: (m: Match, e) => mm(e, m.v["x"]!, m.v["y"]!, flag(m.n["m"]!, "transposeA"), !flag(m.n["m"]!, "transposeB")) },
  // (AB)^T = B^T A^T: the same products summed in the same order, so the result is bit-identical
  { name: "transpose(matmul(a, b)) -> matmul(b, a) with flipped flags", why: "the transpose is absorbed by the product",
    pat: opB("t", "transpose", [opB("m", "matmul", [x, y])], swapsLastTwo),
    to: (m: Match, e) => mm(e, m.v["y"]!, m.v["x"]!, !flag(m.n["m"]!, "transposeB"), !flag(m.n["m"]!, "transposeA")) },
];

/** Flags become transposes, for backends whose transposed matmul is slow (tfjs-wasm: 10-15x). */
export const EXPLICIT_RULES: readonly Rule[] = [
  { name: "matmul(a, b, transposeA|transposeB) -> matmul(transpose(a), transpose(b))", why: "the backend prefers plain matmuls",
    pat: opB("m", "matmul", [x, y], (n) => flag(n, "transposeA") || flag(n, "transposeB")),
    to: (m: Match, e) => {
      const n = m.n["m"]!;
      const t = (v: Value, yes: boolean): Value => (yes ? e.b.emit("transpose", [v], { perm: swapPerm(v.shape.length) }) : v);
      return mm(e, t(m.v["x"]!, flag(n, "transposeA")), t(m.v["y"]!, flag(n, "transposeB")), false, false);
    } },
];

const foldPass = rulePass("layout", "fold matmul operand transposes into transposeA/transposeB", FOLD_RULES);
const explicitPass = rulePass("layout", "turn matmul transpose flags into explicit transposes", EXPLICIT_RULES);

/** The layout pass follows `options.matmulTransposes` ("flags" by default). */
export const layout: Pass = {
  name: "layout",
  description: "matmul operand layout: transposes as flags (default) or explicit (options.matmulTransposes)",
  run: (g, ctx: PassContext) => (ctx.options.matmulTransposes === "explicit" ? explicitPass : foldPass).run(g, ctx),
};

/** For a backend (tfjs on wasm) that wants every matmul plain: explicit transposes on any graph. */
export const explicitTransposes = explicitPass;
