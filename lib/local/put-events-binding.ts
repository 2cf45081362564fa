import { errorInfoOf } from "../runtime/error-info.ts";
import type { OutgoingEvent } from "../runtime/run-state.ts";

/**
 * Where `io.sendEvent` events go in dev: the in-process bus (ingest, then the listening jobs' runs). Throws
 * when the event could not be accepted, which fails the `SendEvent` state as `EventBridge.FailedEntry` would.
 */
export type PublishEvent = (event: OutgoingEvent) => Promise<void>;

/** The error name Step Functions' EventBridge integration fails with when an entry is refused. */
const FAILED_ENTRY = "EventBridge.FailedEntry";

/**
 * The library's task handler for the `SendEvent` state: `PutEvents` on `publish`, answered in the shape EventBridge
 * answers (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html); a refused event fails
 * the state like a failed entry would.
 */
export function putEventsHandler(publish: PublishEvent | undefined): (parameters: unknown) => Promise<unknown> {
  return async (parameters) => {
    const [entry] = (parameters as { Entries: { Source: string; DetailType: string; Detail: OutgoingEvent["detail"] }[] }).Entries;
    if (!publish) throw Object.assign(new Error("no event bus is bound to this execution"), { name: FAILED_ENTRY });
    if (!entry) throw Object.assign(new Error("the PutEvents parameters hold no entry"), { name: FAILED_ENTRY });
    try {
      await publish({ name: entry.DetailType, source: entry.Source, detail: entry.Detail });
    } catch (error) {
      throw Object.assign(new Error(errorInfoOf(error).message), { name: FAILED_ENTRY });
    }
    return { Entries: [{ EventId: entry.Detail.id }], FailedEntryCount: 0 };
  };
}
