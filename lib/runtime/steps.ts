import { InvalidStepError } from "../sdk/errors.ts";
import type { RunTaskOptions, SendEventInput, WaitDuration } from "../sdk/types.ts";
import { jsonSize, toJson } from "./json.ts";
import type { MemoEntry, NextTask, OutgoingEvent } from "./run-state.ts";

/**
 * The durable steps a job calls, as plain descriptors (the `io` tools only describe the call; replay.ts decides
 * what it does), and what a step the memo does not hold yet becomes: the step the run halts at, a step done at
 * once, or a mistake that fails the run.
 */

/** One durable call as the job made it. */
export type StepCall =
  | {
      readonly kind: "task";
      readonly id: string;
      readonly fn: Function;
      /** The third argument, or the previous task's result when the job passed none. */
      readonly payload: unknown;
      readonly options: RunTaskOptions | undefined;
    }
  | { readonly kind: "wait"; readonly id: string; readonly duration: WaitDuration }
  | { readonly kind: "event"; readonly id: string; readonly event: SendEventInput };

/**
 * A step's key without its occurrence, what occurrences are counted per: the memo key of its n-th call is
 * `${name}#n`, so `${id}#n` for tasks and `${kind}:${id}#n` for waits and events.
 */
export function stepName(call: Pick<StepCall, "kind" | "id">): string {
  return call.kind === "task" ? call.id : `${call.kind}:${call.id}`;
}

/** A new step: where the run halts (`found`), a step finished at once (`done`), or a mistake that fails the run. */
export type NewStep =
  | { readonly type: "found"; readonly step: NextTask }
  | { readonly type: "done"; readonly entry: MemoEntry }
  | { readonly type: "invalid"; readonly error: unknown };

/** What a call the memo does not hold becomes, in run `runId`, read at `now()`. */
export function newStep(call: StepCall, step: NextTask, now: () => Date, runId: string): NewStep {
  if (call.kind === "task") return { type: "found", step };
  if (call.kind === "event") {
    const event = readOutgoingEvent(call.id, call.event, step.key, now(), runId);
    return event instanceof InvalidStepError ? { type: "invalid", error: event } : { type: "found", step: { ...step, event } };
  }
  const nowMs = now().getTime();
  let wait: ReturnType<typeof readWait>;
  try {
    wait = readWait(call.id, call.duration, nowMs);
  } catch (error) {
    return { type: "invalid", error };
  }
  const seconds = "seconds" in wait ? wait.seconds : Math.ceil((wait.wakeAtMs - nowMs) / 1000);
  // Nothing to wait for: recorded at once, no state transition spent.
  if (seconds <= 0) return { type: "done", entry: { key: step.key, id: call.id, kind: "wait", ok: true } };
  // `wakeAt` also for `{ seconds }`: the Sleep state counts from its own entry, but a restarted dev runtime needs
  // the absolute time to wait only what is left.
  const wakeAt = toWaitTimestamp("seconds" in wait ? nowMs + seconds * 1000 : wait.wakeAtMs);
  return { type: "found", step: "seconds" in wait ? { ...step, seconds, wakeAt } : { ...step, wakeAt } };
}

/** RFC 3339 in whole seconds, rounded up (the form `TimestampPath` takes: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html). */
export function toWaitTimestamp(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Most one `Wait` may last: a Standard execution lasts at most one year (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
export const MAX_WAIT_SECONDS = 365 * 24 * 60 * 60;

/** Reads `io.wait`'s duration: `{ seconds }` (or a number), or `{ until }`; throws {@link InvalidStepError} naming what is wrong. */
export function readWait(key: string, duration: WaitDuration, nowMs: number): { seconds: number } | { wakeAtMs: number } {
  const invalid = (problem: string) => new InvalidStepError("io.wait", key, problem);
  if (typeof duration === "number" || (duration && typeof duration === "object" && "seconds" in duration)) {
    const seconds = typeof duration === "number" ? duration : duration.seconds;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw invalid(`seconds must be a finite number >= 0, got ${JSON.stringify(seconds) ?? String(seconds)}`);
    }
    if (seconds > MAX_WAIT_SECONDS) throw invalid(`seconds is ${seconds}; a run lasts at most one year (${MAX_WAIT_SECONDS} s)`);
    return { seconds: Math.ceil(seconds) };
  }
  if (duration && typeof duration === "object" && "until" in duration) {
    const until = duration.until;
    const ms = until instanceof Date ? until.getTime() : typeof until === "string" ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(ms)) throw invalid(`until must be a Date or an ISO-8601 string, got ${JSON.stringify(until) ?? String(until)}`);
    if (ms - nowMs > MAX_WAIT_SECONDS * 1000) throw invalid(`until is more than a year away; a run lasts at most one year`);
    return { wakeAtMs: ms };
  }
  throw invalid(`duration must be a number of seconds, { seconds } or { until }, got ${JSON.stringify(duration) ?? String(duration)}`);
}

/** Most bytes of an event `io.sendEvent` puts on the bus: EventBridge's 256 KB entry limit (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The `PutEvents` entry of `io.sendEvent(key, event)`, or the {@link InvalidStepError} naming what is wrong. Its id
 * defaults to `<runId>:<step key>`, so a retried or replayed send never starts a second run (ingest dedupes on it).
 */
export function readOutgoingEvent(
  key: string,
  event: SendEventInput,
  stepKey: string,
  now: Date,
  runId: string,
): OutgoingEvent | InvalidStepError {
  const invalid = (problem: string) => new InvalidStepError("io.sendEvent", key, problem);
  if (!event || typeof event !== "object") return invalid("the event must be an object { name, payload }");
  if (typeof event.name !== "string" || event.name.trim() === "") return invalid("name must be a non-empty string");
  if (event.id !== undefined && (typeof event.id !== "string" || event.id === "")) return invalid("id must be a non-empty string");
  const outgoing: OutgoingEvent = {
    name: event.name,
    source: typeof event.source === "string" && event.source !== "" ? event.source : "stepjobs",
    detail: { id: event.id ?? `${runId}:${stepKey}`, timestamp: now.toISOString(), payload: toJson(event.payload) ?? null },
  };
  const size = jsonSize(outgoing.detail);
  if (size > MAX_EVENT_BYTES) return invalid(`the event is ${size} bytes of JSON; EventBridge takes at most ${MAX_EVENT_BYTES}`);
  return outgoing;
}
