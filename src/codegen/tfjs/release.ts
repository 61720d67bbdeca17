/** @file Early release for generated tfjs programs: each tensor the step makes is disposed right after its last use.
 *
 * `tf.tidy` alone frees the step's intermediates only when the step ends, so its peak holds every
 * one of them (17 MiB on the reference MLP step, more than tfjs's own `minimize`). The program
 * is straight-line code, so liveness is a backward scan over its lines: a name's last use is the
 * last line whose code (comments stripped) mentions it as an identifier. A mention inside a string
 * (a source location passed to `rt.check`) can only make a name live longer, never shorter.
 * Tensors the step did not make (inputs, state, constants) and those that leave it (outputs,
 * assigned values) are never released here; tidy still disposes anything missed.
 */

const IDENT = /[A-Za-z_$][\w$]*/g;

/** The identifiers a generated line's code mentions (its trailing `//` comment ignored). */
function mentions(line: string): string[] {
  const cut = line.indexOf("; //");
  const code = cut >= 0 ? line.slice(0, cut + 1) : line.trimStart().startsWith("//") ? "" : line;
  return code.match(IDENT) ?? [];
}

/**
 * `lines` with `tf.dispose([...])` inserted after the last use of every name in `made` that is
 * not in `keep` (a name defined and never used is released right after its definition).
 */
export function releaseDead(lines: readonly string[], made: ReadonlySet<string>, keep: ReadonlySet<string>): string[] {
  const last = new Map<string, number>();
  lines.forEach((line, i) => {
    for (const id of mentions(line)) if (made.has(id) && !keep.has(id)) last.set(id, i);
  });
  const after = new Map<number, string[]>();
  for (const [name, i] of last) {
    const list = after.get(i);
    if (list) list.push(name);
    else after.set(i, [name]);
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    const dead = after.get(i);
    if (dead) out.push(`    tf.dispose([${dead.join(", ")}]); // last use`);
  });
  return out;
}
