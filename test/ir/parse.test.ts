/** @file The text parser and the JSON reader: malformed input fails with line/column or a reason, never half-loaded. */
import { describe, expect, it } from "vitest";
import path from "node:path";
import { Builder, fromJSON, interpret, nd, parse, ParseError, print, toJSON } from "../../src/ir/index.js";
import { errorOf, expectGolden, sections } from "./golden.js";
import { expectRoundTrip } from "./helpers.js";

const GOOD = `func @good(%0: f32[2,3]) state(%1: f32[3] "w") -> (f32[2]) {
  %2: f32[2,3] = mul %0, %1
  %3: f32[2] = sum %2 {axes=[1], keepDims=false}
  %4: f32[3] = add %1, %1
  assign %1, %4
  return %3
}`;

/** Malformed texts, each with one mistake; the golden holds the message with line and column. */
const BAD_TEXT: Record<string, string> = {
  "unknown op": GOOD.replace("= mul", "= mull"),
  "unknown dtype": GOOD.replace("%0: f32[2,3])", "%0: f33[2,3])"),
  "use before def": GOOD.replace("sum %2", "sum %9"),
  "declared type differs from the inferred one": GOOD.replace("%3: f32[2] = sum", "%3: f32[3] = sum"),
  "operands that do not broadcast": GOOD.replace("%4: f32[3] = add %1, %1", "%4: f32[3] = add %1, %3"),
  "missing '='": GOOD.replace("%4: f32[3] = add", "%4: f32[3] add"),
  "unterminated string": GOOD.replace(`"w")`, `"w)`),
  "unexpected character": GOOD.replace("keepDims=false}", "keepDims=false} #"),
  "bad attribute value": GOOD.replace("axes=[1]", "axes=[1.5]"),
  "unknown attribute": GOOD.replace("keepDims=false", "keepDims=false, fast=true"),
  "missing attribute": GOOD.replace("{axes=[1], keepDims=false}", "{keepDims=false}"),
  "attribute given twice": GOOD.replace("keepDims=false", "keepDims=false, keepDims=true"),
  "return type differs from the signature": GOOD.replace("-> (f32[2])", "-> (f32[3])"),
  "assign type mismatch": GOOD.replace("assign %1, %4", "assign %1, %3"),
  "assign to an input": GOOD.replace("assign %1, %4", "assign %0, %2"),
  "assigned twice": GOOD.replace("assign %1, %4", "assign %1, %4\n  assign %1, %4"),
  "value defined twice": GOOD.replace("%4: f32[3] = add", "%3: f32[3] = add").replace("assign %1, %4", "assign %1, %3"),
  "bad shape": GOOD.replace("%0: f32[2,3])", "%0: f32[2,-3])"),
  "missing closing brace": GOOD.slice(0, GOOD.lastIndexOf("}")),
  "text after the function": GOOD + "\nfunc",
  "empty input": "",
  "state without a name": GOOD.replace(` "w"`, ""),
};

describe("parser", () => {
  it("round-trips a well-formed function, comments becoming locations", () => {
    const g = parse(GOOD.replace("= mul %0, %1", "= mul %0, %1  // layer.ts:4"));
    expect(g.nodes[0]!.loc).toBe("layer.ts:4");
    expectRoundTrip(g);
    const r = interpret(g, [nd("f32", [2, 3], [1, 2, 3, 4, 5, 6])], [nd("f32", [3], [1, 0, -1])]);
    expect(Array.from(r.outputs[0]!.data)).toEqual([-2, -2]);
    expect(Array.from(r.state[0]!.data)).toEqual([2, 0, -2]);
  });

  it("reports malformed text with line and column (golden)", () => {
    const results = Object.entries(BAD_TEXT).map(([name, text]) => {
      let err: unknown;
      try {
        parse(text);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ParseError);
      // every message but end-of-input ones points into the text
      expect((err as ParseError).line, name).toBeGreaterThan(0);
      return [name, errorOf(() => parse(text))] as const;
    });
    expectGolden(path.join(__dirname, "golden", "parse-errors.txt"), sections(results));
  });

  it("accepts the tfjs dtype spellings and prints the canonical ones", () => {
    const g = parse(`func @t(%0: float32[2]) -> (int32[2]) {
  %1: i32[2] = cast %0 {dtype=int32}
  return %1
}`);
    expect(print(g)).toContain("%1: i32[2] = cast %0 {dtype=i32}");
    expectRoundTrip(g);
  });

  it("keeps NaN, infinities and -0 in constants exactly (text and JSON)", () => {
    const g = parse(`func @c() -> (f32[4]) {
  %0: f32[4] = const {dtype=f32, shape=[4], value=[NaN, -Infinity, Infinity, -0]}
  return %0
}`);
    const text = expectRoundTrip(g);
    expect(text).toContain("value=[NaN,-Infinity,Infinity,-0]");
    const back = fromJSON(JSON.stringify(toJSON(g)));
    const v = interpret(back, []).outputs[0]!.data;
    expect(Number.isNaN(v[0]!)).toBe(true);
    expect([v[1], v[2], Object.is(v[3], -0)]).toEqual([-Infinity, Infinity, true]);
  });

  it("round-trips odd names: quoted state names, function names, string attributes", () => {
    const b = new Builder("my step!");
    const x = b.input({ dtype: "f32", shape: [2] });
    const w = b.stateParam({ dtype: "f32", shape: [2] }, 'dense/"kernel"\n', false);
    b.loc = "weird\nfile.ts:1";
    b.output(b.o.add(x, w));
    const g = b.finish();
    const text = expectRoundTrip(g);
    expect(text).toContain("func @my_step_(");
    expect(text).toContain(`"dense/\\"kernel\\"\\n" frozen`);
    expect(parse(text).state[0]!.name).toBe('dense/"kernel"\n');
  });
});

