import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { recordsFromHistory } from "../../lib/history/records-from-history.ts";
import { runDetailView } from "../../lib/local/api-views.ts";
import alwaysFails from "../fixtures/histories/always-fails.json" with { type: "json" };
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };
import { FULFIL_ORDER_STATES_ENTERED } from "../helpers/steps-expectations.ts";

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
        stateName: "process-incoming-data",
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
        stateName: "send-confirmation",
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

  it("fulfil-order: Map iterations interleaved, a Wait and a PutEvents state: each attempt in its own iteration, the steps timed, the states entered", () => {
    const { run, attempts, steps } = recordsFromHistory(fulfilOrderHistory(), { jobId: "fulfil-order", jobVersion: "1.0.0" });
    expect(attempts.map((a) => [a.taskKey, a.stateName, a.number, a.status, a.startedAt, a.endedAt])).toEqual([
      ["reserve-stock#0", "reserve-stock (parallel)", 1, "SUCCEEDED", at(12), at(14)],
      ["charge-card#0", "charge-card (parallel)", 1, "FAILED", at(13), at(15)],
      ["charge-card#0", "charge-card (parallel)", 2, "SUCCEEDED", at(16), at(17)],
    ]);
    expect(steps).toEqual([
      { runId: RUN_ID, key: "wait:cool-off#0", stateName: "Sleep", startedAt: at(27), endedAt: at(28) },
      { runId: RUN_ID, key: "event:notify#0", stateName: "SendEvent", startedAt: at(33), endedAt: at(36) },
    ]);
    expect(run.statesEntered).toEqual([...FULFIL_ORDER_STATES_ENTERED]);
    const view = runDetailView(run, attempts, [], undefined, steps);
    // The PutEvents state is a step, not a task.
    expect(view.tasks.map((t) => t.id)).toEqual(["reserve-stock", "charge-card"]);
    expect(view.steps.map((st) => [st.key, st.stateName, st.status, st.startedAt, st.endedAt])).toEqual([
      ["wait:cool-off#0", "Sleep", "SUCCEEDED", at(27), at(28)],
      ["event:notify#0", "SendEvent", "SUCCEEDED", at(33), at(36)],
    ]);
    expect(view.statesEntered).toEqual(run.statesEntered);
  });

  it("refuses a history that is not a stepjobs run", () => {
    expect(() => recordsFromHistory([], { jobId: "j", jobVersion: "1" })).toThrow(
      "the history has no ExecutionStarted event with a stepjobs run input",
    );
  });
});

const RUN_ID = "fulfil-order--o-1";
/** Event `n`'s time: one second apart from 2026-11-25T10:00:00Z. */
const at = (n: number) => new Date(Date.UTC(2026, 10, 25, 10, 0, n)).toISOString();

/**
 * A history of fulfil-order as Step Functions writes it (epoch-second timestamps, ids chained by previousEventId):
 * the two Map iterations interleave, charge-card fails once and is retried inside its iteration, then the Wait
 * and the PutEvents states run.
 */
