import { decideRetry, remainingRetriers } from "../compiler/asl-retry.ts";
import type { AslRetrier } from "../compiler/compile-retry.ts";
import { errorInfoOf, lambdaErrorCause, ThrownTaskError } from "../runtime/error-info.ts";
import { type BranchOutcome, isBranchItem, nextOf, type RunState, toRunState } from "../runtime/run-state.ts";
import { handleRunnerEvent, isBranchOutcome, type RunnerEvent } from "../runtime/runner-event.ts";
import type { Job } from "../sdk/client.ts";
import type { LogLine } from "../sdk/types.ts";
import { retriedByRunner, retriersOf, type StatesByName } from "./asl-walk.ts";
import type { AttemptCounter } from "./attempt-counter.ts";
import { attemptStop } from "./attempt-stop.ts";
import { type ResumePoint, type WaitMode, withDoneBranches } from "./resume.ts";
import { RetryCounter } from "./retry-counter.ts";
import type { AttemptStart, RunObserver } from "./run-observer.ts";

/**
 * The runner states of one execution on aws-local-stepfunctions: each `lambda:invoke` state is bound to the one
 * runner entry point (`handleRunnerEvent`, as the Lambda calls it), with the ports the cloud has elsewhere:
 * `$$.State.RetryCount` (the library has none; see {@link RetryCounter}), the attempt counter, and an observer that
 * records every attempt, log line and state before the execution moves on.
 */

/** What a binding needs of its execution. */
export interface BindingOptions {
  readonly job: Job<any>;
  readonly runId: string;
  /** The machine's states (those inside `Parallel` too): their retriers and catchers. */
  readonly states: StatesByName;
  readonly observer: RunObserver;
  readonly attempts: AttemptCounter;
  readonly now: () => Date;
  readonly waits: WaitMode;
  /** The library's `$$`: `State.RetryCount` is kept in step with the binding's count. */
  readonly context: { readonly State: { RetryCount: number } };
  /** The state this execution starts from (a batch with the items finished before a restart already in it). */
  readonly start: RunState;
  readonly resume?: ResumePoint;
  readonly doneBranches?: readonly BranchOutcome[];
  /** Cancel: a result that arrives after it is not recorded. */
  readonly signal?: AbortSignal;
  /** Shutdown: no further runner state starts. */
  readonly suspend?: AbortSignal;
}

/** Store writes of a finished step are retried this many times (about 40 s in all) before the run gives up. */
export const PERSIST_RETRIES = 10;
const PERSIST_BACKOFF_MS = 50;

/** The runner states of one execution (see the module comment). */
export class RunnerBinding {
  /** The last state a restart could resume from: the start, then each state a runner invocation returned. */
  final: RunState;
  /** Set when the resumed state's visit is over: the state to continue from on the unmodified machine. */
  handoff: RunState | undefined;
  private readonly retries = new RetryCounter();
  private doneBranches: readonly BranchOutcome[] | undefined;
  private resumedVisited = false;
  /** Runner invocations in progress: a suspend stops the execution once none is (and at once if none is). */
  private inFlight = 0;
  private abortExecution: () => void = () => {};

  constructor(private readonly options: BindingOptions) {
    this.final = options.start;
    this.doneBranches = options.doneBranches?.length ? options.doneBranches : undefined;
  }

  /** The execution to abort when a suspend or the hand-off needs it stopped (the library stops between states). */
  attach(abort: () => void): void {
    this.abortExecution = abort;
  }

  get suspended(): boolean {
    return this.options.suspend?.aborted === true;
  }

  /** A suspend arrived: stop now unless an invocation is in flight (the last one to finish stops it then). */
  suspendNow(): void {
    if (this.inFlight === 0) this.abortExecution();
  }

  /** The library's task handler for runner state `stateName`: `parameters` are the state's evaluated `Parameters`. */
  handler(stateName: string): (parameters: unknown) => Promise<unknown> {
    return async (parameters) => {
      const event = (parameters as { Payload: RunnerEvent }).Payload;
      // Shutting down: this state does not start (the library stops right after it; the saved state is unchanged).
      if (this.suspended) {
        this.abortExecution();
        return { Payload: event.state };
      }
      this.inFlight++;
      try {
        return await this.invoke(stateName, event);
      } finally {
        if (--this.inFlight === 0 && this.suspended) this.abortExecution();
      }
    };
  }

  private async invoke(stateName: string, event: RunnerEvent): Promise<unknown> {
    if (this.leavesResumedVisit(stateName)) {
      // Aborted first, so the library stops right after this state (it checks the signal between states).
      this.handoff = toRunState(event.state);
      this.abortExecution();
      return { Payload: event.state };
    }
    const state = this.withBranchesDoneBefore(toRunState(event.state), event.mode);
    // Re-entering a batch: the saved state already says what Plan would (the remaining items): straight to the Map.
    if (state === "to-the-map") return { Payload: event.state };
    return this.run(stateName, { ...event, state });
  }

  /** Whether `stateName` is the first runner state after the resumed state's visit (whose retriers were reduced). */
  private leavesResumedVisit(stateName: string): boolean {
    const resume = this.options.resume;
    if (!resume) return false;
    if (stateName === resume.stateName) this.resumedVisited = true;
    return stateName !== resume.stateName && this.resumedVisited;
  }

