/**
 * Schedule triggers (`cronTrigger`, `intervalTrigger`) as EventBridge Scheduler expressions, checked at synth
 * against the rules AWS applies (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html), so a
 * bad expression is a `file:line:col` error instead of a failed deployment. A schedule fires by putting the job's
 * schedule event on the app's bus: one path for every run, recorded and deduplicated by ingest.
 */

/** EventBridge `source` of schedule events. */
export const SCHEDULE_SOURCE = "stepjobs.scheduler";

/** The event (`detail-type`) a job's schedule puts on the bus; only that job's rule matches it. */
export function scheduleEventName(jobId: string): string {
  return `stepjobs.schedule.${jobId}`;
}

/**
 * The event id of one fire of a job's schedule: the same for every delivery of that fire (Scheduler's retries get
 * a new `<aws.scheduler.execution-id>`, so that one would start a run per retry), and the same locally and in AWS,
 * whatever precision the time comes in (`...T09:00:00Z` from Scheduler, `...T09:00:00.000Z` from `stepjobs dev`).
 */
export function scheduleEventId(jobId: string, scheduledTime: string): string {
  return `schedule-${jobId}-${new Date(scheduledTime).toISOString().replace(/[-:.]/g, "")}`;
}

/** The job whose schedule event this is (`detail-type` `stepjobs.schedule.<jobId>`), or undefined. */
export function scheduledJobOf(eventName: string): string | undefined {
  const prefix = scheduleEventName("");
  return eventName.startsWith(prefix) && eventName.length > prefix.length ? eventName.slice(prefix.length) : undefined;
}

/** The payload schema of a scheduled run: `{ ts }`, the scheduled time. */
export const SCHEDULED_PAYLOAD_SCHEMA = {
  type: "object",
  properties: { ts: { type: "string", description: "ISO-8601 time the schedule fired for" } },
  required: ["ts"],
} as const;

/** Interval bounds of `intervalTrigger`, in seconds: Trigger.dev v2's (1 minute to 7 days); Scheduler rates are whole minutes. */
export const MIN_INTERVAL_SECONDS = 60;
export const MAX_INTERVAL_SECONDS = 7 * 24 * 60 * 60;

/** A job's schedule as the plan keeps it. */
export interface SchedulePlan {
  /** The Scheduler expression: `cron(...)` or `rate(N minutes)`. */
  readonly expression: string;
  readonly cron?: string;
  readonly seconds?: number;
}

const MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC";
const DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT";

/** One cron field: its name, numeric range, and the extra tokens AWS allows in it. */
const FIELDS: readonly { name: string; min: number; max: number; names?: string; extra: RegExp }[] = [
  { name: "minutes", min: 0, max: 59, extra: /^$/ },
  { name: "hours", min: 0, max: 23, extra: /^$/ },
  { name: "day-of-month", min: 1, max: 31, extra: /^(\?|L|LW|\d{1,2}W)$/ },
  { name: "month", min: 1, max: 12, names: MONTHS, extra: /^$/ },
  { name: "day-of-week", min: 1, max: 7, names: DAYS, extra: /^(\?|L|\d?L|\d#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5])$/ },
  { name: "year", min: 1970, max: 2199, extra: /^$/ },
];

function checkValue(value: string, field: (typeof FIELDS)[number]): string | undefined {
  if (field.names && new RegExp(`^(${field.names})$`).test(value.toUpperCase())) return undefined;
  if (!/^\d+$/.test(value)) return `"${value}" is not a number${field.names ? " or a name" : ""}`;
  const n = Number(value);
  return n < field.min || n > field.max ? `${n} is outside ${field.min}-${field.max}` : undefined;
}

function checkField(text: string, field: (typeof FIELDS)[number]): string | undefined {
  if (field.extra.test(text.toUpperCase())) return undefined;
  for (const part of text.split(",")) {
    const [range, step, rest] = part.split("/");
    if (rest !== undefined || (step !== undefined && !/^\d+$/.test(step))) return `"${part}" has a bad step`;
    if (range === undefined || range === "*") continue;
    const [from = "", to, more] = range.split("-");
    if (more !== undefined) return `"${range}" is not a range`;
    const problem = checkValue(from, field) ?? (to === undefined ? undefined : checkValue(to, field));
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Why an AWS cron expression (the part inside `cron(...)`) is invalid, or undefined when it is valid: six
 * fields, values in range, and exactly one of day-of-month and day-of-week given as `?`.
 */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `has ${fields.length} field${fields.length === 1 ? "" : "s"}; AWS cron takes 6: minutes hours day-of-month month day-of-week year`;
  }
  for (const [i, field] of FIELDS.entries()) {
    const problem = checkField(fields[i] ?? "", field);
    if (problem) return `${field.name}: ${problem}`;
  }
  if ((fields[2] === "?") === (fields[4] === "?")) return "one of day-of-month and day-of-week must be ?, and only one";
  return undefined;
}

/** Why an interval is invalid, or undefined: whole minutes from 60 to 604800 seconds. */
export function intervalProblem(seconds: unknown): string | undefined {
  if (typeof seconds !== "number" || !Number.isInteger(seconds)) return `seconds must be an integer, got ${JSON.stringify(seconds)}`;
  if (seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) {
    return `seconds must be from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS} (1 minute to 7 days), got ${seconds}`;
  }
  if (seconds % 60 !== 0) return `seconds must be whole minutes (EventBridge Scheduler rates are in minutes), got ${seconds}`;
  return undefined;
}

/** The Scheduler expression of a valid cron or interval. */
export function schedulePlan(schedule: { cron: string } | { seconds: number }): SchedulePlan {
  if ("cron" in schedule) return { expression: `cron(${schedule.cron.trim().replace(/\s+/g, " ")})`, cron: schedule.cron.trim() };
  const minutes = schedule.seconds / 60;
  return { expression: `rate(${minutes} minute${minutes === 1 ? "" : "s"})`, seconds: schedule.seconds };
}
