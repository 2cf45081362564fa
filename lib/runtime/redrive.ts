import type { RunState } from "./run-state.ts";

/**
 * The state a redriven run continues from: the failed run's memo without its trailing failed steps (the task
 * whose error failed the run, or a parallel batch's failed items), so `Plan` replays the finished work and the
 * failed task runs again with its full retry policy. A run that failed between tasks replays as it is (with the
 * code deployed now). RedriveExecution semantics: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 */
export function redriveState(state: RunState, redriveCount: number): RunState {
  const memo = [...state.memo];
  while (memo.length > 0 && memo[memo.length - 1]?.ok === false) memo.pop();
  return { runId: state.runId, event: state.event, status: "running", memo, redrives: redriveCount };
}
