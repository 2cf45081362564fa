import type { StepSupport } from "../../compiler/render-state-machine.ts";
import type { Job } from "../../sdk/client.ts";
import type { LogLine } from "../../sdk/types.ts";
import { replay, type Replayed, type ReplayTarget } from "../replay.ts";
import { isBranchItem, type MemoEntry, nextOf, type RunState } from "../run-state.ts";

/**
 * What the runner's caller provides: the Lambda (lambdas/runner.ts) and `stepjobs dev`'s binding
 * (lib/local/runner-binding.ts) pass what they have; the rest has defaults.
 */
export interface RunnerPorts {
  /** Receives each `io.logger` line once (never during replay of finished work). */
  readonly onLog?: (line: LogLine) => void;
  /** Clock for log timestamps, waits and sent events. @default () => new Date() */
  readonly now?: () => Date;
  /** Randomness for jittered waits of runner-driven retries. @default Math.random */
  readonly random?: () => number;
  /**
   * Largest state (bytes of JSON) a task may leave behind. Step Functions rejects larger states with
   * `States.DataLimitExceeded`; we fail the task first with a message naming the size.
   * @default 256 KiB minus 8 KiB of headroom for the Lambda invoke envelope
   */
  readonly maxStateBytes?: number;
  /**
   * Counts one more attempt of task `key` in run `runId`, right before its function runs, and returns the count (1
   * on the first): `ctx.attempt.number`. In AWS a DynamoDB `ADD` (DynamoRunStore.countAttempt), because
   * `$$.State.RetryCount` also counts the retries of Lambda service errors (throttles), in which the task never ran;
   * in `dev` the binding's count from the run's attempt records. @default `(next.attempt ?? 1) + retryCount`
   */
  readonly countAttempt?: (runId: string, key: string) => Promise<number>;
}

/** One runner invocation as a mode handles it: the job, the state, and what the state machine and the caller pass. */
export interface ModeCall {
  readonly job: Job<any>;
  readonly state: RunState;
  /** `$$.State.RetryCount` of the invoking state. */
  readonly retryCount: number;
  /** The durable steps the job's machine has states for. */
  readonly steps: readonly StepSupport[];
  /** `$$.Execution.RedriveCount` (`fail` mode). */
  readonly redriveCount: number;
  readonly ports: RunnerPorts;
}

/** Step Functions' state payload quota (256 KiB), minus headroom for the `lambda:invoke` envelope. */
export const DEFAULT_MAX_STATE_BYTES = 256 * 1024 - 8 * 1024;

/** Durable calls an earlier invocation already reached (and logged the code before): past `next`, or the whole batch. */
export function reachedBefore(state: RunState): number {
  const next = nextOf(state);
  const batch = state.status === "parallel" ? state.batch : [];
  return Math.max(next ? next.index + 1 : 0, ...batch.map((b) => b.index + 1));
}

/**
 * Replays the call's job from `memo` (@default the state's) towards `target`. Log lines are live past `liveFrom`
 * (@default what earlier invocations reached); never in one `Parallel` item, whose code before its task ran in `Plan`.
 */
export function replayCall(
  call: ModeCall,
  how: { readonly memo?: readonly MemoEntry[]; readonly target?: ReplayTarget; readonly liveFrom?: number } = {},
): Promise<Replayed> {
  const { state, ports } = call;
  const inBranch = isBranchItem(state);
  return replay(call.job, {
    runId: state.runId,
    event: state.event,
    memo: how.memo ?? state.memo,
    ...(how.target ? { target: how.target } : {}),
    liveFrom: inBranch ? Number.POSITIVE_INFINITY : (how.liveFrom ?? reachedBefore(state)),
    inBranch,
    ...(ports.onLog ? { onLog: ports.onLog } : {}),
    now: ports.now ?? (() => new Date()),
  });
}
