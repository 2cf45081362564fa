import { describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import type { AslDocument } from "../../lib/dashboard/view/api-types.ts";
import { layoutStateMachine, nodeWidth } from "../../lib/dashboard/view/asl-graph.ts";
import { DYNAMIC_STATES } from "../../lib/dashboard/view/visited-states.ts";
import { defined } from "../helpers/defined.ts";

describe("layoutStateMachine draws an ASL definition without a graph library", () => {
  it("lays out a loop exactly: forward edges as S-curves, the back edge around the left lane", () => {
    const asl: AslDocument = {
      StartAt: "A",
      States: {
        A: { Type: "Task", Next: "B" },
        B: { Type: "Choice", Choices: [{ Next: "C" }], Default: "Done" },
        C: { Type: "Task", Next: "B" },
        Done: { Type: "Succeed" },
      },
    };
    expect(layoutStateMachine(asl)).toEqual({
      width: 198,
      height: 256,
      nodes: [
        { id: "A", type: "Task", layer: 0, x: 70, y: 12, width: 72, height: 34 },
        { id: "B", type: "Choice", layer: 1, x: 70, y: 102, width: 72, height: 34 },
        { id: "C", type: "Task", layer: 2, x: 26, y: 192, width: 72, height: 34 },
        { id: "Done", type: "Succeed", layer: 2, x: 114, y: 192, width: 72, height: 34 },
      ],
      edges: [
        { from: "A", to: "B", kind: "next", back: false, path: "M106 46 C106 74 106 74 106 102" },
        { from: "B", to: "C", kind: "choice", back: false, path: "M106 136 C106 164 62 164 62 192" },
        { from: "B", to: "Done", kind: "default", back: false, path: "M106 136 C106 164 150 164 150 192" },
        {
          from: "C",
          to: "B",
          kind: "next",
          back: true,
          path: "M52 226 L52 232 Q52 236 48 236 L23 236 Q19 236 19 232 L19 123 Q19 119 23 119 L70 119",
        },
      ],
    });
  });

  it("the tutorial job reads Plan -> Route -> tasks, end states last in the task row, returns as back edges", () => {
    const job = compileProject({ root: process.cwd(), jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
    const layout = layoutStateMachine(job.definition as unknown as AslDocument, { hidden: new Set(DYNAMIC_STATES) });
    expect(layout.nodes.map((n) => [n.id, n.layer])).toEqual([
      ["Plan", 0],
      ["Route", 1],
      ["Succeeded", 2],
      ["RunFailed", 2],
      ["process-incoming-data", 2],
      ["send-confirmation", 2],
    ]);
    const row = layout.nodes
      .filter((n) => n.layer === 2)
      .sort((a, b) => a.x - b.x)
      .map((n) => n.id);
    expect(row).toEqual(["process-incoming-data", "send-confirmation", "Succeeded", "RunFailed"]);
    expect(layout.edges.map((e) => `${e.from} -${e.kind}${e.back ? " (back)" : ""}-> ${e.to}`)).toEqual([
      "Plan -next-> Route",
      "Route -choice-> Succeeded",
      "Route -choice-> RunFailed",
      "Route -choice-> process-incoming-data",
      "Route -choice-> send-confirmation",
      "process-incoming-data -next (back)-> Route",
      "process-incoming-data -catch (back)-> Plan",
      "send-confirmation -next (back)-> Route",
      "send-confirmation -catch (back)-> Plan",
    ]);
  });

  it("shows the dynamic states when asked, the default branch included", () => {
    const job = defined(compileProject({ root: process.cwd(), jobsDir: "src/jobs" }).jobs[0]);
    const layout = layoutStateMachine(job.definition as unknown as AslDocument);
    expect(layout.nodes.find((n) => n.id === "DynamicTask")?.layer).toBe(3);
    expect(layout.nodes.find((n) => n.id === "DynamicRetry")?.layer).toBe(4);
    expect(layout.edges.filter((e) => e.to === "DynamicTask").map((e) => [e.from, e.kind, e.back])).toEqual([
      ["Route", "default", false],
      ["DynamicWait", "next", false],
    ]);
  });

  it.each([
    ["Plan", 72],
    ["process-incoming-data", 167],
    ["x".repeat(80), 240],
  ])("a %s box is %s px wide", (name, width) => {
    expect(nodeWidth(name)).toBe(width);
  });
});
