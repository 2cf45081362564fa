import { nextOf, type NextTask, type RunState } from "../runtime/run-state.ts";

/**
 * Which native state runs an `io.wait` or `io.sendEvent`, read the same way from the dev executor's event log and
 * from a Step Functions execution history: the compiled machine routes a `sleeping` state to `Sleep` (seconds) or
 * `SleepUntil` (a timestamp) and a `sending` state to `SendEvent` (lib/compiler/render-state-machine.ts).
 */

/** The state names that run a wait or an event, by the kind of step they run. */
export const STEP_STATE_KINDS: Readonly<Record<string, "wait" | "event">> = { Sleep: "wait", SleepUntil: "wait", SendEvent: "event" };

/**
 * The memo key of the step a state runs, when `stateName` is a step state and `input` (the state's input: the run
 * state) is about to run a step of its kind; otherwise undefined (any other state, or a foreign input).
 */
export function stepKeyOf(stateName: string, input: unknown): string | undefined {
  const kind = STEP_STATE_KINDS[stateName];
  const next = input && typeof input === "object" ? (input as { next?: Partial<NextTask> }).next : undefined;
  return kind !== undefined && next?.kind === kind && typeof next.key === "string" ? next.key : undefined;
}

/** The step a run state is in the middle of: an `io.wait` (`sleeping`) or an `io.sendEvent` (`sending`), by memo key. */
export function pendingStepKey(state: RunState): string | undefined {
  const next = nextOf(state);
  if (!next) return undefined;
  const pending = (state.status === "sleeping" && next.kind === "wait") || (state.status === "sending" && next.kind === "event");
  return pending ? next.key : undefined;
}
