// Execution-name rules: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
import { describe, expect, it } from "vitest";
import { MAX_EXECUTION_NAME_LENGTH, newEventId, runIdFor } from "../../lib/ingest/run-id.ts";

const VALID_NAME = /^[A-Za-z0-9_-]{1,80}$/;

describe("newEventId", () => {
  it("encodes the time in 10 Crockford characters and 16 random ones", () => {
    const zeros = (n: number) => new Uint8Array(n);
    expect(newEventId(0, zeros)).toBe("00000000000000000000000000");
    expect(newEventId(Date.UTC(2026, 10, 25, 3, 0, 0), zeros)).toBe("01M88AAMW00000000000000000");
    expect(newEventId(1, (n) => new Uint8Array(n).fill(31))).toBe("0000000001ZZZZZZZZZZZZZZZZ");
  });

  it("sorts by creation time as a plain string", () => {
    const ids = [3, 1_000, 1_700_000_000_000, 1_800_000_000_000].map((t) => newEventId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("is URL-safe, a valid execution name and random in its tail", () => {
    const a = newEventId();
    const b = newEventId();
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(encodeURIComponent(a)).toBe(a);
    expect(a).not.toBe(b);
  });

  it("rejects a negative or fractional clock", () => {
    expect(() => newEventId(-1)).toThrow("newEventId: time must be a non-negative integer, got -1");
    expect(() => newEventId(1.5)).toThrow("newEventId: time must be a non-negative integer, got 1.5");
  });
});

describe("runIdFor", () => {
  it.each([
    ["my-first-workflow", "01KAWD2SC0ABCDEFGHJKMNPQRS", "my-first-workflow--01KAWD2SC0ABCDEFGHJKMNPQRS"],
    ["job_1", "evt-1", "job_1--evt-1"],
    ["a", "--b", "a----b"],
  ])("is readable when %s + %s fits: %s", (jobId, eventId, expected) => {
    expect(runIdFor(jobId, eventId)).toBe(expected);
  });

  it.each([
    ["a job with spaces", "evt 1"],
    ["job.with.dots", "e"],
    ["job", "evt/with/slashes"],
    ["a--b", "c"],
    ["a-", "-b"],
    ["j".repeat(40), "e".repeat(39)],
    ["ünïcødé", "✓"],
    ["x".repeat(200), "01KAWD2SC0ABCDEFGHJKMNPQRS"],
    ["---", "e"],
    ["!!!", "?"],
  ])("falls back to a hash for %j + %j", (jobId, eventId) => {
    const id = runIdFor(jobId, eventId);
    expect(id).toMatch(VALID_NAME);
    expect(id).toMatch(/_?[0-9a-f]{32}$/);
    expect(id).not.toContain("--");
    expect(runIdFor(jobId, eventId)).toBe(id);
  });

  it("keeps a readable slug of the job id in front of the hash", () => {
    expect(runIdFor("job.with.dots", "e")).toMatch(/^job_with_dots_[0-9a-f]{32}$/);
    expect(runIdFor("!!!", "?")).toMatch(/^__[0-9a-f]{32}$/);
    expect(runIdFor("x".repeat(200), "e")).toBe(`${"x".repeat(47)}_${runIdFor("x".repeat(200), "e").slice(-32)}`);
  });

  it("uses the readable form up to exactly 80 characters", () => {
    const jobId = "j".repeat(40);
    const eventId = "e".repeat(MAX_EXECUTION_NAME_LENGTH - 42);
    expect(runIdFor(jobId, eventId)).toBe(`${jobId}--${eventId}`);
    expect(runIdFor(jobId, eventId)).toHaveLength(80);
    expect(runIdFor(jobId, `${eventId}e`)).toBe(`${jobId}_${runIdFor(jobId, `${eventId}e`).slice(-32)}`);
  });

  it("gives different ids to pairs that a naive join or sanitizer would merge", () => {
    const pairs: [string, string][] = [
      ["a--b", "c"],
      ["a", "b--c"],
      ["a-", "-b"],
      ["a", "--b"],
      ["a.b", "c"],
      ["a_b", "c"],
      ["a b", "c"],
      ["a", "b c"],
      ["a b", "c "],
      ["x".repeat(60), "e1"],
      ["x".repeat(60), "e2"],
    ];
    const ids = pairs.map(([j, e]) => runIdFor(j, e));
    expect(new Set(ids).size).toBe(pairs.length);
    for (const id of ids) expect(id).toMatch(VALID_NAME);
  });

  it("rejects empty ids", () => {
    expect(() => runIdFor("", "e")).toThrow("runIdFor: jobId must be a non-empty string");
    expect(() => runIdFor("j", "")).toThrow("runIdFor: eventId must be a non-empty string");
  });
});
