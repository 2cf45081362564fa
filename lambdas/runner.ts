import type { StepSupport } from "../lib/compiler/render-state-machine.ts";
import type { BranchOutcome, RunInput, RunState } from "../lib/runtime/run-state.ts";
import { advanceRun, type StepMode } from "../lib/runtime/step-run.ts";
import { registeredJobs } from "../lib/sdk/client.ts";

/** What a runner state passes (`renderRunnerParameters`): `{ mode, retryCount: $$.State.RetryCount, state: $ }`. */
export interface RunnerEvent {
  readonly mode: StepMode;
  readonly retryCount?: number;
  /** `$$.Execution.RedriveCount`, passed by `RunFailed`. */
  readonly redriveCount?: number;
  /** The step states the machine has (`io.wait`, `io.sendEvent`, parallel). */
  readonly steps?: readonly StepSupport[];
  readonly state: RunInput | RunState;
}

/**
 * The runner Lambda of one job: its bundle imports the job module (which registers the job) and exports
 * `createRunnerHandler(jobId)`. It returns the next run state (the `lambda:invoke` result's `Payload`) and
 * throws only the task function's own error, so the task state's native `Retry` sees its name
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). `io.logger` lines go to
 * CloudWatch as one JSON object per line with the run id.
 */
export function createRunnerHandler(jobId: string) {
  return async (event: RunnerEvent): Promise<RunState | BranchOutcome> => {
    const job = registeredJobs().get(jobId);
    if (!job) throw new Error(`the runner bundle did not register job "${jobId}"; its module must call client.defineJob`);
    const runId = event.state.runId;
    return advanceRun(job, event.state, event.mode, event.retryCount ?? 0, {
      onLog: (line) => console.log(JSON.stringify({ runId, jobId, ...line })),
      steps: event.steps ?? [],
      redriveCount: event.redriveCount ?? 0,
    });
  };
}