  /** After the Map, the items finished before a restart join its result before `Plan` records them. */
  private withBranchesDoneBefore(state: RunState, mode: RunnerEvent["mode"]): RunState | "to-the-map" {
    const done = this.doneBranches;
    if (!done || mode !== "plan" || state.status !== "parallel") return state;
    if (!Array.isArray(state.branches)) return "to-the-map";
    this.doneBranches = undefined;
    return withDoneBranches(state, done);
  }

  private async run(stateName: string, event: RunnerEvent & { readonly state: RunState }): Promise<unknown> {
    const { job, observer, runId, now, context } = this.options;
    const next = nextOf(event.state);
    const key = next?.key ?? "";
    let attempt: AttemptStart | undefined;
    // Log lines are written in order, and all of them before the step is reported done.
    let logs: Promise<void> = Promise.resolve();
    const onLog = (line: LogLine) => {
      logs = logs.then(() => observer.log?.(runId, line));
    };
    const countAttempt = async (_runId: string, taskKey: string): Promise<number> => {
      const started: AttemptStart = {
        runId,
        taskKey,
        taskId: next?.task ?? taskKey,
        stateName,
        number: this.options.attempts.next(taskKey),
        startedAt: now().toISOString(),
      };
      await observer.attemptStarted?.(started);
      attempt = started;
      return started.number;
    };
    try {
      const retryCount = this.retries.retryCountFor(stateName, key);
      const result = await handleRunnerEvent(job, { ...event, retryCount }, { onLog, now, countAttempt });
      await logs;
      this.retries.ended(stateName, key);
      context.State.RetryCount = 0;
      await this.succeeded(stateName, event.state, result, attempt);
      return { Payload: result };
    } catch (error) {
      await logs;
      await this.failed(stateName, key, error, attempt);
      throw asLambdaError(error);
    }
  }

  /**
   * The state first: once it holds the task's result the task is complete, whatever happens next. A crash before
   * the attempt's end is written leaves it RUNNING, and resume reconciles it from the state. After a cancel the
   * result is not recorded (StopExecution discards it too): a redrive runs the step again.
   */
  private async succeeded(
    stateName: string,
    state: RunState,
    outcome: RunState | BranchOutcome,
    attempt: AttemptStart | undefined,
  ): Promise<void> {
    const { observer, runId, now, signal } = this.options;
    const endedAt = now().toISOString();
    if (signal?.aborted) {
      // the run already ended ABORTED with the state it had
    } else if (!isBranchItem(state) && !isBranchOutcome(outcome)) {
      this.final = outcome;
      await persisting(() => observer.stepped?.(runId, outcome, stateName));
    } else if (isBranchOutcome(outcome) && this.final.status === "parallel") {
      const batchState = (this.final = withDoneBranches(this.final, [outcome]));
      await persisting(() => observer.branchFinished?.(runId, outcome, batchState));
    }
    if (attempt) await persisting(() => observer.attemptEnded?.({ ...attempt, status: "SUCCEEDED", endedAt, error: null, retry: null }));
  }

  /** Advances `$$.State.RetryCount` and reports the attempt's end with what the state's `Retry` does next. */
  private async failed(stateName: string, key: string, error: unknown, attempt: AttemptStart | undefined): Promise<void> {
    const { observer, states, context, waits, now } = this.options;
    const info = errorInfoOf(error);
    this.retries.failed(stateName, info.name, key);
    context.State.RetryCount = this.retries.retryCountFor(stateName, key);
    const decision = decideRetry(this.currentRetriers(stateName), this.retries.errorsOf(stateName, key));
    if (!decision.retry) this.retries.ended(stateName, key);
    if (!attempt) return;
    await observer.attemptEnded?.({
      ...attempt,
      status: "FAILED",
      endedAt: now().toISOString(),
      error: info,
      retry: decision.retry
        ? { waitSeconds: waits === "zero" ? 0 : decision.waitSeconds, intervalSeconds: decision.waitSeconds, jitter: decision.jitter }
        : null,
      // The compiled retriers, not a resumed visit's reduced ones: a used-up policy must not read as "no retries".
      ...(decision.retry ? {} : { stop: attemptStop(retriersOf(states, stateName), decision, retriedByRunner(states, stateName)) }),
    });
  }

  /** The retriers the library applies to `stateName` in this execution (reduced on the resumed visit). */
  private currentRetriers(stateName: string): AslRetrier[] {
    const retriers = retriersOf(this.options.states, stateName);
    const resume = this.options.resume;
    return resume && resume.stateName === stateName ? remainingRetriers(retriers, resume.used) : retriers;
  }
}

/**
 * The error the library sees for a failed runner invocation: the same name, and as message the `Cause` real Step
 * Functions records for a Lambda error (Lambda's JSON envelope), which the library passes to `Catch` as `Cause`.
 * So a `Catch` reads the task's stack and fields the same way locally and in AWS.
 */
function asLambdaError(error: unknown): Error {
  const thrown = error instanceof Error ? error : new ThrownTaskError(errorInfoOf(error));
  return Object.assign(new Error(lambdaErrorCause(thrown)), { name: thrown.name });
}

/**
 * Runs a store write of a step that already happened, retrying with backoff while the store fails: a task that
 * succeeded must not fail its state (its `Retry` would run it again) because its result could not be written yet.
 * After the last try the error propagates and the run stays where its last saved state says (resumed on restart).
 */
async function persisting(write: () => Promise<void> | void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= PERSIST_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(PERSIST_BACKOFF_MS * 2 ** attempt, 5000)));
    }
  }
}
