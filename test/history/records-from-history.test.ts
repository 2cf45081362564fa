import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { recordsFromHistory } from "../../lib/history/records-from-history.ts";
import { runDetailView } from "../../lib/local/api-views.ts";
import alwaysFails from "../fixtures/histories/always-fails.json" with { type: "json" };
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };

// Fixtures follow the HistoryEvent shapes of https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
// for this project's compiled machines: timestamps in epoch seconds (raw API JSON), Lambda causes as JSON strings.
const events = (fixture: { events: unknown[] }) => fixture.events as HistoryEvent[];

describe("recordsFromHistory: a cloud run reads like a local one", () => {
  it("the tutorial run: a throttle is not an attempt, attempt 1 failed, attempt 2 succeeded, then send-confirmation", () => {
    const { run, attempts } = recordsFromHistory(events(tutorial), { jobId: "my-first-workflow", jobVersion: "1.0.0" });
    const view = runDetailView(run, attempts, [], undefined);
    expect(view.status).toBe("SUCCEEDED");
    expect(view.id).toBe("my-first-workflow--01M88EVENT");
    expect(view.eventId).toBe("01M88EVENT");
    expect(view.startedAt).toBe("2026-11-25T10:00:00.000Z");
    expect(view.payload).toEqual({ message: "Hello via curl!", shouldFail: true });
    expect(view.tasks).toEqual([
      {
        id: "process-incoming-data",
        key: "process-incoming-data#0",
        stateName: "DynamicTask",
        status: "SUCCEEDED",
        attempts: [
          {
            number: 1,
            status: "FAILED",
            startedAt: "2026-11-25T10:00:02.082Z",
            endedAt: "2026-11-25T10:00:02.122Z",
            // The Lambda's trace (here, a bundle without source maps) is the stack.
            error: { name: "Error", message: "Simulated transient error during processing!", stack: "at /var/task/index.mjs:1:2041" },
          },
          { number: 2, status: "SUCCEEDED", startedAt: "2026-11-25T10:00:03.082Z", endedAt: "2026-11-25T10:00:03.122Z", error: null },
        ],
        output: { status: "processed", originalMessage: "Hello via curl!" },
      },
      {
        id: "send-confirmation",
        key: "send-confirmation#0",
        stateName: "DynamicTask",
        status: "SUCCEEDED",
        attempts: [
          { number: 1, status: "SUCCEEDED", startedAt: "2026-11-25T10:00:03.144Z", endedAt: "2026-11-25T10:00:03.184Z", error: null },
        ],
        output: { confirmationSent: true },
      },
    ]);
  });

  it("a task that always fails: both attempts, the Catch, and the run FAILED with the task's error", () => {
    const { run, attempts } = recordsFromHistory(events(alwaysFails), { jobId: "always-fails", jobVersion: "1.0.0" });
    const view = runDetailView(run, attempts, [], undefined);
    expect(view.status).toBe("FAILED");
    expect(view.error).toEqual({ name: "UpstreamError", message: "upstream returned 503 on attempt 2" });
    expect(view.tasks.map((t) => [t.id, t.status, t.attempts.map((a) => [a.number, a.status, a.error?.message ?? null])])).toEqual([
      [
        "flaky-api",
        "FAILED",
        [
          [1, "FAILED", "upstream returned 503 on attempt 1"],
          [2, "FAILED", "upstream returned 503 on attempt 2"],
        ],
      ],
    ]);
    // Plan's replay after the Catch is not a task attempt.
    expect(attempts).toHaveLength(2);
  });

  it("a crashed function (Lambda.Unknown) is an attempt; only the service-error retrier's errors are not", () => {
    const crashed = events(tutorial).map((e) =>
      e.type === "TaskFailed" && e.taskFailedEventDetails?.error === "Error"
        ? {
            ...e,
            taskFailedEventDetails: { ...e.taskFailedEventDetails, error: "Lambda.Unknown", cause: "The function ran out of memory" },
          }
        : e,
    );
    const { attempts } = recordsFromHistory(crashed, { jobId: "my-first-workflow", jobVersion: "1.0.0" });
    expect(attempts.map((a) => [a.taskId, a.number, a.status, a.error])).toEqual([
      ["process-incoming-data", 1, "FAILED", { name: "Lambda.Unknown", message: "The function ran out of memory" }],
      ["process-incoming-data", 2, "SUCCEEDED", null],
      ["send-confirmation", 1, "SUCCEEDED", null],
    ]);
  });

  it("refuses a history that is not a stepjobs run", () => {
    expect(() => recordsFromHistory([], { jobId: "j", jobVersion: "1" })).toThrow(
      "the history has no ExecutionStarted event with a stepjobs run input",
    );
  });
});
