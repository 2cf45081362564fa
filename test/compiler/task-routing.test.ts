import { describe, expect, it } from "vitest";
import { renderTaskRules, type RoutedTask, stateNameForTask } from "../../lib/compiler/task-routing.ts";

/** Tasks as synth plans them, in source order: the order of `Route`'s rules. */
const tasks: RoutedTask[] = [
  { id: "fetch-*", match: "pattern", stateName: "fetch-*" },
  { id: "fetch-7", match: "literal", stateName: "fetch-7" },
  { id: "price-\\*-*", match: "pattern", stateName: "price-\\*-*" },
  { id: "Plan", match: "literal", stateName: "Task Plan" },
  { id: "a*b", match: "literal", stateName: "a*b" },
];

describe("task id -> state, as the Route Choice decides it", () => {
  it.each([
    ["fetch-3", "fetch-*"],
    // The first matching rule wins, as in a Choice state: the pattern written first takes "fetch-7" too.
    ["fetch-7", "fetch-*"],
    // `\*` in a pattern is a literal star (a `*` in the template's text), `*` any run of characters.
    ["price-*-9", "price-\\*-*"],
    ["price-x-9", "DynamicTask"],
    ["Plan", "Task Plan"],
    // A literal id is compared whole: its `*` is not a wildcard.
    ["a*b", "a*b"],
    ["axxb", "DynamicTask"],
    ["computed-id", "DynamicTask"],
  ])("%s runs in %s", (taskId, state) => {
    expect(stateNameForTask(tasks, taskId)).toBe(state);
  });

  it("the rules the renderer writes are the same, in the same order", () => {
    expect(renderTaskRules(tasks.slice(0, 2), (t) => t.stateName)).toEqual([
      { Variable: "$.next.task", StringMatches: "fetch-*", Next: "fetch-*" },
      { Variable: "$.next.task", StringEquals: "fetch-7", Next: "fetch-7" },
    ]);
  });
});
