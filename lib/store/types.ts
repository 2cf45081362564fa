import type { EventRecord } from "../ingest/types.ts";
import type { RunState } from "../runtime/run-state.ts";
import type { ErrorInfo } from "../sdk/errors.ts";

/**
 * Contracts of the run store used by `stepjobs dev` (on dynalite); the cloud runner uses only its attempt counter.
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
  readonly error: ErrorInfo | null;
  /** The ASL state that ran it (a task state, its copy inside `Parallel`, or `DynamicTask`); absent in older records. */
  readonly stateName?: string;
}

/**
 * An `io.wait` or `io.sendEvent` of a run: the native state that ran it (`Sleep`, `SleepUntil`, `SendEvent`) and
 * when. It has no attempts: a Wait state cannot fail, and PutEvents retries are the state's own.
 */
export interface StepRecord {
  readonly runId: string;
  /** Memo key: `wait:<id>#<occurrence>` or `event:<id>#<occurrence>`. */
  readonly key: string;
  readonly stateName: string;
  readonly startedAt: string;
  /** Absent while the state runs (a wait not over yet). */
  readonly endedAt?: string;
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
  readonly error?: ErrorInfo;
  readonly state?: RunState;
  /**
   * Every ASL state the run entered, each once, in the order first entered (those inside `Parallel` included): what
   * the dashboard's graph highlights. Bounded by the machine's size. Absent in records written before it was kept.
   */
  readonly statesEntered?: readonly string[];
}

/** The fields of a run that change after it starts; absent fields are left as they are. */
export interface RunUpdate {
  readonly status?: RunRecordStatus;
  readonly state?: RunState;
  readonly statesEntered?: readonly string[];
  readonly output?: unknown;
  readonly error?: ErrorInfo;
  readonly completedAt?: string;
  /** Fields to remove: a redriven run is running again, so its end time, error and output are gone. */
  readonly clear?: readonly ("completedAt" | "error" | "output")[];
}

/** The fields of an attempt that change when it ends. */
export interface AttemptUpdate {
  readonly status: AttemptRecord["status"];
  readonly endedAt?: string;
  readonly error?: AttemptRecord["error"];
}

/**
 * One page of a list, newest first. `cursor` is set when more items may follow: pass it back to get the next page.
 * It is opaque to callers (the list-index key of the page's last item, as the ExclusiveStartKey a Query resumes
 * from: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
 */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

/** Filter and page of {@link RunStore.listRuns}. */
export interface RunQuery {
  readonly jobId?: string;
  readonly status?: RunRecordStatus;
  /** @default 50 */
  readonly limit?: number;
  /** Where the page starts: the `cursor` of the page before. @default the newest run */
  readonly cursor?: string;
}

/** Filter and page of {@link EventPages.listEventsPage}. */
export interface EventQuery {
  readonly name?: string;
  /** @default 50 */
  readonly limit?: number;
  /** Where the page starts: the `cursor` of the page before. @default the newest event */
  readonly cursor?: string;
}

/** Events listed a page at a time (the local API and `dashboard --aws`; ingest needs only the EventStore port). */
export interface EventPages {
  listEventsPage(query?: EventQuery): Promise<Page<EventRecord>>;
}

/**
 * Runs, their task attempts and their log lines (`stepjobs dev`, the local API, the dashboard).
 * Writes that create are conditional, so a replayed call never duplicates: the first record wins and is returned.
 */
export interface RunStore {
  /** Creates the run unless one with its id exists (exactly one run per id). */
  putRun(run: RunRecord): Promise<{ readonly created: boolean; readonly record: RunRecord }>;
  /** Changes a run; throws `RunNotFoundError` when there is none. Returns the run after the change. */
  updateRun(id: string, update: RunUpdate): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Newest first (by `startedAt`). */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** One page of {@link listRuns} after `query.cursor`; its `cursor` is set when more runs follow. */
  listRunsPage(query?: RunQuery): Promise<Page<RunRecord>>;
  /** Every run still `RUNNING`, newest first: what `dev` resumes from its memo after a restart. */
  listUnfinishedRuns(): Promise<RunRecord[]>;
  /** Records an attempt unless the same (run, task key, number) exists. */
  putAttempt(attempt: AttemptRecord): Promise<{ readonly created: boolean; readonly record: AttemptRecord }>;
  /** Ends an attempt; throws `AttemptNotFoundError` when there is none. */
  updateAttempt(runId: string, taskKey: string, number: number, update: AttemptUpdate): Promise<AttemptRecord>;
  /** In start order. */
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  /** Records that a step's state started, unless it is recorded (a state re-entered keeps its first start). */
  putStep(step: StepRecord): Promise<void>;
  /** Records when a step's state ended; nothing when its start was never recorded. */
  endStep(runId: string, key: string, endedAt: string): Promise<void>;
  /** In start order. */
  listSteps(runId: string): Promise<StepRecord[]>;
  appendLog(log: LogRecord): Promise<void>;
  /** In the order written. */
  listLogs(runId: string): Promise<LogRecord[]>;
}
