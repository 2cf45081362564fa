import { describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import type { AslDocument, Job, RunTask } from "../../lib/dashboard/view/api-types.ts";
import { layoutStateMachine } from "../../lib/dashboard/view/asl-graph.ts";
import { edgeTaken, stateForTask, topLevelState, visitedStates } from "../../lib/dashboard/view/visited-states.ts";
import { ROOT } from "../helpers/load-job.ts";
import { FULFIL_ORDER_STATES_ENTERED } from "../helpers/steps-expectations.ts";

const job: Pick<Job, "tasks" | "asl"> = {
  tasks: [
    {
      id: "process-incoming-data",
      match: "literal",
      stateName: "process-incoming-data",
      maxAttempts: 3,
      retry: {},
      retryDescription: "3 attempts, 1 s apart",
    },
    { id: "Plan", match: "literal", stateName: "Task Plan", maxAttempts: 3, retry: {}, retryDescription: "" },
    { id: "item-*", match: "pattern", stateName: "item-*", maxAttempts: 3, retry: {}, retryDescription: "" },
  ],
  asl: {
    StartAt: "Plan",
    States: {
      Plan: { Type: "Task" },
      Route: { Type: "Choice" },
      "process-incoming-data": { Type: "Task" },
      "Task Plan": { Type: "Task" },
      "item-*": { Type: "Task" },
      DynamicTask: { Type: "Task" },
      DynamicRetry: { Type: "Task" },
      DynamicWait: { Type: "Wait" },
      Succeeded: { Type: "Succeed" },
      RunFailed: { Type: "Fail" },
    },
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

  it("a task id is routed as the machine's Route decides: the first matching rule, `\\*` a literal star", () => {
    const task = (id: string, match: "literal" | "pattern") => ({
      id,
      match,
      stateName: id,
      maxAttempts: 3,
      retry: {},
      retryDescription: "",
    });
    const routed = { tasks: [task("item-*", "pattern"), task("item-7", "literal"), task("price-\\*-*", "pattern")] };
    expect(stateForTask(routed, "item-7")).toBe("item-*");
    expect(stateForTask(routed, "price-*-9")).toBe("price-\\*-*");
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

describe("the states a run entered, as it recorded them", () => {
  const fulfil = compileProject({ root: ROOT, jobsDir: "test/fixtures/steps" }).jobs.find((j) => j.plan.id === "fulfil-order")!;
  const job = {
    tasks: fulfil.plan.tasks.map((t) => ({
      id: t.id,
      match: t.match,
      stateName: t.stateName,
      maxAttempts: t.maxAttempts,
      retry: t.retry,
      retryDescription: "",
    })),
    asl: fulfil.definition as unknown as AslDocument,
  };
  const ok = (id: string, stateName: string): RunTask => ({
    id,
    stateName,
    status: "SUCCEEDED",
    attempts: [{ number: 1, status: "SUCCEEDED", startedAt: "2026-12-04T10:00:00.000Z" }],
  });
  const entered = [...FULFIL_ORDER_STATES_ENTERED];

  it("a state inside Parallel counts for Parallel; the top-level task states a Map ran are not visited", () => {
    expect(topLevelState(job.asl, "charge-card (parallel)")).toBe("Parallel");
    expect(topLevelState(job.asl, "Sleep")).toBe("Sleep");
    expect(topLevelState(job.asl, "no-such-state")).toBeUndefined();
    const states = visitedStates(job, {
      status: "SUCCEEDED",
      statesEntered: entered,
      tasks: [ok("reserve-stock", "reserve-stock (parallel)"), ok("charge-card", "charge-card (parallel)")],
    });
    expect(states).toEqual({
      visited: new Set(["Plan", "Route", "Parallel", "Sleep", "SendEvent", "Succeeded"]),
      failed: new Set(),
      active: new Set(),
    });
    // The transitions drawn as taken are exactly those the run took.
    const taken = layoutStateMachine(job.asl)
      .edges.filter((e) => edgeTaken(e, states))
      .map((e) => `${e.from}>${e.to}`);
    expect(taken.sort()).toEqual(
      [
        "Plan>Route",
        "Route>Parallel",
        "Parallel>Plan",
        "Route>Sleep",
        "Sleep>Plan",
        "Route>SendEvent",
        "SendEvent>Plan",
        "Route>Succeeded",
      ].sort(),
    );
  });

  it("what runs now is active (and visited): a Parallel item's task, a wait in progress", () => {
    const running = visitedStates(job, {
      status: "RUNNING",
      statesEntered: ["Plan", "Route"],
      tasks: [{ ...ok("charge-card", "charge-card (parallel)"), status: "RETRYING" }],
    });
    expect([...running.active]).toEqual(["Parallel"]);
    expect([...running.visited]).toEqual(["Plan", "Route", "Parallel"]);
    const waiting = visitedStates(job, {
      status: "RUNNING",
      statesEntered: entered.slice(0, 7),
      tasks: [],
      steps: [
        {
          kind: "wait",
          id: "cool-off",
          key: "wait:cool-off#0",
          index: 2,
          stateName: "Sleep",
          status: "WAITING",
          startedAt: "2026-12-04T10:00:01.000Z",
          endedAt: null,
          wakeAt: "2026-12-04T10:00:31Z",
          eventId: null,
          error: null,
        },
      ],
    });
    expect([...waiting.active]).toEqual(["Sleep"]);
    expect([...waiting.visited]).toEqual(["Plan", "Route", "Parallel", "Sleep"]);
  });
});
