import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { readRunState, type RunState } from "../runtime/run-state.ts";

/**
 * The last run state an execution recorded (GetExecutionHistory, oldest first): the state `RunFailed` was entered
 * with when the run failed (its memo holds every finished step), else the output of the last Task state that
 * exited, else the execution's input. Undefined when the history holds no stepjobs state. Pure.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 */
export function lastRunState(events: readonly HistoryEvent[]): RunState | undefined {
  let last: RunState | undefined;
  for (const event of events) {
    const text =
      event.type === "ExecutionStarted"
        ? event.executionStartedEventDetails?.input
        : event.type === "TaskStateExited"
          ? event.stateExitedEventDetails?.output
          : event.type === "TaskStateEntered" && event.stateEnteredEventDetails?.name === "RunFailed"
            ? event.stateEnteredEventDetails.input
            : undefined;
    const state = parseRunState(text);
    if (state) last = state;
  }
  return last;
}

function parseRunState(text: string | undefined): RunState | undefined {
  if (text === undefined) return undefined;
  try {
    // A Parallel item's output is not the run's state: it has no runId and event.
    return readRunState(JSON.parse(text));
  } catch {
    return undefined;
  }
}
