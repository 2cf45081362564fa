import { describe, expect, it } from "vitest";
import { displayStatus, elapsedMs, formatAgo, formatDuration, shortId, statusLabel } from "../../lib/dashboard/view/format.ts";

describe("formatDuration reads in the unit a person expects", () => {
  it.each([
    [0, "0 ms"],
    [-5, "0 ms"],
    [Number.NaN, "0 ms"],
    [7, "7 ms"],
    [842.4, "842 ms"],
    [1000, "1 s"],
    [1240, "1.24 s"],
    [1006, "1.01 s"],
    [12_500, "12.5 s"],
    [59_940, "59.9 s"],
    [125_000, "2 m 05 s"],
    [3_720_000, "1 h 02 m"],
  ])("%s ms -> %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("time helpers", () => {
  const t0 = Date.parse("2024-01-01T00:00:00.000Z");
  it("elapsedMs runs to now while there is no end", () => {
    expect(elapsedMs("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:01.500Z", t0 + 9999)).toBe(1500);
    expect(elapsedMs("2024-01-01T00:00:00.000Z", null, t0 + 2500)).toBe(2500);
    expect(elapsedMs("not a date", null, t0)).toBe(0);
  });
  it.each([
    [1_000, "just now"],
    [42_000, "42 s ago"],
    [5 * 60_000 + 10, "5 m ago"],
    [3 * 3_600_000, "3 h ago"],
    [2 * 86_400_000, "2 d ago"],
  ])("formatAgo(%s ms earlier) = %s", (ms, text) => {
    expect(formatAgo("2024-01-01T00:00:00.000Z", t0 + ms)).toBe(text);
  });
  it("shortId keeps both ends of a long id", () => {
    expect(shortId("run_0123456789abcdef0123")).toBe("run_0123…cdef0123");
    expect(shortId("run_1")).toBe("run_1");
  });
});

describe("the status a run is shown with", () => {
  it.each([
    ["RUNNING", ["RETRYING"], "RETRYING"],
    ["RUNNING", ["SUCCEEDED", "RUNNING"], "RUNNING"],
    ["SUCCEEDED", ["SUCCEEDED"], "SUCCEEDED"],
    ["FAILED", ["FAILED"], "FAILED"],
  ] as const)("%s with tasks %j -> %s", (status, tasks, shown) => {
    expect(displayStatus({ status, tasks: tasks.map((s) => ({ id: "t", status: s, attempts: [] })) })).toBe(shown);
  });
  it("labels a status in sentence case", () => {
    expect(statusLabel("RETRYING")).toBe("Retrying");
  });
});
