import type { ErrorInfo, RunState } from "../runtime/run-state.ts";
import type { JsonValue } from "../sdk/types.ts";
import type { StateChange } from "./run-observer.ts";

/** A retry the library actually performed, read from its `eventLogs` (`StateFailed` then `StateRetried`). */
export interface ObservedRetry {
  readonly stateName: string;
  /** Milliseconds between the failure and the retry: the real wait. */
  readonly waitedMs: number;
}

/** What the engine's `eventLogs` said about an execution. */
export interface ExecutionLog {
  readonly retries: readonly ObservedRetry[];
  /**
   * Every state entered, in order. With `retries`, this is what Standard workflows bill: one state transition
   * per state entered and per retry (https://aws.amazon.com/step-functions/pricing/).
   */
  readonly statesEntered: readonly string[];
}

/** How an execution ended. `final` is the last state the runner returned. */
export type ExecutionOutcome =
  | ({ readonly status: "SUCCEEDED"; readonly output: JsonValue; readonly final: RunState } & ExecutionLog)
  | ({ readonly status: "FAILED"; readonly error: ErrorInfo; readonly final: RunState } & ExecutionLog)
  | ({ readonly status: "ABORTED"; readonly final: RunState } & ExecutionLog)
  /** Stopped for a shutdown (`suspend`): the run is still RUNNING and resumes from `final` on the next start. */
  | ({ readonly status: "SUSPENDED"; readonly final: RunState } & ExecutionLog);

/** One event of aws-local-stepfunctions' `eventLogs`, as far as the executor reads it. */
export interface EngineEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly input?: unknown };
}

/**
 * Reads the library's event log to the end, pairing each `StateFailed` with the `StateRetried` after its wait and
 * passing each state's entry and exit to `onState` as it is read.
 */
export async function readExecutionLog(events: AsyncGenerator<EngineEvent>, onState: (change: StateChange) => void): Promise<ExecutionLog> {
  const retries: ObservedRetry[] = [];
  const statesEntered: string[] = [];
  const failedAt = new Map<string, number>();
  for await (const event of events) {
    const state = event.state;
    if (!state) continue;
    if (event.type === "StateEntered") statesEntered.push(state.name);
    if (event.type === "StateEntered" || event.type === "StateExited") {
      const phase = event.type === "StateEntered" ? "entered" : "exited";
      onState({ phase, stateName: state.name, at: new Date(event.timestamp).toISOString(), input: state.input });
    }
    if (event.type === "StateFailed") failedAt.set(state.name, event.timestamp);
    if (event.type === "StateRetried")
      retries.push({ stateName: state.name, waitedMs: event.timestamp - (failedAt.get(state.name) ?? event.timestamp) });
  }
  return { retries, statesEntered };
}

/** The logs of an execution that continued in another (a resumed run handing off): one after the other. */
export function joinLogs(logs: readonly ExecutionLog[]): ExecutionLog {
  return { retries: logs.flatMap((l) => l.retries), statesEntered: logs.flatMap((l) => l.statesEntered) };
}
