import type { Attempt, ErrorInfo, LogLine, Run, RunStep, RunTask, TaskStatus } from "./api-types.ts";
import { formatDuration } from "./format.ts";

/**
 * The run timeline as plain numbers: one row per task, one bar per attempt and one wait segment between
 * attempts, one row per `io.wait`/`io.sendEvent` with its state's bar, all placed in percent of a time axis
 * shared by every row. The view only draws what this returns.
 */

/** One attempt drawn on the axis; `open` while it is still running (its end is `now`). */
export interface AttemptBar {
  readonly number: number;
  readonly status: Attempt["status"];
  readonly startPct: number;
  readonly widthPct: number;
  readonly durationMs: number;
  readonly startedAt: string;
  readonly open: boolean;
  readonly error: ErrorInfo | null;
  /** `io.logger` lines this attempt wrote, in time order. */
  readonly logs: readonly LogLine[];
}

/** The retry wait after a failed attempt; `open` while the next attempt has not started yet. */
export interface WaitBar {
  readonly afterAttempt: number;
  readonly startPct: number;
  readonly widthPct: number;
  readonly durationMs: number;
  readonly open: boolean;
}

/** One task's row. */
export interface TimelineRow {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly attempts: readonly AttemptBar[];
  readonly waits: readonly WaitBar[];
}

/** An `io.wait` or `io.sendEvent` drawn from its state's start to its end; `open` while it runs (its end is `now`). */
export interface StepRow {
  readonly key: string;
  readonly kind: RunStep["kind"];
  readonly id: string;
  readonly status: RunStep["status"];
  readonly startedAt: string;
  readonly startPct: number;
  readonly widthPct: number;
  readonly durationMs: number;
  readonly open: boolean;
}

/** A labelled tick on the shared axis. */
export interface AxisTick {
  readonly atPct: number;
  readonly label: string;
}

/** The whole timeline. `runLogs` are the lines written outside any task (by the job's `run` itself). */
export interface TimelineLayout {
  readonly startMs: number;
  readonly spanMs: number;
  readonly ticks: readonly AxisTick[];
  readonly rows: readonly TimelineRow[];
  /** The steps whose start is known (runs recorded before step times were kept have none), in start order. */
  readonly steps: readonly StepRow[];
  readonly runLogs: readonly LogLine[];
}

/** Tick spacings the axis picks from: the smallest that yields at most {@link MAX_TICKS} intervals. */
export const TICK_STEPS_MS = [
  1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
] as const;

/** At most this many tick intervals fit a phone-width axis without overlapping labels. */
export const MAX_TICKS = 5;

/** The tick spacing for a span: the first of {@link TICK_STEPS_MS} giving at most {@link MAX_TICKS} intervals. */
export function tickStep(spanMs: number): number {
  return TICK_STEPS_MS.find((step) => spanMs / step <= MAX_TICKS) ?? Math.max(...TICK_STEPS_MS);
}

/** Ticks at every multiple of {@link tickStep} from 0 to the span, labelled as offsets from the run's start. */
export function axisTicks(spanMs: number): AxisTick[] {
  const step = tickStep(spanMs);
  const ticks: AxisTick[] = [];
  for (let at = 0; at <= spanMs; at += step) ticks.push({ atPct: (at * 100) / spanMs, label: at === 0 ? "0" : formatDuration(at) });
  return ticks;
}

/**
 * Lays out a run on one time axis from its first instant to its end (`completedAt`, or `now` while it
 * runs). Attempts without an end are drawn up to `now`; a failed last attempt of a `RETRYING` task gets
 * an open wait up to `now`.
 */
export function layoutTimeline(run: Pick<Run, "startedAt" | "completedAt" | "tasks" | "steps" | "logs">, now: number): TimelineLayout {
  const tasks = run.tasks ?? [];
  const timed = (run.steps ?? [])
    .filter((step): step is RunStep & { startedAt: string } => typeof step.startedAt === "string")
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const logs = [...(run.logs ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const spans = [
    ...tasks.flatMap((t) => t.attempts.map((a) => ({ start: a.startedAt, end: a.endedAt }))),
    ...timed.map((step) => ({ start: step.startedAt, end: step.endedAt })),
  ];
  const instants = [Date.parse(run.startedAt), ...spans.map((span) => Date.parse(span.start))].filter((n) => !Number.isNaN(n));
  const startMs = Math.min(...instants);
  const ends = spans.map((span) => (span.end ? Date.parse(span.end) : now));
  const runEnd = run.completedAt ? Date.parse(run.completedAt) : now;
  const spanMs = Math.max(1, runEnd - startMs, ...ends.map((e) => e - startMs));
  const pct = (ms: number): number => ((ms - startMs) * 100) / spanMs;
  const rows = tasks.map((task) => layoutRow(task, logs, now, pct));
  const steps = timed.map((step): StepRow => {
    const start = Date.parse(step.startedAt);
    const end = step.endedAt ? Date.parse(step.endedAt) : now;
    return {
      key: step.key,
      kind: step.kind,
      id: step.id,
      status: step.status,
      startedAt: step.startedAt,
      startPct: pct(start),
      widthPct: pct(end) - pct(start),
      durationMs: Math.max(0, end - start),
      open: !step.endedAt,
    };
  });
  return { startMs, spanMs, ticks: axisTicks(spanMs), rows, steps, runLogs: logs.filter((l) => !l.taskId) };
}

function layoutRow(task: RunTask, logs: readonly LogLine[], now: number, pct: (ms: number) => number): TimelineRow {
  const attempts = [...task.attempts].sort((a, b) => a.number - b.number);
  const bars = attempts.map((attempt, i): AttemptBar => {
    const start = Date.parse(attempt.startedAt);
    const end = attempt.endedAt ? Date.parse(attempt.endedAt) : now;
    const next = attempts[i + 1];
    const windowEnd = next ? Date.parse(next.startedAt) : Number.POSITIVE_INFINITY;
    return {
      number: attempt.number,
      status: attempt.status,
      startPct: pct(start),
      widthPct: pct(end) - pct(start),
      durationMs: Math.max(0, end - start),
      startedAt: attempt.startedAt,
      open: !attempt.endedAt,
      error: attempt.error ?? null,
      logs: logs.filter(
        (l) => l.taskId === task.id && (l.attempt != null ? l.attempt === attempt.number : inWindow(l.at, start, windowEnd)),
      ),
    };
  });
  const waits: WaitBar[] = [];
  attempts.forEach((attempt, i) => {
    if (attempt.status !== "FAILED" || !attempt.endedAt) return;
    const next = attempts[i + 1];
    if (!next && task.status !== "RETRYING") return;
    const from = Date.parse(attempt.endedAt);
    const to = next ? Date.parse(next.startedAt) : now;
    waits.push({
      afterAttempt: attempt.number,
      startPct: pct(from),
      widthPct: pct(to) - pct(from),
      durationMs: Math.max(0, to - from),
      open: !next,
    });
  });
  return { taskId: task.id, status: task.status, attempts: bars, waits };
}

function inWindow(iso: string, start: number, end: number): boolean {
  const at = Date.parse(iso);
  return at >= start && at < end;
}