describe("JSON reader", () => {
  const good = (): { format: string; version: number; func: Record<string, any> } => JSON.parse(JSON.stringify(toJSON(parse(GOOD))));
  type Mut = (j: ReturnType<typeof good>) => unknown;
  const BAD_JSON: Record<string, Mut | string> = {
    "not JSON at all": "{nodes: [",
    "wrong format tag": (j) => ((j.format = "onnx"), j),
    "unsupported version": (j) => ((j.version = 7), j),
    "func is not an object": (j) => ((j.func = []), j),
    "nodes missing": (j) => (delete j.func.nodes, j),
    "unknown op": (j) => ((j.func.nodes[0].op = "mull"), j),
    "operand defined later": (j) => ((j.func.nodes[0].inputs = [0, 4]), j),
    "operand index is not an integer": (j) => ((j.func.nodes[0].inputs = [0, "1"]), j),
    "bad attribute": (j) => ((j.func.nodes[1].attrs.axes = "1"), j),
    "declared output type differs": (j) => ((j.func.nodes[1].outputs[0].shape = [3]), j),
    "unknown dtype": (j) => ((j.func.inputs[0].dtype = "f16"), j),
    "negative dimension": (j) => ((j.func.inputs[0].shape = [2, -3]), j),
    "state without a name": (j) => (delete j.func.state[0].name, j),
    "assign to an input": (j) => ((j.func.assigns[0][0] = 0), j),
    "assign type mismatch (the last thing read)": (j) => ((j.func.assigns[0][1] = 3), j),
    "assigned twice": (j) => (j.func.assigns.push([1, 4]), j),
    "output not defined": (j) => ((j.func.outputs = [42]), j),
  };

  it("rejects malformed JSON with a reason (golden), and never returns a partial graph", () => {
    const results = Object.entries(BAD_JSON).map(([name, mut]) => {
      const input = typeof mut === "string" ? mut : JSON.stringify(mut(good()));
      let out: unknown = "unset";
      let err: unknown;
      try {
        out = fromJSON(input);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ParseError);
      expect(out, name).toBe("unset");
      // the JSON.parse message is Node's own and varies between versions
      return [name, errorOf(() => fromJSON(input)).replace(/not valid JSON \(.*\)$/, "not valid JSON (<JSON.parse message>)")] as const;
    });
    expectGolden(path.join(__dirname, "golden", "json-errors.txt"), sections(results));
  });

  it("reads objects as well as text, and does not modify its input", () => {
    const j = good();
    const before = JSON.stringify(j);
    expect(print(fromJSON(j))).toBe(print(parse(GOOD)));
    expect(JSON.stringify(j)).toBe(before);
  });

  it("writes deterministic JSON (sorted attributes)", () => {
    const a = JSON.stringify(toJSON(parse(GOOD)));
    const b = new Builder("good");
    const x = b.input({ dtype: "f32", shape: [2, 3] });
    const w = b.stateParam({ dtype: "f32", shape: [3] }, "w");
    const s = b.emit("sum", [b.o.mul(x, w)], { keepDims: false, axes: [1] });
    b.assign(w, b.o.add(w, w));
    b.output(s);
    expect(JSON.stringify(toJSON(b.finish()))).toBe(a);
  });
});
