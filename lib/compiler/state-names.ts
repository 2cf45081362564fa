import { createHash } from "node:crypto";

/** States every compiled machine has; a task id equal to one of them gets a `Task ` prefix. */
export const FIXED_STATES = ["Plan", "Route", "DynamicTask", "DynamicRetry", "DynamicWait", "Succeeded", "RunFailed"] as const;

/** The states `concurrencyLimit` adds (concurrency-limit.ts), besides one `ReleaseSlot (<terminal>)` per terminal. */
export const SLOT_STATE_NAMES = [
  "AcquireSlot",
  "FindSlotTicket",
  "SlotTicket",
  "CheckSlot",
  "WaitForSlot",
  "WaitLongerForSlot",
  "PollSlot",
  "TakeSlot",
  "SlotTaken",
  "ReacquireSlot",
] as const;

/** The runner state that fails the execution with the run's error (and continues it after a redrive). */
export const RUN_FAILED_STATE = "RunFailed";

/**
 * Every name the renderer may use besides task states: the fixed states, the durable-step states and the
 * states inside a `Parallel` item (names are unique across a whole machine, nested ones included).
 */
export const RESERVED_STATE_NAMES: readonly string[] = [
  ...FIXED_STATES,
  "Sleep",
  "SleepUntil",
  "SendEvent",
  "Parallel",
  ...["Route", "DynamicTask", "DynamicRetry", "DynamicWait", "Caught", "Done"].map((n) => `Parallel ${n}`),
  ...SLOT_STATE_NAMES,
];

/** Step Functions limits state names to 80 characters (https://states-language.net/spec.html#states-fields). */
export const MAX_STATE_NAME_LENGTH = 80;

/**
 * The ASL state name of a task: its id, so the console graph reads like the code; prefixed when it
 * collides with a fixed state or another task, shortened with a hash when over 80 characters.
 */
export function stateNameFor(taskId: string, taken: ReadonlySet<string>): string {
  let name = RESERVED_STATE_NAMES.includes(taskId) ? `Task ${taskId}` : taskId;
  if (name.length > MAX_STATE_NAME_LENGTH || taken.has(name)) {
    const hash = createHash("sha256").update(taskId).digest("hex").slice(0, 8);
    name = `${name.slice(0, MAX_STATE_NAME_LENGTH - 9)}~${hash}`;
  }
  return name;
}
