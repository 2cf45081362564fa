import { jsonSize } from "../runtime/json.ts";
import type { RunInput } from "../runtime/run-state.ts";
import { toPutEventsEntry } from "./bus-event.ts";
import { EventTooLargeError } from "./errors.ts";
import type { NormalizedEvent } from "./types.ts";

/**
 * The two 256 KiB limits an accepted event must fit, checked where it is accepted (the local API, the cloud API,
 * ingest) so that nothing accepted fails later: its `PutEvents` entry, counted as EventBridge counts it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html), and the input of each run it
 * starts (a Step Functions execution's input, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */

/** Most bytes of one `PutEvents` entry. */
export const MAX_PUT_EVENTS_ENTRY_BYTES = 256 * 1024;
/** Most bytes of an execution's input (UTF-8 JSON). */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

/** An entry's size by EventBridge's rule: Time counts 14 bytes; Source, DetailType and Detail their UTF-8 length. */
export function putEventsEntrySize(event: NormalizedEvent): number {
  const entry = toPutEventsEntry(event, "");
  return (
    14 + Buffer.byteLength(entry.Source, "utf8") + Buffer.byteLength(entry.DetailType, "utf8") + Buffer.byteLength(entry.Detail, "utf8")
  );
}

/** Throws {@link EventTooLargeError} unless the event fits one `PutEvents` entry and each run's input. */
export function checkEventFits(event: NormalizedEvent, runIds: readonly string[]): void {
  const entry = putEventsEntrySize(event);
  if (entry > MAX_PUT_EVENTS_ENTRY_BYTES) {
    throw new EventTooLargeError(
      "the event as an EventBridge entry",
      entry,
      MAX_PUT_EVENTS_ENTRY_BYTES,
      "EventBridge's PutEvents entry limit",
    );
  }
  for (const runId of runIds) {
    const input = jsonSize(runInputOf(event, runId));
    if (input > MAX_EXECUTION_INPUT_BYTES) {
      throw new EventTooLargeError(`the input of run ${runId}`, input, MAX_EXECUTION_INPUT_BYTES, "Step Functions' execution input quota");
    }
  }
}

/** The execution input of a run of `event` (what ingest passes to StartExecution): from the stored event, so a retried start sends identical input. */
export function runInputOf(event: Pick<NormalizedEvent, "id" | "name" | "timestamp" | "payload">, runId: string): RunInput {
  return { runId, event: { id: event.id, name: event.name, timestamp: event.timestamp, payload: event.payload } };
}
