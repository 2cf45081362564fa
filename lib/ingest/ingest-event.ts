import { toBusEvent } from "./bus-event.ts";
import { InvalidEventError, MissingValidatorError } from "./errors.ts";
import { compileEventPattern, eventPatternFor, type EventPredicate } from "./event-pattern.ts";
import { checkEventFits, runInputOf } from "./event-size.ts";
import { newEventId, runIdFor } from "./run-id.ts";
import type { ValidationIssue } from "../sdk/errors.ts";
import type { EventRecord, EventStatus, EventStore, IncomingEvent, NormalizedEvent, RunRef, Starter } from "./types.ts";
// Types only from validate.ts: the ingest Lambda bundles this file without ajv's compiler.
import type { ValidatedJob, Validators } from "./validate.ts";
import { toValidationIssues } from "./validation-issues.ts";

/**
 * The ingest core shared by the cloud (ingest Lambda behind the EventBridge rules) and `stepjobs dev`
 * (in-process bus): normalize, validate, record once, start one run per listening job. Ports are injected.
 */

/** Default EventBridge `source` of events sent through stepjobs. */
export const DEFAULT_EVENT_SOURCE = "stepjobs";

/**
 * Longest client-chosen event id. It is the table's partition key (DynamoDB allows 2048 bytes) and part
 * of run names (a longer one only makes runIdFor hash); 256 keeps keys and URLs short.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys
 */
export const MAX_EVENT_ID_LENGTH = 256;

/** The verdict on one event. `runs` lists the runs to start: empty when rejected or when no job listens. */
export interface EventVerdict {
  readonly status: EventStatus;
  readonly errors: readonly ValidationIssue[];
  readonly runs: readonly RunRef[];
}

/** The ports and clock of {@link ingestEvent}. */
export interface IngestDeps {
  /** Every job of the app (those whose pattern matches the event are the listeners). */
  readonly jobs: readonly ValidatedJob[];
  readonly validators: Validators;
  readonly events: EventStore;
  readonly starter: Starter;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default newEventId */
  readonly newId?: () => string;
}

/** What {@link ingestEvent} returns: the stored record (the first one for a duplicate id). */
export interface IngestResult {
  readonly record: EventRecord;
  /** The id was already recorded; nothing new was started (unfinished starts were retried). */
  readonly duplicate: boolean;
}

/** True when `text` has a C0 control character or DEL (CR, LF, NUL, ...). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The event with its defaults: a fresh sortable id, the receipt time, source `stepjobs`. Throws
 * {@link InvalidEventError} for an envelope no client should send (the payload is checked by the schemas).
 */
export function normalizeEvent(incoming: IncomingEvent, now: Date, newId: () => string = newEventId): NormalizedEvent {
  if (typeof incoming.name !== "string" || incoming.name.trim() === "") throw new InvalidEventError("name", "must be a non-empty string");
  if (
    incoming.id !== undefined &&
    // Control characters (CR, LF, ...) would be carried into logs and names: never an id.
    (typeof incoming.id !== "string" || incoming.id === "" || incoming.id.length > MAX_EVENT_ID_LENGTH || hasControlCharacter(incoming.id))
  ) {
    throw new InvalidEventError("id", `must be a string of 1 to ${MAX_EVENT_ID_LENGTH} characters, without control characters`);
  }
  if (incoming.source !== undefined && (typeof incoming.source !== "string" || incoming.source === "")) {
    throw new InvalidEventError("source", "must be a non-empty string");
  }
  if (incoming.timestamp !== undefined && (typeof incoming.timestamp !== "string" || Number.isNaN(Date.parse(incoming.timestamp)))) {
    throw new InvalidEventError("timestamp", "must be an ISO-8601 date-time");
  }
  return {
    id: incoming.id ?? newId(),
    name: incoming.name,
    source: incoming.source ?? DEFAULT_EVENT_SOURCE,
    payload: incoming.payload,
    timestamp: incoming.timestamp ?? now.toISOString(),
  };
}

/**
 * Which jobs listen to `event` (their rule pattern matches it) and whether its payload passes each one's
 * schema. ACCEPTED needs every listener to accept; then there is one run per listener, named by runIdFor.
 * An event no job listens to is ACCEPTED with no runs (EventBridge, too, accepts events no rule matches).
 */
export function validateEvent(event: NormalizedEvent, jobsListening: readonly ValidatedJob[], validators: Validators): EventVerdict {
  const busEvent = toBusEvent(event);
  const listeners = jobsListening.filter((job) => patternOf(job)(busEvent));
  const errors = listeners.flatMap((job) => issuesFor(job.id, event.payload, validators));
  if (errors.length > 0) return { status: "REJECTED", errors, runs: [] };
  return { status: "ACCEPTED", errors: [], runs: listeners.map((job) => ({ id: runIdFor(job.id, event.id), jobId: job.id })) };
}

/** Compiled patterns by job object: the bus tests many events against few jobs. */
const patterns = new WeakMap<ValidatedJob, EventPredicate>();

function patternOf(job: ValidatedJob): EventPredicate {
  let predicate = patterns.get(job);
  if (!predicate) patterns.set(job, (predicate = compileEventPattern(eventPatternFor(job.trigger))));
  return predicate;
}

function issuesFor(jobId: string, payload: unknown, validators: Validators): ValidationIssue[] {
  const validate = Object.hasOwn(validators, jobId) ? validators[jobId] : undefined;
  if (!validate) throw new MissingValidatorError(jobId);
  return validate(payload) ? [] : toValidationIssues(jobId, validate.errors);
}

/**
 * Ingests one event: normalize, validate, record it with a conditional write, then start its runs.
 *
 * - A new ACCEPTED event starts `starter.startRun` for every run; `"exists"` counts as started.
 * - A duplicate id returns the stored record (`duplicate: true`) and records nothing. If that record was
 *   ACCEPTED its runs are started again: a previous attempt may have stored the record and then failed
 *   before every start succeeded, and run ids are deterministic, so a repeated start is answered
 *   `"exists"` (StartExecution: ExecutionAlreadyExists) and never makes a second run.
 * - An accepted event too large for a `PutEvents` entry or a run's input throws EventTooLargeError (the API's
 *   413) before anything is recorded; from the bus (ingest) it goes to the dead-letter queue at once, with that error.
 * - Every start is attempted; if any fails, the first failure is rethrown after the others settle, so the
 *   caller retries and the retry completes the missing starts: in AWS the message stays in the ingest queue
 *   and is received again (for 24 hours, then dead-lettered with the error; lambdas/ingest.ts), locally the API
 *   answers 503 and the client resends. An accepted event is thus never dropped.
 */
export async function ingestEvent(incoming: IncomingEvent, deps: IngestDeps): Promise<IngestResult> {
  const now = (deps.now ?? (() => new Date()))();
  const event = normalizeEvent(incoming, now, deps.newId);
  const verdict = validateEvent(event, deps.jobs, deps.validators);
  // Accepted means its runs can start: an event over a 256 KiB limit is refused now, not failed later.
  if (verdict.status === "ACCEPTED")
    checkEventFits(
      event,
      verdict.runs.map((run) => run.id),
    );
  const { created, record } = await deps.events.putEventIfAbsent({ ...event, receivedAt: now.toISOString(), ...verdict });
  if (record.status === "ACCEPTED") await startRuns(record, deps.starter);
  return { record, duplicate: !created };
}

async function startRuns(record: EventRecord, starter: Starter): Promise<void> {
  const outcomes = await Promise.allSettled(record.runs.map((run) => starter.startRun(run.jobId, run.id, runInputOf(record, run.id))));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure) throw failure.reason;
}
