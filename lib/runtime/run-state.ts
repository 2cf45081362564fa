import type { JsonValue } from "../sdk/types.ts";

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

/** A failed task's error, reduced to what crosses a state boundary. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
}

/** A finished task, in call order. The array order is the determinism check. */
export type MemoEntry =
  | { readonly key: string; readonly id: string; readonly ok: true; readonly result?: JsonValue }
  | { readonly key: string; readonly id: string; readonly ok: false; readonly error: ErrorInfo };

/** The task the run waits on. */
export interface NextTask {
  /** Memo key: `${id}#${occurrence}`. */
  readonly key: string;
  /** Task id as passed to `io.runTask`; `Route` matches it to a task state. */
  readonly task: string;
  /** Position among the run's `io.runTask` calls. */
  readonly index: number;
  /** Attempts already made when the runner drives retries (`DynamicTask`); absent for native retries. */
  readonly attempt?: number;
  /** Seconds `DynamicWait` waits before the next attempt. */
  readonly waitSeconds?: number;
}

/** Where the run is; `Route` branches on it. */
export type RunStatus = "running" | "waiting" | "succeeded" | "failed";

/** The whole state. `caught` is written by a task state's `Catch` (`ResultPath: "$.caught"`). */
export interface RunState {
  readonly runId: string;
  readonly event: RunEvent;
  readonly status: RunStatus;
  readonly memo: readonly MemoEntry[];
  readonly next?: NextTask;
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
 * Reads the `{ Error, Cause }` a `Catch` writes. Real Lambda puts a JSON string
 * `{"errorType","errorMessage","trace"}` in `Cause`; aws-local-stepfunctions puts the plain message.
 */
export function normalizeCaughtError(caught: RunState["caught"]): ErrorInfo {
  const name = caught?.Error ?? "Error";
  const cause = caught?.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.errorMessage === "string") {
      return { name: typeof parsed.errorType === "string" ? parsed.errorType : name, message: parsed.errorMessage };
    }
  } catch {
    // a plain message
  }
  return { name, message: cause };
}

/** Size of a value as the UTF-8 JSON Step Functions counts against its quota. */
export function jsonSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
}
