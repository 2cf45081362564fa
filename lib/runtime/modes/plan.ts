import { nextState } from "../next-state.ts";
import { type BranchOutcome, caughtOf, type MemoEntry, type NextTask, nextOf, normalizeCaughtError, type RunState } from "../run-state.ts";
import { type ModeCall, reachedBefore, replayCall } from "./mode-call.ts";

/**
 * `plan` (the `Plan` state): records what finished since the last invocation (see {@link stepsFinishedBefore}), then
 * replays to the first steps not in the memo. Every durable step's native state goes back to `Plan`.
 */
export async function planMode(call: ModeCall): Promise<RunState | BranchOutcome> {
  const memo = [...call.state.memo, ...stepsFinishedBefore(call.state)];
  const replayed = await replayCall(call, { memo, liveFrom: Math.max(memo.length, reachedBefore(call.state)) });
  return nextState(call.state, call.steps, replayed);
}

/**
 * The memo entries a `Plan` invocation records before replaying: the `Catch` of a task's (or send's) last
 * attempt, a finished `Sleep`, a sent event, or the outcomes of a `Parallel` batch in call order.
 */
export function stepsFinishedBefore(state: RunState): MemoEntry[] {
  const next = nextOf(state);
  const caught = caughtOf(state);
  if (caught && next) return [{ key: next.key, id: next.task, ...kindOf(next), ok: false, error: normalizeCaughtError(caught) }];
  if (state.status === "sleeping" && state.next.kind === "wait")
    return [{ key: state.next.key, id: state.next.task, kind: "wait", ok: true }];
  if (state.status === "sending" && state.next.kind === "event" && state.next.event) {
    return [{ key: state.next.key, id: state.next.task, kind: "event", ok: true, result: { id: state.next.event.detail.id } }];
  }
  if (state.status === "parallel" && state.branches) {
    return [...state.branches]
      .sort((a, b) => a.next.index - b.next.index)
      .map((b) =>
        b.status === "branched" ? b.entry : { key: b.next.key, id: b.next.task, ok: false as const, error: normalizeCaughtError(b.caught) },
      );
  }
  return [];
}

function kindOf(step: NextTask): { kind?: "wait" | "event" } {
  return step.kind === "wait" || step.kind === "event" ? { kind: step.kind } : {};
}
