import type { JobPlan } from "../compiler/job-plan.ts";
import {
  type BranchOutcome,
  type FailedState,
  nextOf,
  type ParallelState,
  type RunState,
  type SucceededState,
  toRunState,
} from "../runtime/run-state.ts";
import type { AttemptRecord, RunRecord } from "../store/types.ts";
import type { AslRetrier } from "../compiler/compile-retry.ts";
import { DYNAMIC_TASK_STATE, stateNameForTask } from "../compiler/task-routing.ts";
import { decideRetry, drawnWait } from "../compiler/asl-retry.ts";
import { lambdaErrorCause, ThrownTaskError } from "../runtime/error-info.ts";

/**
 * How a run that was RUNNING when `stepjobs dev` stopped continues on the next start. The store holds the
 * state the runner returned after its last completed step (memo of finished tasks plus `next`) and every
 * attempt. The run re-enters its state machine with that state as input: `Plan` replays the memo (finished
 * tasks are not run again, their log lines not repeated) and `Route` sends it to the pending task. If that
 * task already had attempts, the execution continues its retry policy instead of restarting it: the wait still due
 * is waited, and only the retries left are allowed (attempt numbers go on from the records: lib/local/attempt-counter.ts).
 */

/** Retry and Wait durations: as the ASL says (`real`, what `stepjobs dev` uses) or none (`zero`, tests). */
export type WaitMode = "real" | "zero";

/**
 * Where a resumed execution re-enters a task state that already had attempts: its retriers are reduced by what
 * those attempts used (see `remainingRetriers` in lib/compiler/asl-retry.ts) for that visit.
 */
export interface ResumePoint {
  readonly stateName: string;
  /** Retries used per retrier of that state, from `decideRetry`. */
  readonly used: readonly number[];
}

/** The error recorded for an attempt the process died during (its outcome is unknown: at-least-once). */
export const INTERRUPTED_ERROR = { name: "Interrupted", message: "stepjobs dev stopped during this attempt" } as const;

/** What to do with an unfinished run. */
export type ResumePlan =
  /** The last step already finished the run; only its record is behind. */
  | { readonly kind: "finish"; readonly state: SucceededState | FailedState }
  /** No state was saved (written with the run, so only a foreign record): nothing to resume from. */
  | { readonly kind: "abandon" }
  | {
      readonly kind: "execute";
      readonly input: RunState;
      readonly resume?: ResumePoint;
      /** Items of the input's `Parallel` batch that finished before the stop (the input's batch lacks them). */
      readonly doneBranches?: readonly BranchOutcome[];
      /** How long to wait first: the rest of the retry wait the process died in. */
      readonly waitMs: number;
    };

/** What {@link planResume} needs to know about the job. */
export interface ResumeJob {
  readonly plan: JobPlan;
  retriersOf(stateName: string): readonly AslRetrier[];
}

/** Options of {@link planResume}. */
export interface PlanResumeOptions {
  readonly now: Date;
  readonly waits: WaitMode;
  /** Draw for a FULL-jitter wait. @default Math.random */
  readonly random?: () => number;
}

/**
 * Decides how `run` continues. `attempts` must already show interrupted attempts as FAILED
 * (see {@link INTERRUPTED_ERROR}).
 */
