import { SCHEDULE_SOURCE, scheduledJobOf, scheduleEventId } from "../compiler/schedule.ts";
import type { OutgoingEvent } from "../runtime/run-state.ts";
import type { IncomingEvent, NormalizedEvent } from "./types.ts";

/**
 * The shape of a stepjobs event on an EventBridge bus (cloud) and on the in-process bus (local): the event
 * name is `detail-type`, and `detail` carries `{ id, timestamp, payload }`. Job rules match on
 * `detail-type`/`source` only (see eventPatternFor). Event structure:
 * https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 */

/** `detail` of a stepjobs bus event. */
export interface BusEventDetail {
  readonly id: string;
  /** ISO-8601. */
  readonly timestamp: string;
  readonly payload: unknown;
}

/** An EventBridge event as a rule target receives it (only the fields stepjobs reads). */
export interface BusEvent {
  /** EventBridge's own id of the event (stable across its delivery retries). */
  readonly id?: string;
  readonly "detail-type": string;
  readonly source: string;
  /** ISO-8601, set by EventBridge. */
  readonly time?: string;
  readonly detail: unknown;
}

/** A PutEvents request entry, without an SDK import (the AWS client takes this object as is). */
export interface PutEventsEntry {
  readonly EventBusName: string;
  readonly Source: string;
  readonly DetailType: string;
  /** JSON of {@link BusEventDetail}. */
  readonly Detail: string;
  readonly Time: Date;
}

/** The bus event for a normalized event (what the local bus delivers and matches). */
export function toBusEvent(event: NormalizedEvent): BusEvent & { readonly detail: BusEventDetail } {
  return {
    id: event.id,
    "detail-type": event.name,
    source: event.source,
    time: event.timestamp,
    detail: { id: event.id, timestamp: event.timestamp, payload: event.payload },
  };
}

/**
 * The PutEvents entry for a normalized event (`POST /api/v1/events` in the cloud). PutEvents takes at most
 * 10 entries of 256 KB each per call and reports failures per entry (`FailedEntryCount`):
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export function toPutEventsEntry(event: NormalizedEvent, eventBusName: string): PutEventsEntry {
  const bus = toBusEvent(event);
  return {
    EventBusName: eventBusName,
    Source: bus.source,
    DetailType: bus["detail-type"],
    Detail: JSON.stringify(bus.detail),
    Time: new Date(event.timestamp),
  };
}

/**
 * The incoming event a rule target received. A stepjobs-shaped `detail` (`{ payload, id?, timestamp? }`) is
 * unwrapped; any other `detail` (e.g. `aws events put-events` by hand) is itself the payload. Without an id
 * in `detail`, EventBridge's event id is used, so a redelivery of the same event dedupes.
 */
export function fromBusEvent(event: BusEvent): IncomingEvent {
  const detail = event.detail;
  const wrapped = isRecord(detail) && Object.hasOwn(detail, "payload");
  const id = wrapped && typeof detail.id === "string" ? detail.id : (scheduledFireId(event) ?? event.id);
  const timestamp = wrapped && typeof detail.timestamp === "string" ? detail.timestamp : event.time;
  return {
    name: event["detail-type"],
    source: event.source,
    payload: wrapped ? detail.payload : detail,
    ...(id === undefined ? {} : { id }),
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}

/**
 * A schedule's fire carries no id of its own (Scheduler's execution id changes on every retry of one fire): its
 * id is derived from the job and the scheduled time, as `stepjobs dev` derives it, so a retried fire is one run.
 */
function scheduledFireId(event: BusEvent): string | undefined {
  const jobId = event.source === SCHEDULE_SOURCE ? scheduledJobOf(event["detail-type"]) : undefined;
  const detail = event.detail;
  const payload = isRecord(detail) && isRecord(detail.payload) ? detail.payload : undefined;
  const ts = payload && typeof payload.ts === "string" ? payload.ts : undefined;
  return jobId && ts && !Number.isNaN(Date.parse(ts)) ? scheduleEventId(jobId, ts) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The incoming event for what a job's `io.sendEvent` put on the bus: what ingest receives from the bus rule
 * in AWS (`fromBusEvent` of the `PutEvents` entry), built directly for the in-process bus.
 */
export function incomingFromOutgoing(event: OutgoingEvent): IncomingEvent {
  return fromBusEvent({ "detail-type": event.name, source: event.source, detail: event.detail });
}
