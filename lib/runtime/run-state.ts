import type { ErrorInfo } from "../sdk/errors.ts";
import type { JsonValue } from "../sdk/types.ts";
import { fromTrace } from "./error-info.ts";

/**
 * The JSON state a run carries through its state machine. Every runner invocation takes it as input
 * and returns the next one; the `Route` Choice state branches on `status` and `next.task`.
 * It must stay under the 256 KiB state payload quota
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions).
 */

/** The event that started the run, as recorded by ingest. */
export interface RunEvent {
  readonly id: string;
  readonly name: string;
  /** ISO-8601. */
  readonly timestamp: string;
  readonly payload: unknown;
}

export type { ErrorInfo };

/** What a durable step is: a task (a Lambda invocation), a native `Wait`, or a native `PutEvents`. */
export type StepKind = "task" | "wait" | "event";

/**
 * A finished step, in call order. The array order is the determinism check. `kind` is absent for tasks
 * (the common case, and every state written before waits and events existed).
 */
export type MemoEntry =
  | {
      readonly key: string;
      readonly id: string;
      readonly kind?: "wait" | "event";
      readonly ok: true;
      readonly result?: JsonValue;
    }
  | { readonly key: string; readonly id: string; readonly kind?: "wait" | "event"; readonly ok: false; readonly error: ErrorInfo };

/** The event a `SendEvent` state puts on the bus (its fields are the `PutEvents` entry's). */
export interface OutgoingEvent {
  /** EventBridge `detail-type`. */
  readonly name: string;
  readonly source: string;
  /** EventBridge `detail`: `{ id, timestamp, payload }`, the shape ingest reads (see lib/ingest/bus-event.ts). */
  readonly detail: { readonly id: string; readonly timestamp: string; readonly payload: JsonValue | null };
}

/** The step the run goes to next (a task unless `kind` says otherwise). */
export interface NextTask {
  /** Memo key: `${id}#${occurrence}` for tasks, `${kind}:${id}#${occurrence}` for waits and events. */
  readonly key: string;
  /** Task id as passed to `io.runTask` (or the key of `io.wait`/`io.sendEvent`); `Route` matches it to a task state. */
  readonly task: string;
  /** Position among the run's durable calls (tasks, waits, events). */
  readonly index: number;
  /** @default "task" */
  readonly kind?: StepKind;
  /** `io.wait({ seconds })`: whole seconds for the `Sleep` state's `SecondsPath`. */
  readonly seconds?: number;
  /** `io.wait({ until })`: RFC 3339 time for the `SleepUntil` state's `TimestampPath`. */
  readonly wakeAt?: string;
  /** `io.sendEvent`: the event the `SendEvent` state puts on the bus. */
  readonly event?: OutgoingEvent;
  /** Attempts already made when the runner drives retries (`DynamicTask`); absent for native retries. */
  readonly attempt?: number;
  /** Seconds `DynamicWait` waits before the next attempt. */
  readonly waitSeconds?: number;
}

/** What one item of the `Parallel` Map state returns: the finished task, or the `Catch` of its last attempt. */
export type BranchOutcome =
  | { readonly status: "branched"; readonly next: NextTask; readonly entry: MemoEntry }
  | { readonly status: "caught"; readonly next: NextTask; readonly caught: CaughtError };

/** What a state's `Catch` writes (`ResultPath: "$.caught"`): the ASL error name and its cause. */
export interface CaughtError {
  readonly Error?: string;
  readonly Cause?: string;
}

/** The fields of every run state. */
interface RunStateBase {
  readonly runId: string;
  readonly event: RunEvent;
  readonly memo: readonly MemoEntry[];
  /** The redrive (`$$.Execution.RedriveCount`) this state belongs to; absent before the first redrive. */
  readonly redrives?: number;
}

/**
 * A task is next (`Route` sends it to its task state, or to `DynamicTask`). Without `next`, nothing has run yet (the
 * execution's input, or a redriven run's state): `Plan` replays to find the first step.
 */
export interface RunningState extends RunStateBase {
  readonly status: "running";
  readonly next?: NextTask;
  /** Set on the state of one `Parallel` item: the runner executes `next` and returns a {@link BranchOutcome}. */
  readonly branch?: boolean;
  /** Written by the task state's `Catch` after `next`'s last attempt. */
  readonly caught?: CaughtError;
}

