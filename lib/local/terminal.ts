import { describeRetry } from "../compiler/describe-retry.ts";
import { describeTrigger } from "../compiler/describe-trigger.ts";
import type { JobPlan } from "../compiler/job-plan.ts";
import type { ErrorInfo } from "../runtime/run-state.ts";
import type { LogLine } from "../sdk/types.ts";
import type { AttemptEnd } from "./run-observer.ts";

/**
 * The lines `stepjobs dev` prints: one per registered job, run start and end, task attempt, and `io.logger`
 * line, each prefixed with job, run and task so interleaved concurrent runs stay readable. Pure formatting;
 * colours (ANSI) only when the output is a terminal.
 */

const CODES = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
type Style = keyof typeof CODES;

/** Formats dev-server lines; `color` is true only on a TTY (and never with NO_COLOR). */
export class TerminalFormat {
  constructor(readonly color: boolean) {}

  private paint(style: Style, text: string): string {
    return this.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
  }

  private prefix(jobId: string, runId: string, task?: { id: string; attempt?: number }): string {
    // A task id can come from the payload (`fetch-${item}`).
    const where = task ? ` ${escapeControls(task.id)}${task.attempt ? `#${task.attempt}` : ""}` : "";
    return this.paint("dim", `[${jobId} ${runId}${where}]`);
  }

  /** `my-first-workflow  on "my.event"  tasks: process-incoming-data (3 attempts, 1 s apart), ...` */
  job(plan: JobPlan, file: string): string {
    const tasks = plan.tasks.map((t) => `${t.id} (${describeRetry(t.retry)})`).join(", ") || "none found statically";
    return `${this.paint("cyan", "job")} ${this.paint("bold", plan.id)} v${plan.version}  on ${describeTrigger(plan.trigger)}  tasks: ${tasks}  ${this.paint("dim", file)}`;
  }

  runStarted(jobId: string, runId: string, eventName: string, resumed: boolean): string {
    return `${this.prefix(jobId, runId)} ${this.paint("blue", resumed ? "run resumed" : "run started")} by "${escapeControls(eventName)}"`;
  }

  runEnded(jobId: string, runId: string, status: "SUCCEEDED" | "FAILED" | "ABORTED", ms: number, error?: ErrorInfo): string {
    const took = formatDuration(ms);
    if (status === "SUCCEEDED") return `${this.prefix(jobId, runId)} ${this.paint("green", "run SUCCEEDED")} in ${took}`;
    if (status === "ABORTED") return `${this.prefix(jobId, runId)} ${this.paint("yellow", "run ABORTED")} after ${took} (cancelled)`;
    const failed = `${this.prefix(jobId, runId)} ${this.paint("red", "run FAILED")} in ${took}: ${error ? errorLine(error) : "unknown error"}`;
    // The run's end shows the whole stack; each failed attempt only where it was thrown.
    return [failed, ...stackLines(error, "    ").map((line) => this.paint("dim", line))].join("\n");
  }

  /** One attempt; a failed one says whether and when the native Retry runs it again. */
  attempt(jobId: string, a: AttemptEnd): string {
    const where = this.prefix(jobId, a.runId, { id: a.taskId, attempt: a.number });
    const took = formatDuration(Date.parse(a.endedAt) - Date.parse(a.startedAt));
    if (a.status === "SUCCEEDED") return `${where} attempt ${a.number} ${this.paint("green", "succeeded")} in ${took}`;
    const thrownAt = a.error && throwSite(a.error);
    const error = a.error ? `${errorLine(a.error)}${thrownAt ? ` ${this.paint("dim", `at ${thrownAt}`)}` : ""}` : "failed";
    const next = a.retry
      ? this.paint("yellow", `retrying in ${a.retry.jitter ? "up to " : ""}${formatSeconds(a.retry.waitSeconds)}`)
      : a.stop === "runner-decides"
        ? this.paint("yellow", "its retry policy decides next (a dynamic task id: the runner retries it)")
        : this.paint("red", stopText(a.stop, escapeControls(a.error?.name ?? "the error")));
    return `${where} attempt ${a.number} ${this.paint("red", "failed")} in ${took}: ${error} — ${next}`;
  }

  /** An attempt found cut short by the last stop of `stepjobs dev`; whether it uses one of the task's attempts. */
  interrupted(jobId: string, runId: string, taskId: string, attempt: number, counts: boolean): string {
    const what = counts
      ? this.paint("red", "counts as a failed attempt (the task was interrupted before; a task that takes the process down must not loop)")
      : this.paint("yellow", "does not use up one of the task's attempts (the first interruption of a task; a second would)");
    return `${this.prefix(jobId, runId, { id: taskId, attempt })} attempt ${attempt} was cut short when stepjobs dev stopped: it ${what}`;
  }

  log(jobId: string, runId: string, line: LogLine): string {
    const style: Style = line.level === "error" ? "red" : line.level === "warn" ? "yellow" : line.level === "debug" ? "dim" : "magenta";
    const data = line.data === undefined ? "" : ` ${this.paint("dim", escapeControls(JSON.stringify(line.data)))}`;
    const task = line.taskId ? { id: line.taskId, attempt: line.attempt } : undefined;
    return `${this.prefix(jobId, runId, task)} ${this.paint(style, line.level.padEnd(5))} ${escapeControls(line.message)}${data}`;
  }
}

/** Why a failed attempt is the task's last, as the attempt line ends. */
function stopText(stop: AttemptEnd["stop"], errorName: string): string {
  switch (stop) {
    case "non-retriable":
      return `not retried: ${errorName} is never retried`;
    case "single-attempt":
      return "not retried: the task allows 1 attempt";
    case "not-in-retryOn":
      return `not retried: its retryOn does not list ${errorName}`;
    default:
      return "no retries left";
  }
}

/**
 * Text from a payload, a log line or an error, safe to print: C0 and C1 control characters (ESC sequences that
 * would recolour, move the cursor or clear the screen; CR and LF that would forge lines) and the bidirectional
 * overrides that reorder what is shown, written as `\n` or `\u001b` escapes.
 */
export function escapeControls(text: string): string {
  return text.replace(UNPRINTABLE, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** An error on one line: `PaymentError: card declined {"code":"CARD_DECLINED"}` (its own fields as JSON), escaped. */
export function errorLine(error: ErrorInfo): string {
  const fields = error.fields && Object.keys(error.fields).length > 0 ? ` ${JSON.stringify(error.fields)}` : "";
  return escapeControls(`${error.name}: ${error.message}${fields}`);
}

/** The error's recorded stack frames, one line each after `indent` (none when it has no stack), escaped. */
export function stackLines(error: ErrorInfo | null | undefined, indent: string): string[] {
  return error?.stack ? error.stack.split("\n").map((frame) => `${indent}${escapeControls(frame)}`) : [];
}

/** Where the error was thrown: the location of its top frame (`src/jobs/x.ts:12:11`). */
export function throwSite(error: ErrorInfo): string | undefined {
  const top = error.stack?.split("\n")[0];
  return top?.match(/\(([^()]+)\)$/)?.[1] ?? top?.replace(/^at /, "");
}

/** `850 ms`, `1.2 s`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A wait in seconds, as `1 s` or `0.5 s`. */
export function formatSeconds(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/** Whether a stream wants colours: a TTY, and the user did not opt out (https://no-color.org). */
export function wantsColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}
