import type { StepSupport } from "../compiler/render-state-machine.ts";
import { InvalidStepError } from "../sdk/errors.ts";
import { errorInfoOf, ThrownTaskError } from "./error-info.ts";
import { toJson } from "./json.ts";
import type { Replayed } from "./replay.ts";
import { type BranchOutcome, isBranchItem, type NextTask, type RunState } from "./run-state.ts";

/**
 * What a runner invocation returns, one small case per way replay stopped: the next run state (`Route` branches on
 * its `status`), one `Parallel` item's outcome, or the task's own error thrown, so that the task state's native
 * `Retry` sees it. Every other failure (between tasks, nondeterminism) is a `failed` state: no finished task re-runs.
 */
export function nextState(state: RunState, steps: readonly StepSupport[], replayed: Replayed): RunState | BranchOutcome {
  const { outcome } = replayed;
  const base = { runId: state.runId, event: state.event, memo: replayed.memo, ...(state.redrives ? { redrives: state.redrives } : {}) };
  switch (outcome.type) {
    case "task-failed":
      // Named as the user expects `retryOn` to see it (the class name when `name` was left "Error"), with the
      // stack and fields in the form Lambda's error envelope carries into the `Catch`.
      throw new ThrownTaskError(errorInfoOf(outcome.error));
    case "branched":
      return { status: "branched", next: outcome.next, entry: outcome.entry };
    case "retry-later":
      return { ...base, ...(isBranchItem(state) ? { branch: true } : {}), status: "waiting", next: outcome.next };
    case "steps-found": {
      const halt = haltAt(outcome.steps, steps.includes("parallel"));
      const missing = missingStepState(halt, steps);
      return missing ? { ...base, status: "failed", error: errorInfoOf(missing) } : { ...base, ...halt };
    }
    case "run-resolved": {
      const output = toJson(outcome.output);
      return { ...base, status: "succeeded", output: output === undefined ? null : output };
    }
    case "run-rejected":
      return { ...base, status: "failed", error: errorInfoOf(outcome.error) };
  }
}

/** Where the run halts at the steps replay found: their status, and the step or batch `Route` sends on. */
export type Halt =
  | { readonly status: "parallel"; readonly batch: readonly NextTask[] }
  | { readonly status: "running" | "sleeping" | "sending"; readonly next: NextTask };

/**
 * The run state after the steps replay stopped at. One task: `running` (Route sends it to its task state).
 * Several tasks reached in the same turn of the event loop (`Promise.all`): `parallel`, run by the Map state.
 * A wait or an event is never batched: the first step found goes alone, the others are found again after it.
 */
export function haltAt(steps: readonly [NextTask, ...NextTask[]], parallel = true): Halt {
  const tasks = steps.filter((s) => (s.kind ?? "task") === "task");
  if (parallel && tasks.length > 1 && tasks.length === steps.length) return { status: "parallel", batch: steps };
  const first = steps[0];
  const status = first.kind === "wait" ? "sleeping" : first.kind === "event" ? "sending" : "running";
  return { status, next: first };
}

/** An `io.wait` or `io.sendEvent` whose state the machine lacks (synth did not see the call): what fails the run. */
function missingStepState(halt: Halt, steps: readonly StepSupport[]): InvalidStepError | undefined {
  if (halt.status !== "sleeping" && halt.status !== "sending") return undefined;
  const missing = halt.status === "sleeping" ? "wait" : "sendEvent";
  if (steps.includes(missing)) return undefined;
  return new InvalidStepError(
    `io.${missing}`,
    halt.next.task,
    `the job's state machine has no ${missing === "wait" ? "Wait" : "SendEvent"} state because synth found no io.${missing} call in the job's file; call it there (not from a helper in another file)`,
  );
}
