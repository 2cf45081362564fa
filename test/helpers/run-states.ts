import type { RunState, RunStatus } from "../../lib/runtime/run-state.ts";

/** `state` as the member of the union its `status` names; throws (failing the test) when its status is another. */
export function withStatus<S extends RunStatus>(state: RunState, status: S): Extract<RunState, { status: S }> {
  if (state.status !== status) throw new Error(`expected a ${status} state, got ${state.status}: ${JSON.stringify(state)}`);
  return state as Extract<RunState, { status: S }>;
}
