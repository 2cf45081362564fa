import { ThrownTaskError } from "../error-info.ts";
import { redriveState } from "../redrive.ts";
import type { BranchOutcome, RunState } from "../run-state.ts";
import type { ModeCall } from "./mode-call.ts";
import { planMode } from "./plan.ts";

/**
 * `fail` (`RunFailed`): throws the run's error, so the execution fails at this state. When the execution was
 * redriven since (`$$.Execution.RedriveCount` is past the state's `redrives`), it continues the run instead: the
 * failed steps are dropped (see {@link redriveState}) and `Plan` replays from there.
 */
export async function failMode(call: ModeCall): Promise<RunState | BranchOutcome> {
  const { state, redriveCount } = call;
  if ((state.redrives ?? 0) >= redriveCount) {
    throw new ThrownTaskError(state.status === "failed" ? state.error : { name: "RunFailed", message: "the run failed" });
  }
  return planMode({ ...call, state: redriveState(state, redriveCount), retryCount: 0 });
}
