import { isDeepStrictEqual } from "node:util";
import { type BusEvent, toBusEvent } from "./bus-event.ts";
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

/**
 * Longest event name. It is EventBridge's `detail-type`, "a free-form string, with a maximum of 128 characters"
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
 */
export const MAX_EVENT_NAME_LENGTH = 128;

/**
 * Deepest nesting of a payload (objects and arrays). PutEvents "will only process nested JSON up to 1000 levels
 * deep" (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), the payload sits inside the
 * event's `detail`, and every layer that carries it (run input, run state, the runner's JSON copies) walks it
 * recursively: about half of EventBridge's limit leaves room for all of them, and no real payload comes close.
 */
export const MAX_PAYLOAD_DEPTH = 512;

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
  /** On a duplicate: the parts of this request that differ from the recorded event (which is what counts). */
  readonly differs?: readonly ("name" | "source" | "payload")[];
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
 * What is wrong with an event name, if anything. Checked like ids: the name is the rule's `detail-type`, what
 * starts a job, and printed in logs and the terminal. The same rule for sent events and job triggers (synth).
 */
export function eventNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_EVENT_NAME_LENGTH || hasControlCharacter(name)) {
    return `must be a string of 1 to ${MAX_EVENT_NAME_LENGTH} characters, without control characters`;
  }
  return undefined;
}

/**
 * The event with its defaults: a fresh sortable id, the receipt time, source `stepjobs`. Throws
 * {@link InvalidEventError} for an envelope no client should send (the payload is checked by the schemas).
 */
export function normalizeEvent(incoming: IncomingEvent, now: Date, newId: () => string = newEventId): NormalizedEvent {
  if (typeof incoming.name !== "string" || incoming.name.trim() === "") throw new InvalidEventError("name", "must be a non-empty string");
  const nameProblem = eventNameProblem(incoming.name);
  if (nameProblem) throw new InvalidEventError("name", nameProblem);
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
  const depth = jsonDepth(incoming.payload, MAX_PAYLOAD_DEPTH);
  if (depth > MAX_PAYLOAD_DEPTH) {
    throw new InvalidEventError(
      "payload",
      `nests ${depth} levels deep; at most ${MAX_PAYLOAD_DEPTH} are accepted (EventBridge processes JSON up to 1,000 levels, and deeper data never fits a run)`,
    );
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
 * How many objects and arrays `value` nests (a scalar: 0), walked without recursion, so any depth JSON.parse
 * accepted is measured safely; stops counting at `limit + 1`, where `depth` is what the first too-deep path reached.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (item === null || typeof item !== "object") continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return measureDepth(item, depth + 1);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** The full depth of the too-deep path found (for the message), following the first nested container at each level. */
function measureDepth(start: object, depth: number): number {
  let item: unknown = start;
  let levels = depth;
  for (;;) {
    const next = Object.values(item as object).find((child) => child !== null && typeof child === "object");
    if (next === undefined) return levels;
    item = next;
    levels++;
  }
}

/**
 * Which jobs listen to `event` (their rule pattern, trigger filter included, matches it) and whether its payload
 * passes each one's schema: filter first, then schema, so a job whose filter misses never rejects an event. ACCEPTED
 * needs every listener to accept; then there is one run per listener, named by runIdFor. An event no job listens to
 * is ACCEPTED with no runs (EventBridge, too, accepts events no rule matches). Patterns are applied to `delivered`,
 * the bus event as a rule saw it (default: the one the API and `stepjobs dev` put on the bus for `event`).
 */
export function validateEvent(
  event: NormalizedEvent,
  jobsListening: readonly ValidatedJob[],
  validators: Validators,
  delivered: BusEvent = toBusEvent(event),
): EventVerdict {
  const listeners = jobsListening.filter((job) => patternOf(job)(delivered));
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
 * Ingests one event: normalize, validate, record it with a conditional write, then start its runs. `delivered` is
 * the EventBridge event `incoming` came from, when it came from the bus: filters are matched on it as the rules did.
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
export async function ingestEvent(incoming: IncomingEvent, deps: IngestDeps, delivered?: BusEvent): Promise<IngestResult> {
  const now = (deps.now ?? (() => new Date()))();
  const event = normalizeEvent(incoming, now, deps.newId);
  const verdict = validateEvent(event, deps.jobs, deps.validators, delivered);
  // Accepted means its runs can start: an event over a 256 KiB limit is refused now, not failed later.
  if (verdict.status === "ACCEPTED")
    checkEventFits(
      event,
      verdict.runs.map((run) => run.id),
    );
  const { created, record } = await deps.events.putEventIfAbsent({ ...event, receivedAt: now.toISOString(), ...verdict });
  if (record.status === "ACCEPTED") await startRuns(record, deps.starter);
  return created ? { record, duplicate: false } : { record, duplicate: true, differs: differingParts(event, record) };
}

/** Which of name, source and payload of a repeated id's request differ from the recorded event (object key order aside). */
function differingParts(event: NormalizedEvent, record: EventRecord): ("name" | "source" | "payload")[] {
  const parts: ("name" | "source" | "payload")[] = [];
  if (event.name !== record.name) parts.push("name");
  if (event.source !== record.source) parts.push("source");
  // The record went through JSON (the store keeps it as a string): compare what the request's payload becomes.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(event.payload ?? null)), record.payload ?? null)) parts.push("payload");
  return parts;
}

async function startRuns(record: EventRecord, starter: Starter): Promise<void> {
  const outcomes = await Promise.allSettled(record.runs.map((run) => starter.startRun(run.jobId, run.id, runInputOf(record, run.id))));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure) throw failure.reason;
}
