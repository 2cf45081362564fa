import type { EventRecord as IngestEventRecord, RunRef } from "../../ingest/types.ts";
import type { ErrorInfo, ValidationIssue } from "../../sdk/errors.ts";

/**
 * The `/api/v1` response shapes the dashboard reads. The dashboard talks to the HTTP API only, never to
 * the store or runtime modules (ARCHITECTURE section 7); where the wire shape is a shared contract
 * (events, validation issues) its type is imported, type-only, so a contract change fails typecheck here.
 */

/** `GET /api/v1/app`. */
export interface AppInfo {
  readonly id: string;
  /** Where the runs are: `dev` (this machine) or `aws` (`stepjobs dashboard --aws`, a deployed stack). */
  readonly env?: "dev" | "aws";
  /** Set when the dashboard cannot change runs: what to use instead. */
  readonly readOnly?: string;
}

/** One task a job declares, with its retry policy in words ("3 attempts, 1 s apart"). */
export interface JobTask {
  /** The literal id, or for a template literal the pattern with `*` per substitution. */
  readonly id: string;
  /** How `Route` matches the id: `StringEquals` (`literal`) or `StringMatches` (`pattern`). */
  readonly match: "literal" | "pattern";
  readonly stateName: string;
  readonly maxAttempts: number;
  readonly retry: unknown;
  readonly retryDescription: string;
}

/** An ASL definition as the API returns it (only the fields the graph reads are typed). */
export interface AslDocument {
  readonly StartAt: string;
  readonly Comment?: string;
  readonly States: Readonly<Record<string, AslStateDocument>>;
}

/** One ASL state, loosely typed: the graph follows `Next`, `Default`, `Choices[].Next` and `Catch[].Next`. */
export interface AslStateDocument {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly End?: boolean;
  readonly Comment?: string;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Catch?: readonly { readonly Next?: string }[];
  readonly [field: string]: unknown;
}

/** `GET /api/v1/jobs/:id`. */
export interface Job {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly file?: string;
  readonly trigger: {
    readonly event: string;
    readonly source?: string | null;
    readonly schema?: JsonSchema;
    /** Trigger.dev v2's filter over the payload, as written. */
    readonly filter?: Readonly<Record<string, unknown>> | null;
    /** The EventBridge pattern of the job's rule (event name, source, compiled filter): which events start a run. */
    readonly pattern?: Readonly<Record<string, unknown>>;
    /** A `cronTrigger`/`intervalTrigger` job: its Scheduler expression and when it fires next. */
    readonly schedule?: { readonly expression: string; readonly next: string | null } | null;
  };
  readonly tasks: readonly JobTask[];
  readonly asl: AslDocument;
}

/** A JSON Schema document (draft-07 subset the dashboard reads to build a sample payload). */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema | readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly minimum?: number;
  readonly minItems?: number;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly [keyword: string]: unknown;
}

/** One schema violation of an event against a listening job, located by JSON pointer (the SDK's type). */
export type { ValidationIssue };

/** A run an event started (the ingest contract's type). */
export type { RunRef };

/** `GET /api/v1/events/:id`: the ingest contract's event record, the fields the dashboard reads. */
export type EventRecord = Pick<IngestEventRecord, "id" | "name" | "payload" | "receivedAt" | "status" | "errors" | "runs">;

/** API run status; the dashboard adds "RETRYING" when a running run has a task waiting to retry. */
export type RunStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** Task status as the API reports it. */
export type TaskStatus = "RUNNING" | "RETRYING" | "SUCCEEDED" | "FAILED";

/** An error crossing a state boundary: name, message, the user's stack frames and the error's own fields. */
export type { ErrorInfo };

/** One attempt of one task. `endedAt` is absent while it runs. */
export interface Attempt {
  readonly number: number;
  readonly status: "RUNNING" | "SUCCEEDED" | "FAILED";
  readonly startedAt: string;
  readonly endedAt?: string | null;
  readonly error?: ErrorInfo | null;
}

/** One task of a run, with every attempt made so far. */
export interface RunTask {
  readonly id: string;
  readonly stateName?: string;
  readonly status: TaskStatus;
  readonly attempts: readonly Attempt[];
  readonly output?: unknown;
}

/** One `io.logger` line; `taskId`/`attempt` are set when a task attempt wrote it. */
export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error" | "log";
  readonly message: string;
  readonly data?: unknown;
  readonly taskId?: string | null;
  readonly attempt?: number | null;
  readonly at: string;
}

/** `GET /api/v1/runs/:id` (list entries may omit `tasks` and `logs`). */
export interface Run {
  readonly id: string;
  readonly jobId: string;
  readonly eventId: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly completedAt?: string | null;
  readonly output?: unknown;
  readonly error?: ErrorInfo | null;
  readonly tasks?: readonly RunTask[];
  /** `io.wait` and `io.sendEvent` steps (native states, no attempts). */
  readonly steps?: readonly RunStep[];
  /** Every state the run entered, once each, in the order first entered; null for runs recorded before it was kept. */
  readonly statesEntered?: readonly string[] | null;
  readonly logs?: readonly LogLine[];
  readonly payload?: unknown;
  readonly input?: unknown;
}

/** One `io.wait` / `io.sendEvent` of a run. */
export interface RunStep {
  readonly kind: "wait" | "event";
  readonly id: string;
  readonly key: string;
  readonly index: number;
  /** The native state that ran it (`Sleep`, `SleepUntil`, `SendEvent`); null when not known. */
  readonly stateName?: string | null;
  readonly status: "WAITING" | "SENDING" | "SUCCEEDED" | "FAILED";
  /** When its state started and ended; null while running (the end) or when not recorded. */
  readonly startedAt?: string | null;
  readonly endedAt?: string | null;
  readonly wakeAt: string | null;
  readonly eventId: string | null;
  readonly error: ErrorInfo | null;
}

/** `POST /api/v1/events` answer. */
export interface SendEventResult {
  readonly id: string;
  readonly runs: readonly RunRef[];
}

/** Every API error: `{ error: { code, message, details? } }`. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}
