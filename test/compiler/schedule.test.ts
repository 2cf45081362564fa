import { describe, expect, it } from "vitest";
import { discoverJobs } from "../../lib/compiler/discover-jobs.ts";
import { cronProblem, intervalProblem, schedulePlan } from "../../lib/compiler/schedule.ts";
import { defined } from "../helpers/defined.ts";

describe("cron expressions, checked as EventBridge Scheduler checks them", () => {
  it.each([
    ["0 9 ? * MON-FRI *"],
    ["0/15 * * * ? *"],
    ["0 12 L * ? *"],
    ["0 9 ? * 2#1 *"],
    ["5,35 14 * JAN-MAR ? 2026-2030"],
    ["0 8 15W * ? *"],
  ])("%s is valid", (cron) => expect(cronProblem(cron)).toBeUndefined());

  it.each([
    ["0 9 * * *", "has 5 fields; AWS cron takes 6: minutes hours day-of-month month day-of-week year"],
    ["0 9 * * * *", "one of day-of-month and day-of-week must be ?, and only one"],
    ["0 9 ? * ? *", "one of day-of-month and day-of-week must be ?, and only one"],
    ["60 9 ? * MON *", "minutes: 60 is outside 0-59"],
    ["0 24 ? * MON *", "hours: 24 is outside 0-23"],
    ["0 9 ? FOO MON *", 'month: "FOO" is not a number or a name'],
    ["0 9 ? * MON 1969", "year: 1969 is outside 1970-2199"],
    ["0/x 9 ? * MON *", 'minutes: "0/x" has a bad step'],
  ])("%s: %s", (cron, problem) => expect(cronProblem(cron)).toBe(problem));
});

describe("intervals", () => {
  it.each([
    [30, "seconds must be from 60 to 604800 (1 minute to 7 days), got 30"],
    [90, "seconds must be whole minutes (EventBridge Scheduler rates are in minutes), got 90"],
    [1.5, "seconds must be an integer, got 1.5"],
    [700_000, "seconds must be from 60 to 604800 (1 minute to 7 days), got 700000"],
  ])("%s: %s", (seconds, problem) => expect(intervalProblem(seconds)).toBe(problem));

  it("valid ones compile to rate(...) in minutes; cron to cron(...)", () => {
    expect(schedulePlan({ seconds: 60 })).toEqual({ expression: "rate(1 minute)", seconds: 60 });
    expect(schedulePlan({ seconds: 7200 })).toEqual({ expression: "rate(120 minutes)", seconds: 7200 });
    expect(schedulePlan({ cron: " 0  9 ? * MON *" })).toEqual({ expression: "cron(0 9 ? * MON *)", cron: "0  9 ? * MON *" });
  });
});

describe("discovery of schedule triggers", () => {
  const job = (trigger: string) => ({
    path: "src/jobs/s.ts",
    text: `client.defineJob({ id: "s", name: "S", version: "1",\n  trigger: ${trigger},\n  run: async (payload, io) => io.runTask("t", async () => payload.ts),\n});\n`,
  });

  it("a valid cronTrigger becomes the job's schedule event, source and { ts } schema", () => {
    const { plans, errors } = discoverJobs([job(`cronTrigger({ cron: "0 9 ? * MON-FRI *" })`)]);
    expect(errors).toEqual([]);
    expect(defined(plans[0]).trigger).toEqual({
      event: "stepjobs.schedule.s",
      source: "stepjobs.scheduler",
      schema: {
        type: "object",
        properties: { ts: { type: "string", description: "ISO-8601 time the schedule fired for" } },
        required: ["ts"],
      },
      schedule: { expression: "cron(0 9 ? * MON-FRI *)", cron: "0 9 ? * MON-FRI *" },
    });
  });

  it.each([
    [
      `cronTrigger({ cron: "0 9 * * *" })`,
      'src/jobs/s.ts:2:24: job "s" cron "0 9 * * *" has 5 fields; AWS cron takes 6: minutes hours day-of-month month day-of-week year',
    ],
    [
      `intervalTrigger({ seconds: 90 })`,
      'src/jobs/s.ts:2:28: job "s" intervalTrigger seconds must be whole minutes (EventBridge Scheduler rates are in minutes), got 90',
    ],
    [`cronTrigger(options)`, 'src/jobs/s.ts:2:24: job "s" cronTrigger takes a literal object so synth can compile the schedule'],
  ])("%s is a synth error at the argument", (trigger, message) => {
    expect(discoverJobs([job(trigger)]).errors.map((e) => e.message)).toEqual([message]);
  });
});
