import { describe, expect, it } from "vitest";
import type { AttemptEnd } from "../../lib/local/run-observer.ts";
import { escapeControls, TerminalFormat } from "../../lib/local/terminal.ts";

/** The attempt line of `stepjobs dev`: what happens next, in words that are true for each case. */
const format = new TerminalFormat(false);
const failed = (extra: Partial<AttemptEnd>): AttemptEnd => ({
  runId: "r1",
  taskKey: "charge#0",
  taskId: "charge",
  stateName: "charge",
  number: 2,
  startedAt: "2026-12-04T10:00:00.000Z",
  endedAt: "2026-12-04T10:00:00.250Z",
  status: "FAILED",
  error: { name: "PaymentError", message: "card declined" },
  retry: null,
  ...extra,
});

describe("TerminalFormat.attempt", () => {
  it.each([
    [{ retry: { waitSeconds: 2, intervalSeconds: 2, jitter: false } }, "retrying in 2 s"],
    [{ retry: { waitSeconds: 4, intervalSeconds: 4, jitter: true } }, "retrying in up to 4 s"],
    [{ stop: "exhausted" as const }, "no retries left"],
    [{ stop: "non-retriable" as const }, "not retried: PaymentError is never retried"],
    [{ stop: "single-attempt" as const }, "not retried: the task allows 1 attempt"],
    [{ stop: "not-in-retryOn" as const }, "not retried: its retryOn does not list PaymentError"],
    [{ stop: "runner-decides" as const }, "its retry policy decides next (a dynamic task id: the runner retries it)"],
  ])("%j ends with: %s", (extra, ending) => {
    expect(format.attempt("pay", failed(extra))).toBe(
      `[pay r1 charge#2] attempt 2 failed in 250 ms: PaymentError: card declined — ${ending}`,
    );
  });
});

describe("escaping what comes from payloads, logs and errors", () => {
  const log = (message: string, data?: unknown) =>
    format.log("pay", "r1", { level: "info", message, ...(data === undefined ? {} : { data }), at: "2026-12-04T10:00:00.000Z" });

  it("escape sequences, line breaks, C1 controls and bidi overrides print as escapes", () => {
    expect(escapeControls("a\u001b[2Jb\r\nc\td\u009be\u202ef")).toBe("a\\u001b[2Jb\\r\\nc\\td\\u009be\\u202ef");
    expect(log("card \u001b[31mdeclined\r\n[pay r1] info  forged")).toBe(
      "[pay r1] info  card \\u001b[31mdeclined\\r\\n[pay r1] info  forged",
    );
    expect(log("payload", { note: "\u009b2J" })).toBe('[pay r1] info  payload {"note":"\\u009b2J"}');
  });

  it("in a task's error, its task id and its fields", () => {
    const line = format.attempt(
      "pay",
      failed({ taskId: "fetch-\u001b[2J", error: { name: "E", message: "bad\nline", fields: { raw: "\u0007" } }, stop: "exhausted" }),
    );
    expect(line).toBe('[pay r1 fetch-\\u001b[2J#2] attempt 2 failed in 250 ms: E: bad\\nline {"raw":"\\u0007"} — no retries left');
  });
});
