import { describeRetry } from "../compiler/describe-retry.ts";
import type { JobPlan } from "../compiler/job-plan.ts";
import type { AslDefinition } from "../compiler/render-state-machine.ts";
import { eventPatternFor } from "../ingest/event-pattern.ts";
import { stateNameForTask } from "../compiler/task-routing.ts";
import type { EventRecord } from "../ingest/types.ts";
import { pendingStepKey } from "../history/step-states.ts";
import { type NextTask, nextOf } from "../runtime/run-state.ts";
import type { AttemptRecord, LogRecord, RunRecord, StepRecord } from "../store/types.ts";

/**
 * The `/api/v1` response bodies, built from store records by pure functions (the server only routes and
 * formats). Absent optional fields are `null`, so clients see every key of the documented shape.
 */

/** `GET /api/v1/events/:id` and the entries of `GET /api/v1/events`. */
export function eventView(record: EventRecord) {
  return {
    id: record.id,
    name: record.name,
    source: record.source,
    payload: record.payload,
    timestamp: record.timestamp,
    receivedAt: record.receivedAt,
    status: record.status,
    errors: record.errors,
    runs: record.runs,
  };
}

/** The entries of `GET /api/v1/runs`: a run without its tasks and logs. */
export function runSummaryView(run: RunRecord) {
  return {
    id: run.id,
    jobId: run.jobId,
    jobVersion: run.jobVersion,
    eventId: run.eventId,
    status: run.status,
    startedAt: run.startedAt,
    completedAt: run.completedAt ?? null,
    output: run.output ?? null,
    error: run.error ?? null,
  };
}

/** Task status as the API reports it. RETRYING: the last attempt failed and the native Retry will run another. */
export type TaskStatusView = "RUNNING" | "RETRYING" | "SUCCEEDED" | "FAILED";

/**
 * `GET /api/v1/runs/:id`: the run, its tasks with every attempt (in the order they ran), its waits and sent events
 * with their times, the states it entered, and its logs.
 */
export function runDetailView(
  run: RunRecord,
  attempts: readonly AttemptRecord[],
  logs: readonly LogRecord[],
  plan: JobPlan | undefined,
  steps: readonly StepRecord[] = [],
) {
  const memo = new Map((run.state?.memo ?? []).map((entry) => [entry.key, entry]));
  const byKey = new Map<string, AttemptRecord[]>();
  const ordered = [...attempts].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.number - b.number);
  for (const attempt of ordered) {
    const list = byKey.get(attempt.taskKey) ?? [];
    list.push(attempt);
    byKey.set(attempt.taskKey, list);
  }
  // Call order: finished tasks by their memo position (parallel ones start in either order), then the rest as started.
  const position = new Map((run.state?.memo ?? []).map((entry, index) => [entry.key, index]));
  const keys = [...byKey].sort(([a], [b]) => (position.get(a) ?? Number.MAX_SAFE_INTEGER) - (position.get(b) ?? Number.MAX_SAFE_INTEGER));
  const tasks = keys.flatMap(([key, list]) => {
    const entry = memo.get(key);
    const last = list.at(-1);
    if (!last) return [];
    let status: TaskStatusView;
    if (entry) status = entry.ok ? "SUCCEEDED" : "FAILED";
    else if (last.status === "RUNNING") status = "RUNNING";
    else if (last.status === "SUCCEEDED") status = "SUCCEEDED";
    else status = run.status === "RUNNING" ? "RETRYING" : "FAILED";
    return {
      id: last.taskId,
      key,
      stateName: last.stateName ?? stateNameForTask(plan?.tasks, last.taskId),
      status,
      attempts: list.map((a) => ({
        number: a.number,
        status: a.status,
        startedAt: a.startedAt,
        endedAt: a.endedAt ?? null,
        error: a.error ?? null,
      })),
      output: entry && entry.ok ? (entry.result ?? null) : null,
    };
  });
  return {
    ...runSummaryView(run),
    payload: run.state?.event.payload ?? null,
    tasks,
    steps: stepViews(run, steps),
    statesEntered: run.statesEntered ?? null,
    logs: logs.map((l) => ({
      level: l.level,
      message: l.message,
      data: l.data ?? null,
      taskId: l.taskId ?? null,
      attempt: l.attempt ?? null,
      at: l.at,
    })),
  };
}

