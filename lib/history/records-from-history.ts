import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { LAMBDA_SERVICE_RETRIER } from "../compiler/render-state-machine.ts";
import { normalizeCaughtError, type RunInput, type RunState } from "../runtime/run-state.ts";
import type { AttemptRecord, RunRecord } from "../store/types.ts";

/**
 * One timeline model, two sources: turns a Step Functions execution history (GetExecutionHistory,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html) into the same
 * run and attempt records the local store holds, so the CLI and dashboard render cloud and local runs with
 * one view function. Pure; the caller pages through the history (1,000 events a page).
 */

/** What the history does not say about the run. */
export interface HistoryRunMeta {
  readonly jobId: string;
  readonly jobVersion: string;
}

/** The records a history describes. */
export interface HistoryRecords {
  readonly run: RunRecord;
  readonly attempts: readonly AttemptRecord[];
}

/** States that invoke the runner without executing a task (replay, retry decisions, the run's failure). */
const NON_TASK_RUNNER_STATES = new Set(["Plan", "DynamicRetry", "Parallel DynamicRetry", "RunFailed"]);

/**
 * Errors of the Lambda service itself, retried by their own retrier before the function runs: not attempts of the
 * user's task. Other `Lambda.*` errors (e.g. `Lambda.Unknown`, a crashed function) are real attempts.
 */
const SERVICE_ERRORS = new Set(LAMBDA_SERVICE_RETRIER.ErrorEquals);

/** History timestamps are Dates from the SDK and epoch seconds in raw API JSON; both become ISO-8601. */
function iso(timestamp: HistoryEvent["timestamp"] | number | string | undefined): string {
  if (timestamp instanceof Date) return timestamp.toISOString();
  if (typeof timestamp === "number") return new Date(timestamp * 1000).toISOString();
  return new Date(timestamp ?? 0).toISOString();
}

function parse<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Builds the run and its task attempts from the history events, oldest first. A task state entered with
 * `next = { key, task }` owns every `TaskScheduled`..`TaskSucceeded|TaskFailed|TaskTimedOut` until it exits;
 * each is one attempt, numbered from `next.attempt ?? 1`, except failures with Lambda service errors.
 */
export function recordsFromHistory(events: readonly HistoryEvent[], meta: HistoryRunMeta): HistoryRecords {
  let input: RunInput | undefined;
  let state: RunState | undefined;
  let startedAt = "";
  let ended: Pick<RunRecord, "status" | "completedAt" | "output" | "error"> = { status: "RUNNING" };
  const attempts: AttemptRecord[] = [];
  let visit: { stateName: string; key: string; taskId: string; next: number; open?: string } | undefined;

  const close = (at: string, status: "SUCCEEDED" | "FAILED", error: AttemptRecord["error"]) => {
    if (!visit?.open) return;
    attempts.push({
      runId: input?.runId ?? "",
      taskKey: visit.key,
      taskId: visit.taskId,
      number: visit.next,
      status,
      startedAt: visit.open,
      endedAt: at,
      error,
    });
    visit.next += 1;
    visit.open = undefined;
  };

  for (const event of events) {
    const at = iso(event.timestamp as Date | number | string | undefined);
    switch (event.type) {
      case "ExecutionStarted":
        input = parse<RunInput>(event.executionStartedEventDetails?.input);
        startedAt = at;
        break;
      case "TaskStateEntered": {
        const name = event.stateEnteredEventDetails?.name ?? "";
        const entered = parse<RunState>(event.stateEnteredEventDetails?.input);
        visit =
          !NON_TASK_RUNNER_STATES.has(name) && entered?.next
            ? { stateName: name, key: entered.next.key, taskId: entered.next.task, next: entered.next.attempt ?? 1 }
            : undefined;
        break;
      }
      case "TaskScheduled":
        if (visit) visit.open = at;
        break;
      case "TaskSucceeded":
        close(at, "SUCCEEDED", null);
        break;
      case "TaskFailed": {
        const details = event.taskFailedEventDetails;
        if (details?.error !== undefined && SERVICE_ERRORS.has(details.error)) {
          if (visit) visit.open = undefined;
          break;
        }
        close(at, "FAILED", normalizeCaughtError({ Error: details?.error, Cause: details?.cause }));
        break;
      }
      case "TaskTimedOut":
        close(at, "FAILED", {
          name: event.taskTimedOutEventDetails?.error ?? "States.Timeout",
          message: event.taskTimedOutEventDetails?.cause ?? "",
        });
        break;
      case "TaskStateExited":
        state = parse<RunState>(event.stateExitedEventDetails?.output) ?? state;
        visit = undefined;
        break;
      case "ExecutionSucceeded":
        ended = { status: "SUCCEEDED", completedAt: at, output: parse(event.executionSucceededEventDetails?.output) ?? null };
        break;
      case "ExecutionFailed":
        // RunFailed throws the job's error from the runner, so the cause is Lambda's JSON error; normalize it.
        ended = {
          status: "FAILED",
          completedAt: at,
          error: normalizeCaughtError({
            Error: event.executionFailedEventDetails?.error ?? "States.Runtime",
            Cause: event.executionFailedEventDetails?.cause ?? "",
          }),
        };
        break;
      case "ExecutionTimedOut":
        ended = {
          status: "FAILED",
          completedAt: at,
          error: { name: "States.Timeout", message: event.executionTimedOutEventDetails?.cause ?? "the execution timed out" },
        };
        break;
      case "ExecutionAborted":
        ended = { status: "ABORTED", completedAt: at };
        break;
    }
  }
  if (!input) throw new Error("the history has no ExecutionStarted event with a stepjobs run input");
  const run: RunRecord = {
    id: input.runId,
    jobId: meta.jobId,
    jobVersion: meta.jobVersion,
    eventId: input.event.id,
    startedAt,
    ...ended,
    state: state ?? { ...input, status: "running", memo: [] },
  };
  return { run, attempts };
}
