import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { LAMBDA_SERVICE_RETRIER } from "../compiler/render-state-machine.ts";
import { nextOf, normalizeCaughtError, readRunState, type RunInput, type RunState } from "../runtime/run-state.ts";
import type { AttemptRecord, RunRecord, StepRecord } from "../store/types.ts";
import { stepKeyOf } from "./step-states.ts";

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
  /** The Wait and PutEvents states that ran `io.wait` and `io.sendEvent`, with their times. */
  readonly steps: readonly StepRecord[];
}

/** A task state's visit: it owns the task attempts in its chain of events. */
interface TaskVisit {
  readonly stateName: string;
  readonly key: string;
  readonly taskId: string;
  /** The number of the next attempt. */
  next: number;
  /** When the attempt in progress was scheduled. */
  open?: string;
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
 * Builds the run, its task attempts and its step states from the history events, oldest first. A task state entered
 * with `next = { key, task }` owns the `TaskScheduled`..`TaskSucceeded|TaskFailed|TaskTimedOut` events that follow
 * it through `previousEventId` until it exits (so the interleaved iterations of a `Parallel` Map each keep their
 * own); each is one attempt, numbered from `next.attempt ?? 1`, except failures with Lambda service errors.
 */
export function recordsFromHistory(events: readonly HistoryEvent[], meta: HistoryRunMeta): HistoryRecords {
  let input: RunInput | undefined;
  let state: RunState | undefined;
  let startedAt = "";
  let ended: Pick<RunRecord, "status" | "completedAt" | "output" | "error"> = { status: "RUNNING" };
  const attempts: AttemptRecord[] = [];
  const statesEntered = new Set<string>();
  const steps: StepRecord[] = [];
  /** The task visit each event belongs to, by event id. */
  const visits = new Map<number, TaskVisit>();
  let lastVisit: TaskVisit | undefined;

  const close = (visit: TaskVisit | undefined, at: string, status: "SUCCEEDED" | "FAILED", error: AttemptRecord["error"]) => {
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
      stateName: visit.stateName,
    });
    visit.next += 1;
    visit.open = undefined;
  };

  for (const event of events) {
    const at = iso(event.timestamp as Date | number | string | undefined);
    // The visit this event continues: its previous event's (a history without ids: the latest one).
    const visit = event.previousEventId === undefined ? lastVisit : visits.get(event.previousEventId);
    if (visit && event.type !== "TaskStateExited" && event.id !== undefined) visits.set(event.id, visit);
    const name = event.stateEnteredEventDetails?.name;
    if (event.type?.endsWith("StateEntered") && name !== undefined) {
      statesEntered.add(name);
      const stepKey = stepKeyOf(name, parse(event.stateEnteredEventDetails?.input));
      if (stepKey !== undefined) steps.push({ runId: input?.runId ?? "", key: stepKey, stateName: name, startedAt: at });
    }
    if (event.type?.endsWith("StateExited")) {
      const step = steps.find((s) => s.stateName === event.stateExitedEventDetails?.name && s.endedAt === undefined);
      if (step) steps[steps.indexOf(step)] = { ...step, endedAt: at };
    }
    switch (event.type) {
      case "ExecutionStarted":
        input = parse<RunInput>(event.executionStartedEventDetails?.input);
        startedAt = at;
        break;
      case "TaskStateEntered": {
        const entered = readRunState(parse(event.stateEnteredEventDetails?.input));
        const next = entered && nextOf(entered);
        const taskName = name ?? "";
        if (!NON_TASK_RUNNER_STATES.has(taskName) && next && stepKeyOf(taskName, entered) === undefined) {
          lastVisit = { stateName: taskName, key: next.key, taskId: next.task, next: next.attempt ?? 1 };
          visits.set(event.id ?? 0, lastVisit);
        }
        break;
      }
      case "TaskScheduled":
        if (visit) visit.open = at;
        break;
      case "TaskSucceeded":
        close(visit, at, "SUCCEEDED", null);
        break;
      case "TaskFailed": {
        const details = event.taskFailedEventDetails;
        if (details?.error !== undefined && SERVICE_ERRORS.has(details.error)) {
          if (visit) visit.open = undefined;
          break;
        }
        close(visit, at, "FAILED", normalizeCaughtError({ Error: details?.error, Cause: details?.cause }));
        break;
      }
      case "TaskTimedOut":
        close(visit, at, "FAILED", {
          name: event.taskTimedOutEventDetails?.error ?? "States.Timeout",
          message: event.taskTimedOutEventDetails?.cause ?? "",
        });
        break;
      case "TaskStateExited": {
        // The run's state after a runner step; a Parallel item's exit carries the item's outcome, which has no memo.
        const output = parse<{ memo?: unknown }>(event.stateExitedEventDetails?.output);
        if (Array.isArray(output?.memo)) state = readRunState(output) ?? state;
        if (visit === lastVisit) lastVisit = undefined;
        break;
      }
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
    statesEntered: [...statesEntered],
  };
  return { run, attempts, steps };
}