/** A dynamic task failed and the runner-driven retry waits `next.waitSeconds` in `DynamicWait` before `next.attempt`. */
export interface WaitingState extends RunStateBase {
  readonly status: "waiting";
  readonly next: NextTask;
  readonly branch?: boolean;
  /** Written by `DynamicTask`'s `Catch` when the retried attempt failed too. */
  readonly caught?: CaughtError;
}

/** An `io.wait`: `Route` sends the run to `Sleep` (`next.seconds`) or `SleepUntil` (`next.wakeAt`). */
export interface SleepingState extends RunStateBase {
  readonly status: "sleeping";
  readonly next: NextTask;
}

/** An `io.sendEvent`: `Route` sends the run to `SendEvent`, which puts `next.event` on the bus. */
export interface SendingState extends RunStateBase {
  readonly status: "sending";
  readonly next: NextTask;
  /** The `SendEvent` state's result (`ResultPath: "$.sent"`). */
  readonly sent?: unknown;
  /** Written by `SendEvent`'s `Catch` when `PutEvents` kept failing. */
  readonly caught?: CaughtError;
}

/** Several tasks at once (a `Promise.all`): the `Parallel` Map state runs `batch`, one item per task. */
export interface ParallelState extends RunStateBase {
  readonly status: "parallel";
  readonly batch: readonly NextTask[];
  /** The Map state's result, one outcome per `batch` item (`ResultPath: "$.branches"`). */
  readonly branches?: readonly BranchOutcome[];
}

/** The job returned: `Succeeded` outputs `output`. */
export interface SucceededState extends RunStateBase {
  readonly status: "succeeded";
  readonly output: JsonValue;
}

/** The job failed (between tasks, or a task's error it did not catch): `RunFailed` throws `error`. */
export interface FailedState extends RunStateBase {
  readonly status: "failed";
  readonly error: ErrorInfo;
}

/** The whole state, a union on `status`, which `Route` branches on. */
export type RunState = RunningState | WaitingState | SleepingState | SendingState | ParallelState | SucceededState | FailedState;

/** Where the run is. */
export type RunStatus = RunState["status"];

/** The step a state goes to next, if it names one. */
export function nextOf(state: RunState): NextTask | undefined {
  return "next" in state ? state.next : undefined;
}

/** Whether the state is one `Parallel` item's (the Map's `ItemSelector` sets `branch`). */
export function isBranchItem(state: RunState): boolean {
  return "branch" in state && state.branch === true;
}

/** The `Catch` a state carries, if a task's (or a send's) last attempt failed into it. */
export function caughtOf(state: RunState): CaughtError | undefined {
  return "caught" in state ? state.caught : undefined;
}

/** The execution input that ingest passes to `StartExecution`. */
export interface RunInput {
  readonly runId: string;
  readonly event: RunEvent;
}

/** Turns the execution input (or a state) into a full state: an input has not run anything yet. */
export function toRunState(input: RunInput | RunState): RunState {
  return "status" in input ? input : { ...input, status: "running", memo: [] };
}

/**
 * A run state read from JSON stepjobs did not just write (an execution history, a stored record): undefined unless
 * it has a run id and an event (a `Parallel` item's output has neither); an execution's input becomes its state.
 */
export function readRunState(value: unknown): RunState | undefined {
  if (!value || typeof value !== "object") return undefined;
  const candidate = value as { runId?: unknown; event?: unknown };
  if (typeof candidate.runId !== "string" || !candidate.event || typeof candidate.event !== "object") return undefined;
  return toRunState(value as RunInput | RunState);
}

/**
 * Reads the `{ Error, Cause }` a `Catch` writes. Real Lambda puts a JSON string `{"errorType","errorMessage","trace"}`
 * in `Cause` (the dev executor passes the same, see lib/runtime/error-info.ts); the trace carries the task's stack and
 * fields. Any other `Cause` (a `Fail` state's, a timeout's) is the message.
 */
export function normalizeCaughtError(caught: CaughtError | undefined): ErrorInfo {
  const name = caught?.Error ?? "Error";
  const cause = caught?.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown; trace?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.errorMessage === "string") {
      return {
        name: typeof parsed.errorType === "string" ? parsed.errorType : name,
        message: parsed.errorMessage,
        ...fromTrace(parsed.trace),
      };
    }
  } catch {
    // a plain message
  }
  return { name, message: cause };
}
