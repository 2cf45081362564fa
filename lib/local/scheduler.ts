import AWSCronParser from "aws-cron-parser";
import type { JobPlan } from "../compiler/job-plan.ts";
import { SCHEDULE_SOURCE, type SchedulePlan, scheduleEventId } from "../compiler/schedule.ts";
import type { IncomingEvent } from "../ingest/types.ts";

/**
 * `stepjobs dev`'s stand-in for EventBridge Scheduler: for each job with `cronTrigger`/`intervalTrigger`, a timer
 * that puts the job's schedule event through ingest at each fire time, as the deployed schedule puts it on the bus.
 * Fires missed while dev was stopped are skipped (Scheduler does not catch up either); each fire's event id is
 * derived from the job and the time, so a fire is never ingested twice.
 */

/** The next time `schedule` fires strictly after `after` (UTC). Rates count from `anchor` (Scheduler: from creation). */
export function nextFireTime(schedule: SchedulePlan, after: Date, anchor: Date): Date {
  if (schedule.cron) return AWSCronParser.next(AWSCronParser.parse(schedule.cron), after) ?? new Date(Number.NaN);
  const interval = (schedule.seconds ?? 60) * 1000;
  const elapsed = after.getTime() - anchor.getTime();
  return new Date(anchor.getTime() + (Math.floor(elapsed / interval) + 1) * interval);
}

/** The event one fire puts through ingest: `{ ts }`, with an id unique per job and fire time. */
export function scheduledEvent(plan: JobPlan, at: Date): IncomingEvent {
  const ts = at.toISOString();
  return {
    id: scheduleEventId(plan.id, ts),
    name: plan.trigger.event,
    source: SCHEDULE_SOURCE,
    timestamp: ts,
    payload: { ts },
  };
}

/** Timers, injectable so tests control time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link LocalScheduler}. */
export interface LocalSchedulerOptions {
  /** Ingests one fire's event. Errors go to `onError`; the schedule goes on. */
  readonly fire: (event: IncomingEvent) => Promise<void>;
  readonly now?: () => Date;
  readonly timers?: Timers;
  readonly onError?: (error: unknown) => void;
}

/** Node timers fire at most 2^31-1 ms ahead; longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Fires the schedules of the current job plans. */
export class LocalScheduler {
  private readonly options: LocalSchedulerOptions;
  private readonly now: () => Date;
  private readonly timers: Timers;
  private readonly entries = new Map<string, { plan: JobPlan; next: Date; handle: unknown; anchor: Date }>();

  constructor(options: LocalSchedulerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
  }

  /** Schedules exactly the jobs in `plans` that have a schedule (new or changed ones re-armed, removed ones stopped). */
  sync(plans: readonly JobPlan[]): void {
    const wanted = new Map(plans.filter((p) => p.trigger.schedule).map((p) => [p.id, p]));
    for (const [id, entry] of this.entries) {
      const plan = wanted.get(id);
      if (!plan || plan.trigger.schedule!.expression !== entry.plan.trigger.schedule!.expression) {
        this.timers.clearTimeout(entry.handle);
        this.entries.delete(id);
      } else {
        entry.plan = plan;
      }
    }
    for (const [id, plan] of wanted) if (!this.entries.has(id)) this.arm(plan, this.now());
  }

  /** When job `jobId` fires next (what the dashboard shows), if it has a schedule. */
  next(jobId: string): Date | undefined {
    return this.entries.get(jobId)?.next;
  }

  /** Stops every timer. */
  stop(): void {
    for (const entry of this.entries.values()) this.timers.clearTimeout(entry.handle);
    this.entries.clear();
  }

  private arm(plan: JobPlan, anchor: Date, after: Date = this.now()): void {
    const next = nextFireTime(plan.trigger.schedule!, after, anchor);
    if (Number.isNaN(next.getTime())) return;
    const entry = { plan, next, anchor, handle: undefined as unknown };
    this.entries.set(plan.id, entry);
    const wait = (): void => {
      const ms = next.getTime() - this.now().getTime();
      if (ms > 0) {
        entry.handle = this.timers.setTimeout(wait, Math.min(ms, MAX_TIMER_MS));
        return;
      }
      if (this.entries.get(plan.id) !== entry) return;
      this.options.fire(scheduledEvent(entry.plan, next)).catch((error: unknown) => this.options.onError?.(error));
      this.arm(entry.plan, anchor, next);
    };
    entry.handle = this.timers.setTimeout(wait, Math.min(Math.max(0, next.getTime() - this.now().getTime()), MAX_TIMER_MS));
  }
}
