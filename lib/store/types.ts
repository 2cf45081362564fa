import type { RunState } from "../runtime/run-state.ts";

/**
 * Contracts of the run store used by `stepjobs dev` (on dynalite) and, for memo overflow, by the cloud runner.
 * Shapes match the `/api/v1/runs` responses of the local API.
 */

/** API-facing run status. */
export type RunRecordStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** One attempt of one task. */
export interface AttemptRecord {
  readonly runId: string;
  /** Memo key `${taskId}#${occurrence}`. */
  readonly taskKey: string;
  readonly taskId: string;
  /** 1 on the first attempt. */
  readonly number: number;
  readonly status: "RUNNING" | "FAILED" | "SUCCEEDED";
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly error: { readonly name: string; readonly message: string } | null;
}

/** One `io.logger` line of a run. */
export interface LogRecord {
  readonly runId: string;
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly data?: unknown;
  readonly taskId?: string;
  readonly attempt?: number;
  readonly at: string;
}

/** A run. `state` is the latest RunState (the memo), from which an interrupted run resumes. */
export interface RunRecord {
  readonly id: string;
  readonly jobId: string;
  readonly jobVersion: string;
  readonly eventId: string;
  readonly status: RunRecordStatus;
  readonly startedAt: string;
  readonly completedAt?: string;
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly state?: RunState;
}
