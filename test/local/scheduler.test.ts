import { describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { LocalScheduler, nextFireTime, scheduledEvent, type Timers } from "../../lib/local/scheduler.ts";
import type { IncomingEvent } from "../../lib/ingest/types.ts";
import { ROOT } from "../helpers/load-job.ts";

const plans = compileProject({ root: ROOT, jobsDir: "test/fixtures/steps" }).jobs.map((j) => j.plan);
const plan = (id: string) => plans.find((p) => p.id === id)!;

/** A clock and timers the test moves by hand: `advance` runs every timer that comes due, in order. */
function virtualTime(start: string) {
  let now = Date.parse(start);
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const api: Timers = {
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (handle) => void (timers = timers.filter((t) => t.id !== handle)),
  };
  return {
    timers: api,
    now: () => new Date(now),
    pending: () => timers.length,
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

describe("nextFireTime", () => {
  it.each([
    ["0 9 ? * MON-FRI *", "2026-11-27T10:00:00Z", "2026-11-30T09:00:00.000Z"], // Friday after 9 -> Monday
    ["0 9 ? * MON-FRI *", "2026-11-30T08:59:59Z", "2026-11-30T09:00:00.000Z"],
    ["0/15 * * * ? *", "2026-11-27T10:15:00Z", "2026-11-27T10:30:00.000Z"], // strictly after
    ["0 12 L * ? *", "2026-11-27T10:00:00Z", "2026-11-30T12:00:00.000Z"], // last day of the month
  ])("cron %s after %s is %s", (cron, after, next) => {
    expect(nextFireTime({ expression: `cron(${cron})`, cron }, new Date(after), new Date(0)).toISOString()).toBe(next);
  });

  it("a rate counts whole intervals from its anchor", () => {
    const anchor = new Date("2026-11-27T10:00:00Z");
    expect(nextFireTime({ expression: "rate(5 minutes)", seconds: 300 }, new Date("2026-11-27T10:07:00Z"), anchor).toISOString()).toBe(
      "2026-11-27T10:10:00.000Z",
    );
    expect(nextFireTime({ expression: "rate(5 minutes)", seconds: 300 }, anchor, anchor).toISOString()).toBe("2026-11-27T10:05:00.000Z");
  });
});

describe("LocalScheduler", () => {
  it("fires each scheduled job at its times with { ts } and an id per fire; unscheduled jobs get no timer", () => {
    const time = virtualTime("2026-11-27T08:58:00Z");
    const fired: IncomingEvent[] = [];
    const scheduler = new LocalScheduler({ fire: async (e) => void fired.push(e), now: time.now, timers: time.timers });
    scheduler.sync(plans);
    expect(time.pending()).toBe(2);
    expect(scheduler.next("daily-report")?.toISOString()).toBe("2026-11-27T09:00:00.000Z");
    expect(scheduler.next("heartbeat")?.toISOString()).toBe("2026-11-27T09:03:00.000Z");
    expect(scheduler.next("fulfil-order")).toBeUndefined();

    time.advance(11 * 60 * 1000);
    expect(fired.map((e) => [e.name, e.payload])).toEqual([
      ["stepjobs.schedule.daily-report", { ts: "2026-11-27T09:00:00.000Z" }],
      ["stepjobs.schedule.heartbeat", { ts: "2026-11-27T09:03:00.000Z" }],
      ["stepjobs.schedule.heartbeat", { ts: "2026-11-27T09:08:00.000Z" }],
    ]);
    expect(fired[0]).toEqual({
      id: "schedule-daily-report-20261127T090000000Z",
      name: "stepjobs.schedule.daily-report",
      source: "stepjobs.scheduler",
      timestamp: "2026-11-27T09:00:00.000Z",
      payload: { ts: "2026-11-27T09:00:00.000Z" },
    });
    expect(scheduler.next("daily-report")?.toISOString()).toBe("2026-11-30T09:00:00.000Z");
  });

  it("a job whose schedule is removed by a reload stops firing; stop() clears every timer", () => {
    const time = virtualTime("2026-11-27T08:58:00Z");
    const fired: string[] = [];
    const scheduler = new LocalScheduler({ fire: async (e) => void fired.push(e.name), now: time.now, timers: time.timers });
    scheduler.sync(plans);
    scheduler.sync(plans.filter((p) => p.id !== "heartbeat"));
    time.advance(10 * 60 * 1000);
    expect(fired).toEqual(["stepjobs.schedule.daily-report"]);
    scheduler.stop();
    expect(time.pending()).toBe(0);
  });

  it("the event id is the same for the same job and time, so a fire is ingested once", () => {
    const at = new Date("2026-11-27T09:00:00Z");
    expect(scheduledEvent(plan("daily-report"), at).id).toBe(scheduledEvent(plan("daily-report"), at).id);
    expect(scheduledEvent(plan("heartbeat"), at).id).not.toBe(scheduledEvent(plan("daily-report"), at).id);
  });
});
