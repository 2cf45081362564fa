import { stateNameForTask } from "../../compiler/task-routing.ts";
import type { AslDocument, Job, Run } from "./api-types.ts";
import type { GraphEdge } from "./asl-graph.ts";

/**
 * Which states of the job's machine a run went through, as the graph shows them. From the run's own record of the
 * states it entered (`statesEntered`, kept by `dev` as the run executes and read from the execution history in
 * AWS); a state inside `Parallel` counts for `Parallel`, the top-level state drawn. Runs recorded before that list
 * existed fall back to what their tasks and status imply.
 */
export interface VisitedStates {
  /** States the run entered. */
  readonly visited: ReadonlySet<string>;
  /** Task states whose last attempt failed for good (their `Catch` returned to `Plan`). */
  readonly failed: ReadonlySet<string>;
  /** States running now: a task running or waiting to retry, a wait in progress, an event being sent. */
  readonly active: ReadonlySet<string>;
}

/** Fixed states stepjobs adds for tasks synth could not see; the graph hides them until a run uses them. */
export const DYNAMIC_STATES = ["DynamicTask", "DynamicRetry", "DynamicWait"] as const;

/** The state a task id runs in, as the machine's `Route` decides it (lib/compiler/task-routing.ts). */
export function stateForTask(job: Pick<Job, "tasks">, taskId: string): string {
  return stateNameForTask(job.tasks, taskId);
}

/**
 * The top-level state drawn for `name`: itself when it is one, the `Map`/`Parallel` state whose item states hold it
 * (at any depth), or undefined when the machine has no such state (a run of another version).
 */
export function topLevelState(asl: Pick<AslDocument, "States">, name: string): string | undefined {
  if (name in asl.States) return name;
  return Object.entries(asl.States).find(([, state]) => {
    const inner = (state.ItemProcessor ?? state.Iterator) as Pick<AslDocument, "States"> | undefined;
    return inner?.States !== undefined && topLevelState(inner, name) !== undefined;
  })?.[0];
}

/** The states a run visited, failed in, and is in now. */
export function visitedStates(
  job: Pick<Job, "tasks" | "asl">,
  run: Pick<Run, "status" | "tasks" | "steps" | "statesEntered">,
): VisitedStates {
  const drawn = (name: string | null | undefined): string | undefined => (name ? topLevelState(job.asl, name) : undefined);
  const visited = new Set<string>();
  const failed = new Set<string>();
  const active = new Set<string>();
  const recorded = Array.isArray(run.statesEntered);
  for (const name of run.statesEntered ?? []) {
    const state = drawn(name);
    if (state) visited.add(state);
  }
  if (!recorded) impliedStates(job, run).forEach((s) => visited.add(s));
  for (const task of run.tasks ?? []) {
    if (task.attempts.length === 0) continue;
    const ran = task.stateName ?? stateForTask(job, task.id);
    const state = drawn(ran);
    if (!state) continue;
    // A Parallel item that failed is caught inside the Map: the Map state itself moved on by its Next.
    if (task.status === "FAILED" && state === ran) failed.add(state);
    if (task.status === "RUNNING" || task.status === "RETRYING") active.add(state);
  }
  for (const step of run.steps ?? []) {
    const state = drawn(step.stateName);
    if (state && (step.status === "WAITING" || step.status === "SENDING")) active.add(state);
  }
  // What runs now was entered, even if the record of it is a write behind.
  active.forEach((s) => visited.add(s));
  return { visited, failed, active };
}

/** Runs without a `statesEntered` record: Plan and Route, each task's state, DynamicRetry/Wait for a retried dynamic task, the end. */
function impliedStates(job: Pick<Job, "tasks" | "asl">, run: Pick<Run, "status" | "tasks">): string[] {
  const states = ["Plan", "Route"];
  for (const task of run.tasks ?? []) {
    if (task.attempts.length === 0) continue;
    const state = stateForTask(job, task.id);
    states.push(state);
    if (state === "DynamicTask" && task.attempts.length > 1) states.push("DynamicRetry", "DynamicWait");
  }
  if (run.status === "SUCCEEDED") states.push(endState(job, "Succeed", "Succeeded"));
  if (run.status === "FAILED") states.push(endState(job, "Fail", "RunFailed"));
  return states;
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
