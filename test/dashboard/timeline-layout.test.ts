import { describe, expect, it } from "vitest";
import type { Run, RunStep } from "../../lib/dashboard/view/api-types.ts";
import { axisTicks, layoutTimeline, tickStep } from "../../lib/dashboard/view/timeline-layout.ts";

const T0 = Date.parse("2024-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** The tutorial run: process-incoming-data fails once, waits 1 s, succeeds; then send-confirmation. */
const tutorialRun: Run = {
  id: "run-1",
  jobId: "my-first-workflow",
  eventId: "evt-1",
  status: "SUCCEEDED",
  startedAt: at(0),
  completedAt: at(2000),
  tasks: [
    {
      id: "process-incoming-data",
      status: "SUCCEEDED",
      attempts: [
        {
          number: 1,
          status: "FAILED",
          startedAt: at(100),
          endedAt: at(200),
          error: { name: "Error", message: "Simulated transient error during processing!" },
        },
        { number: 2, status: "SUCCEEDED", startedAt: at(1200), endedAt: at(1300), error: null },
      ],
    },
    {
      id: "send-confirmation",
      status: "SUCCEEDED",
      attempts: [{ number: 1, status: "SUCCEEDED", startedAt: at(1400), endedAt: at(1500), error: null }],
    },
  ],
  logs: [
    { level: "info", message: "Received 'my.event' payload", at: at(50), taskId: null, attempt: null },
    { level: "warn", message: "Simulating a temporary failure for attempt 1...", at: at(150), taskId: "process-incoming-data", attempt: 1 },
    { level: "info", message: "Data processed successfully!", at: at(1250), taskId: "process-incoming-data", attempt: 2 },
    { level: "info", message: "Sending confirmation for: hi", at: at(1450), taskId: "send-confirmation" },
  ],
};

describe("layoutTimeline places every attempt and wait on one shared axis", () => {
  it("lays out the tutorial run exactly", () => {
    const logs = tutorialRun.logs!;
    expect(layoutTimeline(tutorialRun, T0 + 99_999)).toEqual({
      startMs: T0,
      spanMs: 2000,
      ticks: [
        { atPct: 0, label: "0" },
        { atPct: 25, label: "500 ms" },
        { atPct: 50, label: "1 s" },
        { atPct: 75, label: "1.5 s" },
        { atPct: 100, label: "2 s" },
      ],
      rows: [
        {
          taskId: "process-incoming-data",
          status: "SUCCEEDED",
          attempts: [
            {
              number: 1,
              status: "FAILED",
              startPct: 5,
              widthPct: 5,
              durationMs: 100,
              startedAt: at(100),
              open: false,
              error: { name: "Error", message: "Simulated transient error during processing!" },
              logs: [logs[1]],
            },
            {
              number: 2,
              status: "SUCCEEDED",
              startPct: 60,
              widthPct: 5,
              durationMs: 100,
              startedAt: at(1200),
              open: false,
              error: null,
              logs: [logs[2]],
            },
          ],
          waits: [{ afterAttempt: 1, startPct: 10, widthPct: 50, durationMs: 1000, open: false }],
        },
        {
          taskId: "send-confirmation",
          status: "SUCCEEDED",
          attempts: [
            {
              number: 1,
              status: "SUCCEEDED",
              startPct: 70,
              widthPct: 5,
              durationMs: 100,
              startedAt: at(1400),
              open: false,
              error: null,
              logs: [logs[3]],
            },
          ],
          waits: [],
        },
      ],
      steps: [],
      runLogs: [logs[0]],
    });
  });

  it("while a task waits to retry, the wait is open up to now and the axis ends at now", () => {
    const layout = layoutTimeline(
      {
        startedAt: at(0),
        completedAt: null,
        tasks: [
          {
            id: "process-incoming-data",
            status: "RETRYING",
            attempts: [{ number: 1, status: "FAILED", startedAt: at(100), endedAt: at(200), error: { name: "Error", message: "boom" } }],
          },
        ],
        logs: [],
      },
      T0 + 1000,
    );
    expect(layout.spanMs).toBe(1000);
    expect(layout.rows[0]?.waits).toEqual([{ afterAttempt: 1, startPct: 20, widthPct: 80, durationMs: 800, open: true }]);
  });

  it("a running attempt is open and drawn up to now", () => {
    const layout = layoutTimeline(
      {
        startedAt: at(0),
        tasks: [{ id: "t", status: "RUNNING", attempts: [{ number: 1, status: "RUNNING", startedAt: at(250), endedAt: null }] }],
      },
      T0 + 500,
    );
    expect(layout.rows[0]?.attempts[0]).toMatchObject({ startPct: 50, widthPct: 50, durationMs: 250, open: true });
    expect(layout.rows[0]?.waits).toEqual([]);
  });

  it("a failed last attempt of a task that failed for good has no wait after it", () => {
    const layout = layoutTimeline(
      {
        startedAt: at(0),
        completedAt: at(400),
        tasks: [
          {
            id: "t",
            status: "FAILED",
            attempts: [{ number: 1, status: "FAILED", startedAt: at(0), endedAt: at(100), error: { name: "E", message: "m" } }],
          },
        ],
      },
      T0 + 5000,
    );
    expect(layout.rows[0]?.waits).toEqual([]);
    expect(layout.spanMs).toBe(400);
  });
});

describe("layoutTimeline draws waits and sent events where they ran", () => {
  const step = (
    key: string,
    kind: "wait" | "event",
    status: RunStep["status"],
    startedAt: string | null,
    endedAt: string | null,
  ): RunStep => ({
    kind,
    id: key.replace(/^[^:]*:/, "").replace(/#.*$/, ""),
    key,
    index: 0,
    stateName: kind === "wait" ? "Sleep" : "SendEvent",
    status,
    startedAt,
    endedAt,
    wakeAt: null,
    eventId: null,
    error: null,
  });

  it("a finished wait and event on the shared axis, in start order; a step without recorded times is left out", () => {
    const layout = layoutTimeline(
      {
        startedAt: at(0),
        completedAt: at(1000),
        tasks: [{ id: "t", status: "SUCCEEDED", attempts: [{ number: 1, status: "SUCCEEDED", startedAt: at(0), endedAt: at(100) }] }],
        steps: [
          step("event:notify#0", "event", "SUCCEEDED", at(900), at(950)),
          step("wait:cool-off#0", "wait", "SUCCEEDED", at(100), at(900)),
          step("wait:old#0", "wait", "SUCCEEDED", null, null),
        ],
      },
      T0 + 5000,
    );
    expect(layout.steps).toEqual([
      {
        key: "wait:cool-off#0",
        kind: "wait",
        id: "cool-off",
        status: "SUCCEEDED",
        startedAt: at(100),
        startPct: 10,
        widthPct: 80,
        durationMs: 800,
        open: false,
      },
      {
        key: "event:notify#0",
        kind: "event",
        id: "notify",
        status: "SUCCEEDED",
        startedAt: at(900),
        startPct: 90,
        widthPct: 5,
        durationMs: 50,
        open: false,
      },
    ]);
  });

  it("a wait in progress is open up to now, and the axis reaches now", () => {
    const layout = layoutTimeline(
      { startedAt: at(0), completedAt: null, tasks: [], steps: [step("wait:cool-off#0", "wait", "WAITING", at(200), null)] },
      T0 + 2000,
    );
    expect(layout.spanMs).toBe(2000);
    expect(layout.steps[0]).toMatchObject({ startPct: 10, widthPct: 90, durationMs: 1800, open: true });
  });
});

describe("axis ticks", () => {
  it.each([
    [1, 1],
    [2000, 500],
    [2501, 1000],
    [60_000, 15_000],
    [3_600_000, 900_000],
  ])("a %s ms span gets a tick every %s ms", (span, step) => {
    expect(tickStep(span)).toBe(step);
  });
  it("labels offsets from the start", () => {
    expect(axisTicks(4000).map((t) => t.label)).toEqual(["0", "1 s", "2 s", "3 s", "4 s"]);
  });
});