function fulfilOrderHistory(): HistoryEvent[] {
  const event = { id: "o-1", name: "order.placed", timestamp: at(0), payload: { orderId: "o-1", coolOffSeconds: 1 } };
  const base = { runId: RUN_ID, event };
  const reserve = { key: "reserve-stock#0", task: "reserve-stock", index: 0 };
  const charge = { key: "charge-card#0", task: "charge-card", index: 1 };
  const wait = { key: "wait:cool-off#0", task: "cool-off", index: 2, kind: "wait", seconds: 1 };
  const send = { key: "event:notify#0", task: "notify", index: 3, kind: "event" };
  const done = {
    ...base,
    status: "succeeded",
    output: { ok: true },
    memo: [
      { key: reserve.key, id: reserve.task, ok: true, result: { reserved: true } },
      { key: charge.key, id: charge.task, ok: true, result: { charged: 42 } },
      { key: wait.key, id: wait.task, kind: "wait", ok: true },
      { key: send.key, id: send.task, kind: "event", ok: true, result: { id: "fulfil-order--o-1:event:notify#0" } },
    ],
  };
  const json = (value: unknown) => JSON.stringify(value);
  const entered = (type: string, name: string, input: unknown) => ({ type, stateEnteredEventDetails: { name, input: json(input) } });
  const exited = (type: string, name: string, output: unknown) => ({ type, stateExitedEventDetails: { name, output: json(output) } });
  const lambda = { resourceType: "lambda", resource: "invoke" };
  // [event number, previous event number, fields]
  const rows: [number, number, Record<string, unknown>][] = [
    [1, 0, { type: "ExecutionStarted", executionStartedEventDetails: { input: json(base) } }],
    [2, 1, entered("TaskStateEntered", "Plan", base)],
    [3, 2, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [4, 3, { type: "TaskSucceeded" }],
    [5, 4, exited("TaskStateExited", "Plan", { ...base, status: "parallel", memo: [], batch: [reserve, charge] })],
    [6, 5, entered("ChoiceStateEntered", "Route", { ...base, status: "parallel" })],
    [7, 6, entered("MapStateEntered", "Parallel", { ...base, status: "parallel" })],
    [8, 7, entered("ChoiceStateEntered", "Parallel Route", { ...base, branch: true, next: reserve })],
    [9, 8, entered("TaskStateEntered", "reserve-stock (parallel)", { ...base, branch: true, next: reserve })],
    [10, 7, entered("ChoiceStateEntered", "Parallel Route", { ...base, branch: true, next: charge })],
    [11, 10, entered("TaskStateEntered", "charge-card (parallel)", { ...base, branch: true, next: charge })],
    [12, 9, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [13, 11, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [14, 12, { type: "TaskSucceeded" }],
    [15, 13, { type: "TaskFailed", taskFailedEventDetails: { ...lambda, error: "Error", cause: "card declined, try again" } }],
    [16, 15, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [17, 16, { type: "TaskSucceeded" }],
    [18, 14, exited("TaskStateExited", "reserve-stock (parallel)", {})],
    [19, 17, exited("TaskStateExited", "charge-card (parallel)", {})],
    [20, 19, exited("MapStateExited", "Parallel", {})],
    [21, 20, entered("TaskStateEntered", "Plan", { ...base, status: "parallel" })],
    [22, 21, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [23, 22, { type: "TaskSucceeded" }],
    [24, 23, exited("TaskStateExited", "Plan", { ...base, status: "sleeping", next: wait })],
    [25, 24, entered("ChoiceStateEntered", "Route", { ...base, status: "sleeping", next: wait })],
    [26, 25, exited("ChoiceStateExited", "Route", { ...base, status: "sleeping", next: wait })],
    [27, 26, entered("WaitStateEntered", "Sleep", { ...base, status: "sleeping", next: wait })],
    [28, 27, exited("WaitStateExited", "Sleep", { ...base, status: "sleeping", next: wait })],
    [29, 28, entered("TaskStateEntered", "Plan", { ...base, status: "sleeping", next: wait })],
    [30, 29, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [31, 30, { type: "TaskSucceeded" }],
    [32, 31, entered("ChoiceStateEntered", "Route", { ...base, status: "sending", next: send })],
    [33, 32, entered("TaskStateEntered", "SendEvent", { ...base, status: "sending", next: send })],
    [34, 33, { type: "TaskScheduled", taskScheduledEventDetails: { resourceType: "events", resource: "putEvents" } }],
    [35, 34, { type: "TaskSucceeded" }],
    [36, 35, exited("TaskStateExited", "SendEvent", { ...base, status: "sending", next: send })],
    [37, 36, entered("TaskStateEntered", "Plan", { ...base, status: "sending", next: send })],
    [38, 37, { type: "TaskScheduled", taskScheduledEventDetails: lambda }],
    [39, 38, { type: "TaskSucceeded" }],
    [40, 39, exited("TaskStateExited", "Plan", done)],
    [41, 40, entered("ChoiceStateEntered", "Route", done)],
    [42, 41, entered("SucceedStateEntered", "Succeeded", done)],
    [43, 42, { type: "ExecutionSucceeded", executionSucceededEventDetails: { output: json({ ok: true }) } }],
  ];
  return rows.map(
    ([id, previous, fields]) =>
      ({ id, previousEventId: previous, timestamp: Date.parse(at(id)) / 1000, ...fields }) as unknown as HistoryEvent,
  );
}
