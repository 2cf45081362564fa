import type { RunInput } from "../runtime/run-state.ts";
import type { ValidationIssue } from "../sdk/errors.ts";

/**
 * Contracts shared by the cloud ingest path (EventBridge rule -> ingest Lambda) and the local bus.
 * Ports (EventStore, Starter) are passed in, so the same ingest code runs in Lambda and in `stepjobs dev`.
 */

/** An event as a client sends it (`POST /api/v1/events` body, `stepjobs send`, `io.sendEvent`). */
export interface IncomingEvent {
  readonly name: string;
  readonly payload: unknown;
  /** Client-chosen id for deduplication; generated when absent. */
  readonly id?: string;
  /** ISO-8601; defaults to the time of receipt. */
  readonly timestamp?: string;
  /** EventBridge `source`. @default "stepjobs" */
  readonly source?: string;
}

/** An event after ingest filled its defaults (id, timestamp, source): what is stored, matched and passed to runs. */
export interface NormalizedEvent {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly payload: unknown;
  /** ISO-8601. */
  readonly timestamp: string;
}

/** Whether an event passed every listening job's schema. */
export type EventStatus = "ACCEPTED" | "REJECTED";

/** A run an event started (or will start: run ids are deterministic). */
export interface RunRef {
  readonly id: string;
  readonly jobId: string;
}

/** What the store keeps per event id; the API returns it as is. */
export interface EventRecord {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly payload: unknown;
  readonly timestamp: string;
  readonly receivedAt: string;
  readonly status: EventStatus;
  readonly errors: readonly ValidationIssue[];
  readonly runs: readonly RunRef[];
}

/** Event persistence. `putEventIfAbsent` is a conditional write: the first record for an id wins. */
export interface EventStore {
  putEventIfAbsent(record: EventRecord): Promise<{ readonly created: boolean; readonly record: EventRecord }>;
  getEvent(id: string): Promise<EventRecord | undefined>;
  /** Newest first. */
  listEvents(query?: { readonly name?: string; readonly limit?: number }): Promise<EventRecord[]>;
}

/** Starts a run; `exists` when a run with that id already exists (StartExecution's ExecutionAlreadyExists). */
export interface Starter {
  startRun(jobId: string, runId: string, input: RunInput): Promise<"started" | "exists">;
}
