import { TaskOutputTooLargeError } from "../../sdk/errors.ts";
import type { JsonValue } from "../../sdk/types.ts";
import { jsonSize } from "../json.ts";
import { nextState } from "../next-state.ts";
import type { TargetCall, TargetOutcome } from "../replay.ts";
import { type BranchOutcome, type MemoEntry, type NextTask, nextOf, type RunState } from "../run-state.ts";
import { DEFAULT_MAX_STATE_BYTES, type ModeCall, replayCall } from "./mode-call.ts";

/**
 * `task` (a task state, `DynamicTask`, or one `Parallel` item's copy): replays to `state.next`, runs exactly that
 * task as the attempt the `countAttempt` port numbers, then replays on to the next steps. Only the task function's
 * own error is thrown (for the state's native `Retry`); a result that would outgrow the state fails the task.
 */
export async function taskMode(call: ModeCall): Promise<RunState | BranchOutcome> {
  const next = nextOf(call.state);
  const target = next && { step: next, run: (task: TargetCall) => runTask(call, next, task) };
  return nextState(call.state, call.steps, await replayCall(call, target ? { target } : {}));
}

async function runTask(call: ModeCall, next: NextTask, task: TargetCall): Promise<TargetOutcome> {
  const { state, ports } = call;
  const { key, task: id } = task.step;
  let result: JsonValue | undefined;
  try {
    // A counter that cannot count (its table throttled) fails the attempt, for the state's Retry: the job never sees it.
    const number = ports.countAttempt ? await ports.countAttempt(state.runId, key) : (next.attempt ?? 1) + call.retryCount;
    result = await task.attempt(number);
  } catch (error) {
    return { type: "stop", outcome: { type: "task-failed", error } };
  }
  const entry: MemoEntry = result === undefined ? { key, id, ok: true } : { key, id, ok: true, result };
  const maxStateBytes = ports.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  const size = jsonSize({ ...state, memo: [...task.memo, entry] });
  if (size > maxStateBytes) {
    const error = new TaskOutputTooLargeError(key, jsonSize(result ?? null), maxStateBytes, size);
    return { type: "stop", outcome: { type: "task-failed", error } };
  }
  return { type: "recorded", entry };
}
