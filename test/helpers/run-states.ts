import type { BranchOutcome, RunState, RunStatus } from "../../lib/runtime/run-state.ts";

/** `state` as the member of the union its `status` names; throws (failing the test) when its status is another. */
export function withStatus<S extends RunStatus>(state: RunState, status: S): Extract<RunState, { status: S }> {
  if (state.status !== status) throw new Error(`expected a ${status} state, got ${state.status}: ${JSON.stringify(state)}`);
  return state as Extract<RunState, { status: S }>;
}

/** A runner invocation's answer that must be a run's state, not one `Parallel` item's outcome. */
export function runStateOf(answer: RunState | BranchOutcome): RunState {
  if (answer.status === "branched" || answer.status === "caught")
    throw new Error(`expected a run state, got a Parallel item's ${answer.status}`);
  return answer;
}
