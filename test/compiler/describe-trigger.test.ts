import { describe, expect, it } from "vitest";
import { describeTrigger } from "../../lib/compiler/describe-trigger.ts";
import { schedulePlan } from "../../lib/compiler/schedule.ts";

describe("describeTrigger: what starts a job, as synth and dev print it", () => {
  it.each([
    ["an event", { event: "my.event", schema: {} }, '"my.event"'],
    ["an event from a source", { event: "order.paid", source: "shop", schema: {} }, '"order.paid" from "shop"'],
    [
      "a filter, as the rule's compiled payload pattern",
      { event: "order.created", schema: {}, filter: { status: ["paid"], amount: [{ $between: [1, 9] }] } },
      '"order.created" where {"status":["paid"],"amount":[{"numeric":[">=",1,"<=",9]}]}',
    ],
    ["a filter that constrains nothing", { event: "order.created", schema: {}, filter: { status: [] } }, '"order.created"'],
    [
      "a schedule",
      { event: "stepjobs.schedule.j", source: "stepjobs.scheduler", schema: {}, schedule: schedulePlan({ seconds: 300 }) },
      "rate(5 minutes)",
    ],
  ])("%s", (_name, trigger, text) => {
    expect(describeTrigger(trigger as never)).toBe(text);
  });
});
