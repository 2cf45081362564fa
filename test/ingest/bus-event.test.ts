import { describe, expect, it } from "vitest";
import { fromBusEvent, toBusEvent, toPutEventsEntry } from "../../lib/ingest/bus-event.ts";
import { matchEventPattern, eventPatternFor } from "../../lib/ingest/event-pattern.ts";
import type { NormalizedEvent } from "../../lib/ingest/types.ts";

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
