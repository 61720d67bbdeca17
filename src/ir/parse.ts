/** @file Reads the printer's text form back into a graph, re-running inference; errors carry line and column. */
import { ParseError } from "./errors.js";
import { parseDType } from "./dtype.js";
import { Builder, sameType, typeStr, type Graph, type TensorType, type Value } from "./graph.js";
import { isOpName } from "./ops/index.js";
import { checkAttrs } from "./attrs.js";

type TokKind = "var" | "fname" | "word" | "num" | "str" | "punct" | "eof";
interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

function lex(src: string): { toks: Tok[]; comments: Map<number, string> } {
  const toks: Tok[] = [];
  const comments = new Map<number, string>();
  let line = 1;
  let col = 1;
  let i = 0;
  const err = (m: string): never => {
    throw new ParseError(m, line, col);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      line++, col = 1, i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      col++, i++;
      continue;
    }
    if (src.startsWith("//", i)) {
      const end = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
      comments.set(line, src.slice(i + 2, end).trim());
      col += end - i;
      i = end;
      continue;
    }
    const start = { line, col };
    let m: RegExpMatchArray | null;
    const rest = src.slice(i, i + 4096);
    let kind: TokKind;
    let text: string;
    if ((m = rest.match(/^%[A-Za-z0-9_.]+/))) (kind = "var"), (text = m[0]);
    else if ((m = rest.match(/^@[\w.$-]+/))) (kind = "fname"), (text = m[0].slice(1));
    else if ((m = rest.match(/^->/))) (kind = "punct"), (text = "->");
    else if ((m = rest.match(/^-?(?:Infinity|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/))) (kind = "num"), (text = m[0]);
    else if ((m = rest.match(/^[A-Za-z_][\w.]*/))) (kind = "word"), (text = m[0]);
    else if (c === '"') {
      const sm = src.slice(i).match(/^"(?:[^"\\\n]|\\.)*"/);
      if (!sm) err("unterminated string");
      kind = "str";
      text = sm![0];
      m = sm;
    } else if ("()[]{},:=".includes(c)) (kind = "punct"), (text = c), (m = [c] as unknown as RegExpMatchArray);
    else return err(`unexpected character '${c}'`);
    const len = m![0].length;
    toks.push({ kind, text, line: start.line, col: start.col });
    i += len;
    col += len;
  }
  toks.push({ kind: "eof", text: "end of input", line, col });
  return { toks, comments };
}

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly comments: Map<number, string>,
  ) {}

  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  fail(m: string, t: Tok = this.peek()): never {
    throw new ParseError(m, t.line, t.col);
  }
  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === "punct" || t.kind === "word") && t.text === text;
  }
  private eat(text: string): Tok {
    if (!this.is(text)) this.fail(`expected '${text}', found '${this.peek().text}'`);
    return this.next();
  }
  private expect(kind: TokKind, what: string): Tok {
    if (this.peek().kind !== kind) this.fail(`expected ${what}, found '${this.peek().text}'`);
    return this.next();
  }
  /** Parses `a, b, c` until `close` (not consumed). */
  private list<T>(close: string, item: () => T): T[] {
    const out: T[] = [];
    if (this.is(close)) return out;
    out.push(item());
    while (this.is(",")) this.next(), out.push(item());
    return out;
  }

  private num(): number {
    const t = this.expect("num", "a number");
    return Number(t.text);
  }

  private type(): TensorType {
    const t = this.expect("word", "a type such as f32[2,3]");
    let dtype;
    try {
      dtype = parseDType(t.text);
    } catch {
      this.fail(`unknown dtype '${t.text}'`, t);
    }
    this.eat("[");
    const shape = this.list("]", () => this.num());
    this.eat("]");
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) this.fail(`bad shape [${shape.join(",")}]`, t);
    return { dtype, shape };
  }

  private attrValue(): unknown {
    const t = this.peek();
    if (t.kind === "num") return this.num();
    if (t.kind === "str") return JSON.parse(this.next().text) as string;
    if (t.kind === "word" && (t.text === "true" || t.text === "false")) return this.next().text === "true";
    if (t.kind === "word") return this.next().text;
    if (this.is("[")) {
      this.next();
      const xs = this.list("]", () => this.num());
      this.eat("]");
      return xs;
    }
    return this.fail(`expected an attribute value, found '${t.text}'`);
  }

  func(): Graph {
    this.eat("func");
    const b = new Builder(this.expect("fname", "a function name like @main").text);
    const env = new Map<string, Value>();
    const define = (t: Tok, v: Value): void => {
      if (env.has(t.text)) this.fail(`${t.text} is defined twice`, t);
      env.set(t.text, v);
    };
    const use = (): Value => {
      const t = this.expect("var", "a value like %3");
      const v = env.get(t.text);
      if (!v) this.fail(`${t.text} is used before it is defined`, t);
      return v;
    };
    this.eat("(");
    this.list(")", () => {
      const t = this.expect("var", "a parameter like %0");
      this.eat(":");
      define(t, b.input(this.type()));
    });
    this.eat(")");
    const declaredState = new Set<Value>();
    if (this.is("state")) {
      this.next();
      this.eat("(");
      this.list(")", () => {
        const t = this.expect("var", "a state parameter");
        this.eat(":");
        const type = this.type();
        const name = JSON.parse(this.expect("str", "the state's quoted name").text) as string;
        const frozen = this.is("frozen") ? (this.next(), true) : false;
        const v = b.stateParam(type, name, !frozen);
        declaredState.add(v);
        define(t, v);
      });
      this.eat(")");
    }
    this.eat("->");
    this.eat("(");
    const outTypes = this.list(")", () => this.type());
    this.eat(")");
    this.eat("{");
    const stateVals = new Set<Value>();
    for (;;) {
      const t = this.peek();
      if (t.kind === "word" && t.text === "return") break;
      if (t.kind === "word" && t.text === "assign") {
        this.next();
        const sTok = this.peek();
        const s = use();
        this.eat(",");
        const v = use();
        if (!declaredState.has(s)) this.fail(`assign: ${sTok.text} is not a state parameter`, sTok);
        if (!sameType(s.type, v.type)) this.fail(`assign: state is ${typeStr(s.type)} but the value is ${typeStr(v.type)}`, t);
        if (stateVals.has(s)) this.fail(`state ${sTok.text} is assigned twice`, t);
        stateVals.add(s);
        b.assign(s, v);
        continue;
      }
      this.node(b, define, use);
    }
    const ret = this.eat("return");
    const outs = this.is("}") ? [] : this.list("}", use);
    this.eat("}");
    if (outs.length !== outTypes.length || outs.some((v, i) => !sameType(v.type, outTypes[i]!))) {
      this.fail(`return gives (${outs.map((v) => typeStr(v.type)).join(", ")}) but the signature says (${outTypes.map(typeStr).join(", ")})`, ret);
    }
    b.output(...outs);
    return b.finish();
  }

  private node(b: Builder, define: (t: Tok, v: Value) => void, use: () => Value): void {
    const first = this.peek();
    const defs: { tok: Tok; type: TensorType }[] = [];
    do {
      if (defs.length) this.eat(",");
      const tok = this.expect("var", "a definition like %3: f32[2]");
      this.eat(":");
      defs.push({ tok, type: this.type() });
    } while (this.is(","));
    this.eat("=");
    const opTok = this.expect("word", "an op name");
    if (!isOpName(opTok.text)) this.fail(`unknown op '${opTok.text}'`, opTok);
    const op = opTok.text;
    const ins = this.peek().kind === "var" ? this.list("{", use).filter(Boolean) : [];
    let raw: Record<string, unknown> = {};
    if (this.is("{")) {
      this.next();
      this.list("}", () => {
        const k = this.expect("word", "an attribute name").text;
        this.eat("=");
        if (k in raw) this.fail(`attribute '${k}' given twice`);
        raw[k] = this.attrValue();
      });
      this.eat("}");
    }
    const checked = checkAttrs(op, raw);
    if ("problems" in checked) this.fail(checked.problems.join("; "), opTok);
    const body = this.is("func") ? this.func() : undefined;
    const loc = this.comments.get(first.line);
    let outs: Value[];
    try {
      outs = b.emitMulti(op, ins, checked.attrs as never, loc, body);
    } catch (e) {
      this.fail(e instanceof Error ? (e as { detail?: string }).detail ?? e.message : String(e), opTok);
    }
    if (outs.length !== defs.length) this.fail(`${op} defines ${outs.length} value(s), the text names ${defs.length}`, first);
    outs.forEach((v, i) => {
      const d = defs[i]!;
      if (!sameType(v.type, d.type)) this.fail(`${op} infers ${typeStr(v.type)} but the text declares ${typeStr(d.type)}`, d.tok);
      define(d.tok, v);
    });
    raw = {};
  }

  end(): void {
    if (this.peek().kind !== "eof") this.fail(`unexpected '${this.peek().text}' after the function`);
  }
}

/** Parses one function in the printer's format. Comments on a node's first line become its location. */
export function parseGraph(text: string): Graph {
  const { toks, comments } = lex(text);
  const p = new Parser(toks, comments);
  const g = p.func();
  p.end();
  return g;
}
