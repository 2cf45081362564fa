import { nextRetry, retryDelaySeconds } from "../../compiler/asl-retry.ts";
import { compileRetry, NON_RETRIABLE_RETRIER } from "../../compiler/compile-retry.ts";
import { nextState } from "../next-state.ts";
import type { TargetCall, TargetOutcome } from "../replay.ts";
import { type BranchOutcome, caughtOf, type NextTask, nextOf, normalizeCaughtError, type RunState } from "../run-state.ts";
import { type ModeCall, replayCall } from "./mode-call.ts";

/**
 * `retry` (`DynamicRetry`, after a `DynamicTask` attempt failed): replays to the task and applies its retry policy,
 * compiled from the options the job passes now (`compileRetry`, as synth would), to the failure its `Catch`
 * recorded: another attempt after a wait (`waiting`, via `DynamicWait`), or the failure recorded and the job going
 * on past it (its `try/catch` sees it).
 */
export async function retryMode(call: ModeCall): Promise<RunState | BranchOutcome> {
  const next = nextOf(call.state);
  const target = next && { step: next, run: (task: TargetCall) => decideRetry(call, next, task) };
  return nextState(call.state, call.steps, await replayCall(call, target ? { target } : {}));
}

function decideRetry(call: ModeCall, next: NextTask, task: TargetCall): TargetOutcome {
  const caught = caughtOf(call.state);
  const failure = caught ? normalizeCaughtError(caught) : { name: "Error", message: "unknown failure" };
  const { retrier } = compileRetry(task.options, call.job.client.options.defaults?.retry);
  const made = (next.attempt ?? 1) + call.retryCount;
  // The task state's Retry as rendered (non-retriable errors first), with the retries made so far.
  if (nextRetry([NON_RETRIABLE_RETRIER, retrier], [0, made - 1], failure.name).retry) {
    const { key, task: id, index } = task.step;
    const waitSeconds = retryDelaySeconds(retrier, made, call.ports.random);
    return { type: "stop", outcome: { type: "retry-later", next: { key, task: id, index, attempt: made + 1, waitSeconds } } };
  }
  return { type: "recorded", entry: { key: task.step.key, id: task.step.task, ok: false, error: failure } };
}
