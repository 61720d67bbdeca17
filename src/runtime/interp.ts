/** @file The "interp" backend: runs the lowered graph through the reference interpreter. */
import { interpret, print } from "../ir/index.js";
import { nodeCounts, registerBackend, type Backend } from "./backend.js";

export const interpBackend: Backend = {
  name: "interp",
  compile(stages, opts) {
    const g = stages.optimized ?? stages.grad ?? stages.traced;
    return {
      run: (inputs, cells) => {
        const res = interpret(g, inputs, cells.map((c) => c.read()), { checkNumerics: !!opts.checkNumerics });
        g.assigns.forEach((a) => {
          const i = g.state.findIndex((s) => s.value === a.state);
          cells[i]!.write(res.state[i]!);
        });
        return res.outputs;
      },
      source: () => `// interp backend: the reference interpreter runs this graph\n${print(g)}`,
      stats: () => ({ backend: "interp", nodes: nodeCounts(stages), kernels: g.nodes.length, bytes: 0 }),
    };
  },
};

registerBackend(interpBackend);
