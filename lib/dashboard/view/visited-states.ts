import type { Job, Run } from "./api-types.ts";
import type { GraphEdge } from "./asl-graph.ts";

/**
 * Which states of the job's machine a run went through, derived from what the run API reports (tasks
 * with attempts, final status): `Plan` and `Route` on every run, a task's state once it has an attempt,
 * `Succeeded`/`RunFailed` at the end, `DynamicTask` for task ids no task state matches.
 */
export interface VisitedStates {
  /** States the run entered. */
  readonly visited: ReadonlySet<string>;
  /** Task states whose last attempt failed for good (their `Catch` returned to `Plan`). */
  readonly failed: ReadonlySet<string>;
  /** Task states running or waiting to retry right now. */
  readonly active: ReadonlySet<string>;
}

/** Fixed states stepjobs adds for tasks synth could not see; the graph hides them until a run uses them. */
export const DYNAMIC_STATES = ["DynamicTask", "DynamicRetry", "DynamicWait"] as const;

/** The state a task id runs in: the job task with that literal id, or whose `*` pattern matches it. */
export function stateForTask(job: Pick<Job, "tasks">, taskId: string): string {
  const exact = job.tasks.find((t) => t.id === taskId);
  if (exact) return exact.stateName;
  const pattern = job.tasks.find((t) => t.id.includes("*") && wildcard(t.id).test(taskId));
  return pattern ? pattern.stateName : "DynamicTask";
}

/** The states a run visited, failed in, and is in now. */
export function visitedStates(job: Pick<Job, "tasks" | "asl">, run: Pick<Run, "status" | "tasks">): VisitedStates {
  const visited = new Set<string>(["Plan", "Route"]);
  const failed = new Set<string>();
  const active = new Set<string>();
  for (const task of run.tasks ?? []) {
    if (task.attempts.length === 0) continue;
    const state = stateForTask(job, task.id);
    visited.add(state);
    if (state === "DynamicTask" && task.attempts.length > 1) ["DynamicRetry", "DynamicWait"].forEach((s) => visited.add(s));
    if (task.status === "FAILED") failed.add(state);
    if (task.status === "RUNNING" || task.status === "RETRYING") active.add(state);
  }
  if (run.status === "SUCCEEDED") visited.add(endState(job, "Succeed", "Succeeded"));
  if (run.status === "FAILED") visited.add(endState(job, "Fail", "RunFailed"));
  return { visited, failed, active };
}

/**
 * Whether the run took a transition: both ends visited, and out of a task that failed for good only its
 * `Catch` (a task state moves on by `Next` only after an attempt succeeds).
 */
export function edgeTaken(edge: Pick<GraphEdge, "from" | "to" | "kind">, states: VisitedStates): boolean {
  if (!states.visited.has(edge.from) || !states.visited.has(edge.to)) return false;
  return (edge.kind === "catch") === states.failed.has(edge.from);
}

function endState(job: Pick<Job, "asl">, type: string, fallback: string): string {
  return Object.entries(job.asl.States).find(([, s]) => s.Type === type)?.[0] ?? fallback;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}