export function planResume(run: RunRecord, attempts: readonly AttemptRecord[], job: ResumeJob, options: PlanResumeOptions): ResumePlan {
  if (!run.state) return { kind: "abandon" };
  const state = toRunState(run.state);
  if (state.status === "succeeded" || state.status === "failed") return { kind: "finish", state };
  const next = nextOf(state);
  // A parallel batch: the items that finished are kept; only the others run again.
  const split = splitDoneBranches(state);
  if (split.doneBranches) return { kind: "execute", ...split, waitMs: 0 };
  // A wait resumes for what is left of it; Plan then records it as done.
  if (state.status === "sleeping" && next?.wakeAt) {
    const waitMs = options.waits === "zero" ? 0 : Math.max(0, Date.parse(next.wakeAt) - options.now.getTime());
    return { kind: "execute", input: state, waitMs };
  }
  // Runner-driven (DynamicTask) retries carry their count in the state; no `next` means nothing ran yet.
  if (!next || state.status !== "running") return { kind: "execute", input: state, waitMs: 0 };
  const stateName = stateNameForTask(job.plan.tasks, next.task);
  const prior = attempts.filter((a) => a.taskKey === next.key).sort((a, b) => a.number - b.number);
  const last = prior.at(-1);
  if (!last || stateName === DYNAMIC_TASK_STATE) return { kind: "execute", input: state, waitMs: 0 };

  const counted = countedAttempts(prior);
  const resume = (used: readonly number[]): ResumePoint => ({ stateName, used });
  // Only the free interruption so far: the task runs again at once with its whole policy (numbered after it).
  if (counted.length === 0) return { kind: "execute", input: state, resume: resume(job.retriersOf(stateName).map(() => 0)), waitMs: 0 };
  const decision = decideRetry(
    job.retriersOf(stateName),
    counted.map((a) => a.error?.name ?? INTERRUPTED_ERROR.name),
  );
  if (!decision.retry) {
    // The last attempt was the last one allowed and the process died before the Catch: replay the Catch, with the
    // error as a Lambda's `Cause` carries it (its stack and fields too).
    const error = counted.at(-1)?.error ?? INTERRUPTED_ERROR;
    return {
      kind: "execute",
      input: { ...state, caught: { Error: error.name, Cause: lambdaErrorCause(new ThrownTaskError(error)) } },
      waitMs: 0,
    };
  }
  // The wait after the failure was waited before the free interruption's attempt started: go on at once.
  if (isInterrupted(last) && !counted.includes(last)) return { kind: "execute", input: state, resume: resume(decision.used), waitMs: 0 };
  const waitSeconds = drawnWait(decision, options.random);
  const due = Date.parse(last.endedAt ?? last.startedAt) + waitSeconds * 1000;
  const waitMs = options.waits === "zero" ? 0 : Math.max(0, due - options.now.getTime());
  return { kind: "execute", input: state, resume: resume(decision.used), waitMs };
}

function isInterrupted(attempt: AttemptRecord): boolean {
  return attempt.error?.name === INTERRUPTED_ERROR.name;
}

/**
 * The attempts a task's retry policy counts: all but its first interrupted one. A kill of `stepjobs dev` is not the
 * task's failure, so it does not use up an attempt (with `maxAttempts: 1`, the only one); a second interruption
 * counts, so a task that takes the process down on every attempt ends FAILED after `maxAttempts + 1` runs instead
 * of crash-looping `stepjobs dev`.
 */
export function countedAttempts(attempts: readonly AttemptRecord[]): AttemptRecord[] {
  const free = attempts.find(isInterrupted);
  return attempts.filter((attempt) => attempt !== free);
}

/**
 * A saved batch state (`parallel`) whose `branches` lists the items that finished before a stop: the state to
 * re-enter with (its batch holds only the other items) and the finished outcomes, for the executor's
 * `doneBranches`. Any other state comes back as it is.
 */
export function splitDoneBranches(state: RunState): { input: RunState; doneBranches?: readonly BranchOutcome[] } {
  if (state.status !== "parallel" || !state.branches || state.branches.length === 0) return { input: state };
  const { branches, ...rest } = state;
  const done = new Set(branches.map((b) => b.next.key));
  return { input: { ...rest, batch: state.batch.filter((t) => !done.has(t.key)) }, doneBranches: branches };
}

/**
 * A batch's state with `done` items added to its `branches` (and to its `batch`, where missing), in call order;
 * an item already there is replaced. Used for the items finished before a restart and for each item finishing.
 */
export function withDoneBranches(state: ParallelState, done: readonly BranchOutcome[]): ParallelState {
  const keys = new Set(done.map((b) => b.next.key));
  const branches = [...(state.branches ?? []).filter((b) => !keys.has(b.next.key)), ...done].sort((a, b) => a.next.index - b.next.index);
  const batch = [...state.batch.filter((t) => !keys.has(t.key)), ...done.map((b) => b.next)].sort((a, b) => a.index - b.index);
  return { ...state, batch, branches };
}
