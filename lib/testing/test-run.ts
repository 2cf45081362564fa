import type { ExecutionOutcome } from "../local/execution-log.ts";
import type { AttemptEnd, RunObserver } from "../local/run-observer.ts";
import type { ErrorInfo, MemoEntry, OutgoingEvent, RunState } from "../runtime/run-state.ts";
import type { JsonValue, LogLine } from "../sdk/types.ts";

/** One attempt of a task, as the run made it. */
export interface TestAttempt {
  readonly taskId: string;
  /** Memo key `<id>#<n>`. */
  readonly key: string;
  /** 1 on the first: what the task saw as `ctx.attempt.number`. */
  readonly number: number;
  readonly status: "SUCCEEDED" | "FAILED";
  readonly error: ErrorInfo | null;
  /**
   * After a failed attempt its state retries: how long the real state machine waits first (seconds, the retrier's
   * interval with its backoff; with `jitter` a random wait from 0 up to it). Null when it is not retried.
   */
  readonly retry: { readonly afterSeconds: number; readonly jitter: boolean } | null;
}

/** A durable step other than a task: an `io.wait` (how long the real machine waits) or an `io.sendEvent` (what it sent). */
export type TestStep =
  | { readonly kind: "wait"; readonly key: string; readonly seconds: number }
  | { readonly kind: "event"; readonly key: string; readonly event: OutgoingEvent };

/** What one task ended with, and its attempts. */
export interface TestTask {
  readonly attempts: readonly TestAttempt[];
  /** The recorded result (absent while failed or not reached). */
  readonly result?: JsonValue;
  /** The error its last attempt failed with, when it failed for good. */
  readonly error?: ErrorInfo;
}

/** A finished test run: everything a test asserts on, in the shapes the dashboard and the API show. */
export interface TestRun {
  readonly runId: string;
  readonly jobId: string;
  readonly status: "SUCCEEDED" | "FAILED" | "ABORTED";
  readonly output?: JsonValue;
  readonly error?: ErrorInfo;
  /** Every task attempt, in the order they ended. */
  readonly attempts: readonly TestAttempt[];
  /** `io.logger` lines, each once (never repeated by replay). */
  readonly logs: readonly LogLine[];
  readonly steps: readonly TestStep[];
  /** The events `io.sendEvent` put on the bus (not delivered: pass them to `send` to run the jobs they trigger). */
  readonly sentEvents: readonly OutgoingEvent[];
  /** The states entered, in order, retries not repeated. */
  readonly statesEntered: readonly string[];
  /** State transitions a Standard workflow bills: every state entered and every retry. */
  readonly transitions: number;
  /** Seconds the real machine would have waited in retries (without jitter) and `io.wait`s; the test waited none. */
  readonly waitedSeconds: number;
  /** The task `id` (its `occurrence`-th call, from 0): its attempts and how it ended. */
  task(id: string, occurrence?: number): TestTask;
}

/** Collects what an execution does through the executor's observer. */
export class TestRunRecorder {
  readonly attempts: TestAttempt[] = [];
  readonly logs: LogLine[] = [];
  readonly steps: TestStep[] = [];
  readonly sentEvents: OutgoingEvent[] = [];
  private readonly clock: () => Date;

  constructor(clock: () => Date) {
    this.clock = clock;
  }

  readonly observer: RunObserver = {
    attemptEnded: (attempt: AttemptEnd) => {
      this.attempts.push({
        taskId: attempt.taskId,
        key: attempt.taskKey,
        number: attempt.number,
        status: attempt.status,
        error: attempt.error,
        retry: attempt.retry ? { afterSeconds: attempt.retry.intervalSeconds, jitter: attempt.retry.jitter } : null,
      });
    },
    log: (_runId, line) => {
      this.logs.push(line);
    },
    stepped: (_runId, state: RunState) => {
      if (state.status === "sleeping") {
        const next = state.next;
        const seconds = next.seconds ?? Math.max(0, Math.ceil((Date.parse(next.wakeAt ?? "") - this.clock().getTime()) / 1000));
        this.steps.push({ kind: "wait", key: next.key, seconds });
      }
      if (state.status === "sending" && state.next.event) this.steps.push({ kind: "event", key: state.next.key, event: state.next.event });
    },
  };

  /** The run's result from the execution's outcome. */
  result(runId: string, jobId: string, outcome: ExecutionOutcome): TestRun {
    const attempts = [...this.attempts];
    const memo: readonly MemoEntry[] = outcome.final.memo ?? [];
    const waits = this.steps.reduce((sum, s) => sum + (s.kind === "wait" ? s.seconds : 0), 0);
    const retries = attempts.reduce((sum, a) => sum + (a.retry?.afterSeconds ?? 0), 0);
    return {
      runId,
      jobId,
      status: outcome.status === "SUSPENDED" ? "ABORTED" : outcome.status,
      ...(outcome.status === "SUCCEEDED" ? { output: outcome.output } : {}),
      ...(outcome.status === "FAILED" ? { error: outcome.error } : {}),
      attempts,
      logs: [...this.logs],
      steps: [...this.steps],
      sentEvents: [...this.sentEvents],
      statesEntered: outcome.statesEntered,
      transitions: outcome.statesEntered.length + outcome.retries.length,
      waitedSeconds: waits + retries,
      task: (id, occurrence = 0) => {
        const key = `${id}#${occurrence}`;
        const entry = memo.find((m) => m.key === key);
        return {
          attempts: attempts.filter((a) => a.key === key),
          ...(entry?.ok && entry.result !== undefined ? { result: entry.result } : {}),
          ...(entry && !entry.ok ? { error: entry.error } : {}),
        };
      },
    };
  }
}
