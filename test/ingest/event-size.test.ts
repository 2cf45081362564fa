import { describe, expect, it } from "vitest";
import { EventTooLargeError } from "../../lib/ingest/errors.ts";
import { checkEventFits, MAX_EXECUTION_INPUT_BYTES, putEventsEntrySize } from "../../lib/ingest/event-size.ts";
import type { NormalizedEvent } from "../../lib/ingest/types.ts";

/** The 256 KiB limits an accepted event must fit: a PutEvents entry, and each run's execution input. */
const event = (payload: unknown, name = "n"): NormalizedEvent => ({
  id: "e1",
  name,
  source: "stepjobs",
  timestamp: "2026-11-30T00:00:00.000Z",
  payload,
});

describe("putEventsEntrySize (EventBridge's rule: Time 14 bytes + Source + DetailType + Detail, UTF-8)", () => {
  it('counts 14 + "stepjobs" (8) + "n" (1) + the 66-byte detail {"id":"e1","timestamp":...,"payload":"abc"} = 89', () => {
    expect(putEventsEntrySize(event("abc"))).toBe(89);
  });
  it("counts UTF-8 bytes, not characters: each é is 2 bytes", () => {
    expect(putEventsEntrySize(event("ééé")) - putEventsEntrySize(event("abc"))).toBe(3);
  });
});

describe("checkEventFits", () => {
  // The run input {"runId":"job--e1","event":{"id":"e1","name":"n","timestamp":...,"payload":"..."}} is 102 bytes + the payload's characters.
  const fill = (total: number) => "x".repeat(total - 102);

  it("an event whose run input is exactly 256 KiB fits", () => {
    expect(() => checkEventFits(event(fill(MAX_EXECUTION_INPUT_BYTES)), ["job--e1"])).not.toThrow();
  });

  it("one byte more: EventTooLargeError naming the run, the size and the quota", () => {
    const call = () => checkEventFits(event(fill(MAX_EXECUTION_INPUT_BYTES + 1)), ["job--e1"]);
    expect(call).toThrow(EventTooLargeError);
    expect(call).toThrow(
      "the input of run job--e1 would be 262145 bytes; Step Functions' execution input quota is 262144 bytes: send a reference to large data (an S3 key) instead",
    );
  });

  it("an entry over 256 KiB is refused even with no job listening (the cloud API would fail PutEvents)", () => {
    const payload = "x".repeat(262_144 - 85); // 86 bytes around the payload (see above, less "abc")
    expect(putEventsEntrySize(event(payload))).toBe(262_145);
    expect(() => checkEventFits(event(payload), [])).toThrow(
      "the event as an EventBridge entry would be 262145 bytes; EventBridge's PutEvents entry limit is 262144 bytes: send a reference to large data (an S3 key) instead",
    );
  });
});
