import { describe, expect, it } from "vitest";
import type { Job, RunTask } from "../../lib/dashboard/view/api-types.ts";
import { edgeTaken, stateForTask, visitedStates } from "../../lib/dashboard/view/visited-states.ts";

const job: Pick<Job, "tasks" | "asl"> = {
  tasks: [
    {
      id: "process-incoming-data",
      stateName: "process-incoming-data",
      maxAttempts: 3,
      retry: {},
      retryDescription: "3 attempts, 1 s apart",
    },
    { id: "Plan", stateName: "Task Plan", maxAttempts: 3, retry: {}, retryDescription: "" },
    { id: "item-*", stateName: "item-*", maxAttempts: 3, retry: {}, retryDescription: "" },
  ],
  asl: {
    StartAt: "Plan",
    States: { Plan: { Type: "Task" }, Route: { Type: "Choice" }, Succeeded: { Type: "Succeed" }, RunFailed: { Type: "Fail" } },
  },
};
const task = (id: string, status: RunTask["status"], attempts: number): RunTask => ({
  id,
  status,
  attempts: Array.from({ length: attempts }, (_, i) => ({ number: i + 1, status: "FAILED" as const, startedAt: "2024-01-01T00:00:00Z" })),
});

describe("which states a run visited", () => {
  it.each([
    ["process-incoming-data", "process-incoming-data"],
    ["Plan", "Task Plan"],
    ["item-7", "item-*"],
    ["computed-id", "DynamicTask"],
  ])("task %s runs in state %s", (taskId, state) => {
    expect(stateForTask(job, taskId)).toBe(state);
  });

  it("a succeeded run: Plan, Route, its tasks, Succeeded", () => {
    const states = visitedStates(job, {
      status: "SUCCEEDED",
      tasks: [task("process-incoming-data", "SUCCEEDED", 2), task("later", "RUNNING", 0)],
    });
    expect([...states.visited]).toEqual(["Plan", "Route", "process-incoming-data", "Succeeded"]);
    expect([...states.failed]).toEqual([]);
  });

  it("a failed run marks the failed task and RunFailed; a retrying one is active", () => {
    expect(visitedStates(job, { status: "FAILED", tasks: [task("item-1", "FAILED", 3)] })).toEqual({
      visited: new Set(["Plan", "Route", "item-*", "RunFailed"]),
      failed: new Set(["item-*"]),
      active: new Set(),
    });
    expect(visitedStates(job, { status: "RUNNING", tasks: [task("x", "RETRYING", 2)] })).toEqual({
      visited: new Set(["Plan", "Route", "DynamicTask", "DynamicRetry", "DynamicWait"]),
      failed: new Set(),
      active: new Set(["DynamicTask"]),
    });
  });

  it("a Catch edge is taken only out of a task that failed for good, its Next only otherwise", () => {
    const ok = visitedStates(job, { status: "SUCCEEDED", tasks: [task("process-incoming-data", "SUCCEEDED", 1)] });
    const failed = visitedStates(job, { status: "FAILED", tasks: [task("process-incoming-data", "FAILED", 3)] });
    const next = { from: "process-incoming-data", to: "Route", kind: "next" as const };
    const caught = { from: "process-incoming-data", to: "Plan", kind: "catch" as const };
    expect([edgeTaken(next, ok), edgeTaken(caught, ok), edgeTaken(next, failed), edgeTaken(caught, failed)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(edgeTaken({ from: "Route", to: "RunFailed", kind: "choice" }, ok)).toBe(false);
  });
});
