import { errorLine, escapeControls, formatDuration, stackLines } from "../local/terminal.ts";
import type { ErrorInfo } from "../sdk/errors.ts";

/**
 * `stepjobs run <id>` as text: the run's steps in the order they ran (tasks with each attempt's time, error and the
 * log lines it wrote and the wait between attempts; `io.wait` and `io.sendEvent` with their start and end), and the
 * run's own log lines where they happened. Pure: takes the `GET /api/v1/runs/:id` body.
 */

/** The parts of the run detail body the timeline reads. */
export interface RunDetail {
  readonly id: string;
  readonly jobId: string;
  readonly eventId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly completedAt: string | null;
  readonly output: unknown;
  readonly error: ErrorInfo | null;
  readonly tasks: readonly {
    readonly id: string;
    readonly status: string;
    readonly attempts: readonly {
      readonly number: number;
      readonly status: string;
      readonly startedAt: string;
      readonly endedAt: string | null;
      readonly error: ErrorInfo | null;
    }[];
  }[];
  /** `io.wait` and `io.sendEvent` (absent in answers of servers from before they were listed). */
  readonly steps?: readonly {
    readonly kind: "wait" | "event";
    readonly id: string;
    readonly status: string;
    readonly startedAt?: string | null;
    readonly endedAt?: string | null;
    readonly wakeAt: string | null;
    readonly eventId: string | null;
    readonly error: { readonly name: string; readonly message: string } | null;
  }[];
  readonly logs: readonly {
    readonly level: string;
    readonly message: string;
    readonly data: unknown;
    readonly taskId: string | null;
    readonly attempt: number | null;
    readonly at: string;
  }[];
}

const time = (iso: string) => iso.slice(11, 23);

function logLine(indent: string, log: RunDetail["logs"][number]): string {
  const data = log.data === null || log.data === undefined ? "" : ` ${JSON.stringify(log.data)}`;
  return `${indent}${time(log.at)}  ${log.level.padEnd(5)}  ${escapeControls(log.message + data)}`;
}

/** One `io.wait` or `io.sendEvent`: status, start and end (or what it waits for), the event it sent, its error. */
function stepLine(step: NonNullable<RunDetail["steps"]>[number]): string {
  const start = step.startedAt ? `  ${time(step.startedAt)}` : "";
  const end =
    step.startedAt && step.endedAt
      ? ` -> ${time(step.endedAt)} (${formatDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt))})`
      : "";
  const until = !step.endedAt && step.wakeAt ? `  until ${step.wakeAt}` : "";
  const sent = step.eventId ? `  sent ${step.eventId}` : "";
  const error = step.error ? `  ${step.error.name}: ${step.error.message}` : "";
  return `  ${step.kind} ${step.id}  ${step.status}${start}${end}${until}${sent}${error}`;
}

/** The header line: id, job, status and duration. */
export function runHeadline(run: RunDetail): string {
  const took = run.completedAt ? ` in ${formatDuration(Date.parse(run.completedAt) - Date.parse(run.startedAt))}` : "";
  return `run ${run.id}  job ${run.jobId}  event ${run.eventId}  ${run.status}${took}`;
}

/** The body lines, without the headline. */
export function runTimelineLines(run: RunDetail): string[] {
  type Item = { at: string; lines: string[] };
  const items: Item[] = run.logs.filter((l) => !l.taskId).map((l) => ({ at: l.at, lines: [logLine("  ", l)] }));
  for (const task of run.tasks) {
    const count = task.attempts.length;
    const lines = [`  task ${task.id}  ${task.status}  (${count} attempt${count === 1 ? "" : "s"})`];
    task.attempts.forEach((a, i) => {
      const took = a.endedAt ? ` (${formatDuration(Date.parse(a.endedAt) - Date.parse(a.startedAt))})` : "";
      const error = a.error ? `  ${errorLine(a.error)}` : "";
      lines.push(
        `    attempt ${a.number}  ${a.status.padEnd(9)}  ${time(a.startedAt)}${a.endedAt ? ` -> ${time(a.endedAt)}` : ""}${took}${error}`,
        ...stackLines(a.error, "        "),
      );
      for (const log of run.logs.filter((l) => l.taskId === task.id && l.attempt === a.number)) lines.push(logLine("      ", log));
      const next = task.attempts[i + 1];
      if (next && a.endedAt)
        lines.push(`    waited ${formatDuration(Date.parse(next.startedAt) - Date.parse(a.endedAt))} before attempt ${next.number}`);
      else if (!next && a.status === "FAILED" && task.status === "RETRYING") lines.push(`    waiting to retry`);
    });
    items.push({ at: task.attempts[0]?.startedAt ?? run.startedAt, lines });
  }
  // A step whose times were not recorded (an older run) goes after the rest, in call order.
  for (const step of run.steps ?? []) items.push({ at: step.startedAt ?? "\uffff", lines: [stepLine(step)] });
  // Stable sort: a task and a log at the same millisecond keep their order.
  items.sort((x, y) => x.at.localeCompare(y.at));
  const lines = items.flatMap((i) => i.lines);
  if (run.status === "SUCCEEDED") lines.push(`  output ${escapeControls(JSON.stringify(run.output) ?? "null")}`);
  if (run.error) lines.push(`  error ${errorLine(run.error)}`, ...stackLines(run.error, "      "));
  return lines;
}
