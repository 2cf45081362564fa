import { describe, expect, it } from "vitest";
import { fromBusEvent, toBusEvent, toPutEventsEntry } from "../../lib/ingest/bus-event.ts";
import { matchEventPattern, eventPatternFor } from "../../lib/ingest/event-pattern.ts";
import type { NormalizedEvent } from "../../lib/ingest/types.ts";
import type { JobPlan } from "../../lib/compiler/job-plan.ts";
import { SCHEDULE_SOURCE, scheduleEventId } from "../../lib/compiler/schedule.ts";
import { scheduledEvent } from "../../lib/local/scheduler.ts";

const event: NormalizedEvent = {
  id: "evt1",
  name: "my.event",
  source: "stepjobs",
  payload: { message: "Hello World", shouldFail: true },
  timestamp: "2026-11-25T03:00:00.000Z",
};

describe("bus events", () => {
  it("puts the name in detail-type and the payload in detail", () => {
    expect(toBusEvent(event)).toEqual({
      id: "evt1",
      "detail-type": "my.event",
      source: "stepjobs",
      time: "2026-11-25T03:00:00.000Z",
      detail: { id: "evt1", timestamp: "2026-11-25T03:00:00.000Z", payload: { message: "Hello World", shouldFail: true } },
    });
    expect(matchEventPattern(eventPatternFor({ event: "my.event", schema: {} }), toBusEvent(event))).toBe(true);
  });

  it("builds the PutEvents entry", () => {
    expect(toPutEventsEntry(event, "stepjobs-bus")).toEqual({
      EventBusName: "stepjobs-bus",
      Source: "stepjobs",
      DetailType: "my.event",
      Detail: '{"id":"evt1","timestamp":"2026-11-25T03:00:00.000Z","payload":{"message":"Hello World","shouldFail":true}}',
      Time: new Date("2026-11-25T03:00:00.000Z"),
    });
  });

  it("reads back what the HTTP API put on the bus", () => {
    const delivered = { ...toBusEvent(event), id: "eventbridge-id", time: "2026-11-25T03:00:01Z" };
    expect(fromBusEvent(delivered)).toEqual({
      name: "my.event",
      source: "stepjobs",
      id: "evt1",
      timestamp: "2026-11-25T03:00:00.000Z",
      payload: { message: "Hello World", shouldFail: true },
    });
  });

  it("takes a hand-sent detail as the payload and EventBridge's id as the event id", () => {
    const delivered = {
      version: "0",
      id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      "detail-type": "my.event",
      source: "cli",
      time: "2026-11-25T03:00:00Z",
      detail: { message: "Hello World", shouldFail: false },
    };
    expect(fromBusEvent(delivered)).toEqual({
      name: "my.event",
      source: "cli",
      id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
      timestamp: "2026-11-25T03:00:00Z",
      payload: { message: "Hello World", shouldFail: false },
    });
  });
});

describe("schedule fires (defect: a retried fire started a second run)", () => {
  /** What EventBridge Scheduler puts on the bus for one fire, per its input template in the StepJob construct. */
  const fire = (executionId: string, scheduledTime: string) => ({
    id: executionId,
    "detail-type": "stepjobs.schedule.daily-report",
    source: SCHEDULE_SOURCE,
    time: scheduledTime,
    detail: { timestamp: scheduledTime, payload: { ts: scheduledTime } },
  });

  it("every delivery of one fire has the same event id, derived from the job and the scheduled time", () => {
    const first = fromBusEvent(fire("exec-1", "2026-12-04T09:00:00Z"));
    const retried = fromBusEvent(fire("exec-2-retry", "2026-12-04T09:00:00Z"));
    expect(first.id).toBe("schedule-daily-report-20261204T090000000Z");
    expect(retried.id).toBe(first.id);
    expect(fromBusEvent(fire("exec-3", "2026-12-05T09:00:00Z")).id).toBe("schedule-daily-report-20261205T090000000Z");
  });

  it("the id is the one `stepjobs dev` gives the same fire", () => {
    const plan = { id: "daily-report", trigger: { event: "stepjobs.schedule.daily-report" } } as JobPlan;
    expect(scheduledEvent(plan, new Date("2026-12-04T09:00:00Z")).id).toBe(fromBusEvent(fire("exec-1", "2026-12-04T09:00:00Z")).id);
  });

  it("other sources keep EventBridge's id, and an explicit detail id always wins", () => {
    expect(fromBusEvent({ ...fire("eb-9", "2026-12-04T09:00:00Z"), source: "my.app" }).id).toBe("eb-9");
    expect(scheduleEventId("x", "2026-12-04T09:00:00.000Z")).toBe("schedule-x-20261204T090000000Z");
    const explicit = fire("eb-10", "2026-12-04T09:00:00Z");
    expect(fromBusEvent({ ...explicit, detail: { ...explicit.detail, id: "mine" } }).id).toBe("mine");
  });
});
