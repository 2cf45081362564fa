import type { BranchOutcome, ErrorInfo, RunState } from "../runtime/run-state.ts";
import type { LogLine } from "../sdk/types.ts";
import type { AttemptStop } from "./attempt-stop.ts";

/**
 * What the dev executor reports about an execution as it happens: the store, the terminal and the dashboard's
 * change feed are written from it (lib/local/local-runtime.ts), and tests collect it.
 */

/** One task attempt as it starts. */
export interface AttemptStart {
  readonly runId: string;
  readonly taskKey: string;
  readonly taskId: string;
  /** The ASL state executing it (a task state, or `DynamicTask`). */
  readonly stateName: string;
  /** 1 on the first attempt; what `ctx.attempt.number` is during it. */
  readonly number: number;
  readonly startedAt: string;
}

/** One task attempt as it ends; `retry` is what the state's `Retry` field does next (null: no retry, `stop` says why). */
export interface AttemptEnd extends AttemptStart {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly endedAt: string;
  readonly error: ErrorInfo | null;
  /**
   * `waitSeconds`: the wait before the next attempt in this execution (0 with `waits: "zero"`); `intervalSeconds`: the
   * retrier's interval for it, what the deployed machine waits (before jitter) whatever `waits` is.
   */
  readonly retry: { readonly waitSeconds: number; readonly intervalSeconds: number; readonly jitter: boolean } | null;
  /** Set on a failed attempt that its state does not retry. */
  readonly stop?: AttemptStop;
}

/** A state entered or exited, as the engine's event log reports it. */
export interface StateChange {
  readonly phase: "entered" | "exited";
  readonly stateName: string;
  /** ISO-8601, from the engine's clock. */
  readonly at: string;
  /** The state's input: for stepjobs' states, the run state. */
  readonly input: unknown;
}

/**
 * Receives what happens inside an execution. Every callback is awaited before the state machine moves on,
 * so a store written here is never behind the execution (a restart resumes from the last written state).
 */
export interface RunObserver {
  /** Awaited before the task function runs: an attempt cut by a crash is left RUNNING in the store. */
  attemptStarted?(attempt: AttemptStart): Promise<void> | void;
  attemptEnded?(attempt: AttemptEnd): Promise<void> | void;
  /** An `io.logger` line, attributed to its task and attempt when a task wrote it. */
  log?(runId: string, line: LogLine): Promise<void> | void;
  /** The state a runner invocation returned (written after every step: it is what a restart resumes from). */
  stepped?(runId: string, state: RunState, stateName: string): Promise<void> | void;
  /**
   * One item of a `Parallel` batch finished its task (before its attempt's end is reported): `state` is the
   * batch's state with every item finished so far in `branches`. The batch's result only reaches the run state
   * once every item is done, so this is what lets a restart (or a redrive after a cancel) keep the finished items.
   */
  branchFinished?(runId: string, outcome: BranchOutcome, state: RunState): Promise<void> | void;
  /**
   * A state was entered or exited, read from the engine's event log as it happens (states inside `Parallel`
   * included). Not awaited: the log is read beside the execution, which does not wait for it.
   */
  stateChanged?(runId: string, change: StateChange): void;
}