/** Status of an `io.wait` / `io.sendEvent` step as the API reports it. */
export type StepStatusView = "WAITING" | "SENDING" | "SUCCEEDED" | "FAILED";

/**
 * The run's waits and sent events, in call order: the finished ones from the memo, then the one the run is in
 * (`sleeping` until `wakeAt`, or `sending`), each with the state that ran it and its start and end from `records`
 * (null when not recorded: runs from before they were kept). They are native states, so they have no attempts.
 */
export function stepViews(run: RunRecord, records: readonly StepRecord[] = []) {
  const state = run.state;
  if (!state) return [];
  const recorded = new Map(records.map((r) => [r.key, r]));
  // Without a record, a finished wait's state is unknown (Sleep or SleepUntil); the pending one's is in `next`.
  const timed = (key: string, kind: "wait" | "event", next?: NextTask) => ({
    stateName:
      recorded.get(key)?.stateName ??
      (kind === "event" ? "SendEvent" : next ? (next.seconds !== undefined ? "Sleep" : "SleepUntil") : null),
    startedAt: recorded.get(key)?.startedAt ?? null,
    endedAt: recorded.get(key)?.endedAt ?? null,
  });
  const done = state.memo.flatMap((entry, index) => {
    const kind = entry.kind;
    if (kind === undefined) return [];
    return [
      {
        kind,
        id: entry.id,
        key: entry.key,
        index,
        ...timed(entry.key, kind),
        status: (entry.ok ? "SUCCEEDED" : "FAILED") as StepStatusView,
        wakeAt: null as string | null,
        eventId: entry.ok && kind === "event" ? ((entry.result as { id?: string } | undefined)?.id ?? null) : null,
        error: entry.ok ? null : entry.error,
      },
    ];
  });
  const next = nextOf(state);
  const pending =
    next && pendingStepKey(state) !== undefined
      ? [
          {
            kind: next.kind as "wait" | "event",
            id: next.task,
            key: next.key,
            index: next.index,
            ...timed(next.key, next.kind as "wait" | "event", next),
            status: (next.kind === "wait" ? "WAITING" : "SENDING") as StepStatusView,
            wakeAt: next.wakeAt ?? null,
            eventId: next.event?.detail.id ?? null,
            error: null,
          },
        ]
      : [];
  return [...done, ...pending];
}

/** What the job view needs of a loaded job. */
export interface JobSource {
  readonly compiled: { readonly plan: JobPlan; readonly definition: AslDefinition };
  readonly file: string;
}

/** `GET /api/v1/jobs/:id`: trigger (with a schedule's next fire time, a filter and the rule's pattern), schema, tasks with their retry policy (ASL and in words) and the ASL. */
export function jobView(source: JobSource, nextFire?: Date) {
  const { plan, definition } = source.compiled;
  const schedule = plan.trigger.schedule;
  return {
    id: plan.id,
    name: plan.name,
    version: plan.version,
    file: source.file,
    mode: plan.mode ?? "standard",
    trigger: {
      event: plan.trigger.event,
      source: plan.trigger.source ?? null,
      schema: plan.trigger.schema,
      // The v2 filter as written, and the rule's EventBridge pattern it compiles into (what decides which events start runs).
      filter: plan.trigger.filter ?? null,
      pattern: eventPatternFor(plan.trigger),
      schedule: schedule ? { expression: schedule.expression, next: nextFire?.toISOString() ?? null } : null,
    },
    tasks: plan.tasks.map((t) => ({
      id: t.id,
      match: t.match,
      stateName: t.stateName,
      maxAttempts: t.maxAttempts,
      retry: t.retry,
      retryDescription: describeRetry(t.retry),
    })),
    asl: definition,
  };
}
