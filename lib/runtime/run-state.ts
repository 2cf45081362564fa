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

/**
 * Where the run is; `Route` branches on it: `running` (a task next), `waiting` (a runner-driven retry wait),
 * `sleeping` (`io.wait`), `sending` (`io.sendEvent`), `parallel` (several tasks at once, `batch`), or finished.
 */
export type RunStatus = "running" | "waiting" | "sleeping" | "sending" | "parallel" | "succeeded" | "failed";

/** What one item of the `Parallel` Map state returns: the finished task, or the `Catch` of its last attempt. */
export type BranchOutcome =
  | { readonly status: "branched"; readonly next: NextTask; readonly entry: MemoEntry }
  | { readonly status: "caught"; readonly next: NextTask; readonly caught: { readonly Error?: string; readonly Cause?: string } };

/** The whole state. `caught` is written by a task state's `Catch` (`ResultPath: "$.caught"`). */
export interface RunState {
  readonly runId: string;
  readonly event: RunEvent;
  readonly status: RunStatus;
  readonly memo: readonly MemoEntry[];
  readonly next?: NextTask;
  /** The tasks the `Parallel` Map state runs concurrently (status `parallel`). */
  readonly batch?: readonly NextTask[];
  /** The `Parallel` Map state's result, one outcome per `batch` item (`ResultPath: "$.branches"`). */
  readonly branches?: readonly BranchOutcome[];
  /** Set on the state of one `Parallel` item: the runner executes `next` and returns a {@link BranchOutcome}. */
  readonly branch?: boolean;
  /** The `SendEvent` state's result (`ResultPath: "$.sent"`). */
  readonly sent?: unknown;
  /** The redrive (`$$.Execution.RedriveCount`) this state belongs to; absent before the first redrive. */
  readonly redrives?: number;
  readonly output?: JsonValue;
  readonly error?: ErrorInfo;
  readonly caught?: { readonly Error?: string; readonly Cause?: string };
}

/** The execution input that ingest passes to `StartExecution`. */
export interface RunInput {
  readonly runId: string;
  readonly event: RunEvent;
}

/** Turns the execution input (or a state) into a full state. */
export function toRunState(input: RunInput | RunState): RunState {
  const s = input as Partial<RunState> & RunInput;
  return { ...s, status: s.status ?? "running", memo: s.memo ?? [] };
}

/**
 * Reads the `{ Error, Cause }` a `Catch` writes. Real Lambda puts a JSON string `{"errorType","errorMessage","trace"}`
 * in `Cause` (the dev executor passes the same, see lib/runtime/error-info.ts); the trace carries the task's stack and
 * fields. Any other `Cause` (a `Fail` state's, a timeout's) is the message.
 */
export function normalizeCaughtError(caught: RunState["caught"]): ErrorInfo {
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

/**
 * A deep copy of a JSON value (one that came out of `JSON.parse`, as every memo result does), about 7x faster
 * than a stringify/parse round trip for the small results tasks return. A `__proto__` key stays an own property,
 * as `JSON.parse` leaves it, instead of setting the copy's prototype.
 */
export function cloneJson<T extends JsonValue | undefined>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  const copy: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, JsonValue>)[key]);
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}

/** Size of a value as the UTF-8 JSON Step Functions counts against its quota. */
export function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}
