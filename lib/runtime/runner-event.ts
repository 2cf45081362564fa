import type { StepSupport } from "../compiler/render-state-machine.ts";
import type { Job } from "../sdk/client.ts";
import { failMode } from "./modes/fail.ts";
import type { ModeCall, RunnerPorts } from "./modes/mode-call.ts";
import { planMode } from "./modes/plan.ts";
import { retryMode } from "./modes/retry.ts";
import { taskMode } from "./modes/task.ts";
import { type BranchOutcome, type RunInput, type RunState, toRunState } from "./run-state.ts";

export type { RunnerPorts };

/**
 * The runner: the one entry point of every runner invocation, for the Lambda (lambdas/runner.ts) and for
 * `stepjobs dev` (lib/local/runner-binding.ts). The state machine's runner states pass a {@link RunnerEvent}; the
 * answer is the next run state (a `Parallel` item's outcome for an item), or the task's own error thrown.
 */

/**
 * What the state machine asks the runner to do:
 * - `plan`: replay to the first step not in the memo (after a `Catch`, a `Wait`, a `PutEvents` or a `Map`, first
 *   record what finished);
 * - `task`: replay, execute exactly `state.next`, then replay on to the next steps;
 * - `retry`: after a `DynamicTask` failed, decide between another attempt (via `DynamicWait`) and failure;
 * - `fail`: the run failed (`RunFailed`): throw its error; after a redrive, continue the run instead.
 */
export type StepMode = "plan" | "task" | "retry" | "fail";

/** The payload of a runner invocation, as `renderRunnerParameters` writes it: `{ mode, retryCount, state, steps? }`. */
export interface RunnerEvent {
  readonly mode: StepMode;
  /** `$$.State.RetryCount`. @default 0 */
  readonly retryCount?: number;
  /** `$$.Execution.RedriveCount`, passed by `RunFailed`. @default 0 */
  readonly redriveCount?: number;
  /** The durable steps the machine has states for (`io.wait`, `io.sendEvent`, parallel). @default none */
  readonly steps?: readonly StepSupport[];
  /** The run state (`$`): the execution's input on the first `Plan`. */
  readonly state: RunInput | RunState;
}

const MODES: Record<StepMode, (call: ModeCall) => Promise<RunState | BranchOutcome>> = {
  plan: planMode,
  task: taskMode,
  retry: retryMode,
  fail: failMode,
};

/** Runs one runner invocation of `job` (see {@link RunnerEvent}); `ports` are what the caller provides. */
export function handleRunnerEvent(job: Job<any>, event: RunnerEvent, ports: RunnerPorts = {}): Promise<RunState | BranchOutcome> {
  return MODES[event.mode]({
    job,
    state: toRunState(event.state),
    retryCount: event.retryCount ?? 0,
    steps: event.steps ?? [],
    redriveCount: event.redriveCount ?? 0,
    ports,
  });
}

/** Tells the result of one `Parallel` item from a run state. */
export function isBranchOutcome(value: RunState | BranchOutcome): value is BranchOutcome {
  return value.status === "branched" || value.status === "caught";
}

/** Every durable step a machine can have states for: what {@link stepRun} assumes unless told. */
export const ALL_STEP_STATES: readonly StepSupport[] = ["wait", "sendEvent", "parallel"];

/** {@link handleRunnerEvent} positionally, for a whole run's state (not one `Parallel` item): tests and benchmarks. */
export async function stepRun(
  job: Job<any>,
  input: RunInput | RunState,
  mode: StepMode,
  retryCount = 0,
  options: RunnerPorts & { readonly steps?: readonly StepSupport[]; readonly redriveCount?: number } = {},
): Promise<RunState> {
  const { steps = ALL_STEP_STATES, redriveCount = 0, ...ports } = options;
  const result = await handleRunnerEvent(job, { mode, retryCount, redriveCount, steps, state: input }, ports);
  if (isBranchOutcome(result)) throw new Error("stepRun returned a Parallel item's outcome; call handleRunnerEvent for branch states");
  return result;
}
