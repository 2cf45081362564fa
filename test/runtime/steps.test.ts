import { describe, expect, it } from "vitest";
import { type BranchOutcome, nextOf, type RunInput, type RunState } from "../../lib/runtime/run-state.ts";
import { haltAt } from "../../lib/runtime/next-state.ts";
import { redriveState } from "../../lib/runtime/redrive.ts";
import { ALL_STEP_STATES, handleRunnerEvent, type StepMode, stepRun } from "../../lib/runtime/runner-event.ts";
import { readWait, toWaitTimestamp } from "../../lib/runtime/steps.ts";
import { withStatus } from "../helpers/run-states.ts";
import { type Job, TriggerClient } from "../../lib/sdk/client.ts";
import type { LogLine } from "../../lib/sdk/types.ts";
import { defined } from "../helpers/defined.ts";

/** Jobs defined inline: each test states the code it runs. */
const client = new TriggerClient({ id: "steps-test" });
const NOW = new Date("2026-11-25T10:00:00.250Z");
const now = () => NOW;
const input = (payload: unknown = {}): RunInput => ({
  runId: "run-1",
  event: { id: "evt-1", name: "test", timestamp: "2026-11-25T10:00:00.000Z", payload },
});
/** One runner invocation of any state (a `Parallel` item's included), on a machine with every step state. */
const advanceRun = (
  job: Job<any>,
  state: RunInput | RunState,
  mode: StepMode,
  _retryCount: 0,
  options: { now: () => Date; redriveCount?: number },
) => handleRunnerEvent(job, { mode, state, steps: ALL_STEP_STATES, redriveCount: options.redriveCount ?? 0 }, { now: options.now });
const define = (id: string, run: Job<any>["run"]): Job<any> =>
  client.defineJob({ id, name: id, version: "1.0.0", trigger: client.on("test", { schema: { type: "object" } }), run });

/** The stack of an error raised at the job's own call (its `run`, in this file), as the error records it. */
const atRun = expect.stringMatching(/^at Object\.run \(test\/runtime\/steps\.test\.ts:\d+:\d+\)$/);

describe("io.wait", () => {
  const waiter = define("waiter", async (payload: { wait: unknown }, io) => {
    io.logger.info("before");
    await io.wait("pause", payload.wait as never);
    io.logger.info("after");
    return io.runTask("then", async () => "done");
  });

  it("{ seconds } halts the run as sleeping with whole seconds for SecondsPath and the wake time for a restart", async () => {
    const state = await stepRun(waiter, input({ wait: { seconds: 2.5 } }), "plan", 0, { now });
    expect(state).toEqual({
      ...input({ wait: { seconds: 2.5 } }),
      memo: [],
      status: "sleeping",
      next: { key: "wait:pause#0", task: "pause", index: 0, kind: "wait", seconds: 3, wakeAt: "2026-11-25T10:00:04Z" },
    });
  });

  it("after the Sleep state, Plan records the wait as done and replays on to the next task; each log line once", async () => {
    const logs: LogLine[] = [];
    const onLog = (l: LogLine) => void logs.push(l);
    const sleeping = await stepRun(waiter, input({ wait: 60 }), "plan", 0, { now, onLog });
    const woke = await stepRun(waiter, sleeping, "plan", 0, { now, onLog });
    expect(woke.status).toBe("running");
    expect(woke.memo).toEqual([{ key: "wait:pause#0", id: "pause", kind: "wait", ok: true }]);
    expect(nextOf(woke)).toEqual({ key: "then#0", task: "then", index: 1 });
    expect(logs.map((l) => l.message)).toEqual(["before", "after"]);
  });

  it("{ until } in the future halts with an RFC 3339 TimestampPath rounded up to the second; in the past it does not halt", async () => {
    const future = await stepRun(waiter, input({ wait: { until: "2026-11-25T11:30:00.100Z" } }), "plan", 0, { now });
    expect(nextOf(future)).toEqual({ key: "wait:pause#0", task: "pause", index: 0, kind: "wait", wakeAt: "2026-11-25T11:30:01Z" });
    const past = await stepRun(waiter, input({ wait: { until: "2026-11-25T09:00:00Z" } }), "plan", 0, { now });
    expect(past.status).toBe("running");
    expect(past.memo).toEqual([{ key: "wait:pause#0", id: "pause", kind: "wait", ok: true }]);
    const zero = await stepRun(waiter, input({ wait: { seconds: 0 } }), "plan", 0, { now });
    expect(nextOf(zero)).toEqual({ key: "then#0", task: "then", index: 1 });
  });

  it.each([
    [-1, 'io.wait("pause"): seconds must be a finite number >= 0, got -1'],
    [{ seconds: "5" }, 'io.wait("pause"): seconds must be a finite number >= 0, got "5"'],
    [{ seconds: 400 * 24 * 3600 }, 'io.wait("pause"): seconds is 34560000; a run lasts at most one year (31536000 s)'],
    [{ until: "next tuesday" }, 'io.wait("pause"): until must be a Date or an ISO-8601 string, got "next tuesday"'],
    [{ until: "2028-01-01T00:00:00Z" }, 'io.wait("pause"): until is more than a year away; a run lasts at most one year'],
    ["soon", 'io.wait("pause"): duration must be a number of seconds, { seconds } or { until }, got "soon"'],
  ])("wait %j fails the run with InvalidStepError naming the problem", async (wait, message) => {
    const state = await stepRun(waiter, input({ wait }), "plan", 0, { now });
    expect(state.status).toBe("failed");
    expect(withStatus(state, "failed").error).toEqual({
      name: "InvalidStepError",
      message,
      fields: { code: "INVALID_STEP", stepKey: "pause" },
      stack: atRun,
    });
  });

  it("without a Sleep state in the machine (no io.wait in the job's file), the run fails saying where to call it", async () => {
    const state = await stepRun(waiter, input({ wait: 5 }), "plan", 0, { now, steps: [] });
    expect(withStatus(state, "failed").error).toEqual({
      name: "InvalidStepError",
      message:
        "io.wait(\"pause\"): the job's state machine has no Wait state because synth found no io.wait call in the job's file; call it there (not from a helper in another file)",
      fields: { code: "INVALID_STEP", stepKey: "pause" },
      // Raised by the runtime after the job stopped: the only caller left outside stepjobs is this test.
      stack: expect.stringMatching(/^at test\/runtime\/steps\.test\.ts:\d+:\d+$/),
    });
  });

  it("readWait and toWaitTimestamp: the pure parts", () => {
    expect(readWait("k", 1.2, 0)).toEqual({ seconds: 2 });
    expect(readWait("k", { until: new Date(5000) }, 0)).toEqual({ wakeAtMs: 5000 });
    expect(toWaitTimestamp(Date.parse("2026-01-01T00:00:00.000Z"))).toBe("2026-01-01T00:00:00Z");
    expect(toWaitTimestamp(Date.parse("2026-01-01T00:00:00.001Z"))).toBe("2026-01-01T00:00:01Z");
  });
});

describe("io.sendEvent", () => {
  const sender = define("sender", async (payload: { event: unknown }, io) => {
    const sent = await io.sendEvent("notify", payload.event as never);
    return sent;
  });

  it("halts the run as sending, with the PutEvents entry's fields and an id derived from the run and step key", async () => {
    const state = await stepRun(sender, input({ event: { name: "order.fulfilled", payload: { orderId: "o-1" } } }), "plan", 0, { now });
    expect(state.status).toBe("sending");
    expect(nextOf(state)).toEqual({
      key: "event:notify#0",
      task: "notify",
      index: 0,
      kind: "event",
      event: {
        name: "order.fulfilled",
        source: "stepjobs",
        detail: { id: "run-1:event:notify#0", timestamp: "2026-11-25T10:00:00.250Z", payload: { orderId: "o-1" } },
      },
    });
  });

  it("after the SendEvent state, Plan records the event id, which io.sendEvent resolves to", async () => {
    const sending = await stepRun(sender, input({ event: { name: "x", id: "my-id", source: "shop" } }), "plan", 0, { now });
    expect(nextOf(sending)?.event).toEqual({
      name: "x",
      source: "shop",
      detail: { id: "my-id", timestamp: NOW.toISOString(), payload: null },
    });
    const done = await stepRun(sender, { ...withStatus(sending, "sending"), sent: { eventId: "my-id" } }, "plan", 0, { now });
    expect(done.status).toBe("succeeded");
    expect(withStatus(done, "succeeded").output).toEqual({ id: "my-id" });
    expect(done.memo).toEqual([{ key: "event:notify#0", id: "notify", kind: "event", ok: true, result: { id: "my-id" } }]);
  });

  it("a SendEvent failure caught after its retries is rethrown into the job by io.sendEvent", async () => {
    const sending = await stepRun(sender, input({ event: { name: "x" } }), "plan", 0, { now });
    const failed = await stepRun(
      sender,
      { ...withStatus(sending, "sending"), caught: { Error: "EventBridge.FailedEntry", Cause: "throttled" } },
      "plan",
      0,
      {
        now,
      },
    );
    expect(failed.status).toBe("failed");
    expect(withStatus(failed, "failed").error).toEqual({ name: "EventBridge.FailedEntry", message: "throttled" });
    expect(failed.memo).toEqual([
      { key: "event:notify#0", id: "notify", kind: "event", ok: false, error: { name: "EventBridge.FailedEntry", message: "throttled" } },
    ]);
  });

  it.each([
    ['io.sendEvent("notify"): name must be a non-empty string', { payload: 1 }],
    ['io.sendEvent("notify"): name must be a non-empty string', { name: " " }],
    ['io.sendEvent("notify"): id must be a non-empty string', { name: "x", id: "" }],
    [
      'io.sendEvent("notify"): the event is 300081 bytes of JSON; EventBridge takes at most 262144',
      { name: "x", payload: "y".repeat(300_000) },
    ],
  ])("a bad event fails the run naming what is wrong: %s", async (message, event) => {
    const state = await stepRun(sender, input({ event }), "plan", 0, { now });
    expect(withStatus(state, "failed").error).toEqual({
      name: "InvalidStepError",
      message,
      fields: { code: "INVALID_STEP", stepKey: "notify" },
      stack: atRun,
    });
  });
});

describe("parallel tasks (Promise.all)", () => {
  const executed: string[] = [];
  const fanOut = define("fan-out", async (_payload, io) => {
    io.logger.info("start");
    const [a, b] = await Promise.all([
      io.runTask("a", async () => {
        executed.push("a");
        return "A";
      }),
      io.runTask("b", async () => {
        executed.push("b");
        return "B";
      }),
    ]);
    io.logger.info("joined", { a, b });
    let c: unknown;
    try {
      c = await io.runTask("c", async () => "C");
    } catch (error) {
      c = `caught ${(error as Error).message}`;
    }
    return { a, b, c };
  });

  it("tasks reached in one turn of the event loop come back as one batch, in call order", async () => {
    const state = await stepRun(fanOut, input(), "plan", 0, { now });
    expect(state.status).toBe("parallel");
    expect(nextOf(state)).toBeUndefined();
    expect(withStatus(state, "parallel").batch).toEqual([
      { key: "a#0", task: "a", index: 0 },
      { key: "b#0", task: "b", index: 1 },
    ]);
  });

  it("one Parallel item executes only its task and returns the finished entry, not a run state", async () => {
    executed.length = 0;
    const planned = await stepRun(fanOut, input(), "plan", 0, { now });
    const item = { ...planned, status: "running" as const, branch: true, next: withStatus(planned, "parallel").batch[1], batch: undefined };
    const outcome = (await advanceRun(fanOut, item, "task", 0, { now })) as BranchOutcome;
    expect(outcome).toEqual({
      status: "branched",
      next: { key: "b#0", task: "b", index: 1 },
      entry: { key: "b#0", id: "b", ok: true, result: "B" },
    });
    expect(executed).toEqual(["b"]);
  });

  it("Plan records the items' outcomes in call order (a caught failure as an error) and replays on; logs once", async () => {
    const logs: LogLine[] = [];
    const planned = await stepRun(fanOut, input(), "plan", 0, { now, onLog: (l) => logs.push(l) });
    const branches: BranchOutcome[] = [
      {
        status: "branched",
        next: defined(withStatus(planned, "parallel").batch[1]),
        entry: { key: "b#0", id: "b", ok: true, result: "B" },
      },
      {
        status: "branched",
        next: defined(withStatus(planned, "parallel").batch[0]),
        entry: { key: "a#0", id: "a", ok: true, result: "A" },
      },
    ];
    const joined = await stepRun(fanOut, { ...withStatus(planned, "parallel"), branches }, "plan", 0, { now, onLog: (l) => logs.push(l) });
    expect(joined.memo.map((m) => m.key)).toEqual(["a#0", "b#0"]);
    expect(nextOf(joined)).toEqual({ key: "c#0", task: "c", index: 2 });
    expect(logs.map((l) => [l.message, l.data ?? null])).toEqual([
      ["start", null],
      ["joined", { a: "A", b: "B" }],
    ]);
    const caught = await stepRun(
      fanOut,
      {
        ...withStatus(planned, "parallel"),
        branches: [
          defined(branches[1]),
          { status: "caught", next: defined(withStatus(planned, "parallel").batch[1]), caught: { Error: "Boom", Cause: "b broke" } },
        ],
      },
      "plan",
      0,
      { now },
    );
    expect(caught.status).toBe("failed");
    expect(withStatus(caught, "failed").error).toEqual({ name: "Boom", message: "b broke" });
  });

  it("without a Parallel state (steps: []), the batch runs one task at a time: still correct, not concurrent", async () => {
    const state = await stepRun(fanOut, input(), "plan", 0, { now, steps: [] });
    expect(state.status).toBe("running");
    expect(nextOf(state)).toEqual({ key: "a#0", task: "a", index: 0 });
  });

  it("haltAt never batches a wait or an event with tasks: the first step goes alone", () => {
    const task = { key: "a#0", task: "a", index: 0 };
    const wait = { key: "wait:w#0", task: "w", index: 1, kind: "wait" as const, seconds: 1 };
    expect(haltAt([task, wait])).toEqual({ status: "running", next: task });
    expect(haltAt([wait, task])).toEqual({ status: "sleeping", next: wait });
  });
});

describe("redrive (RunFailed in fail mode, RedriveExecution semantics)", () => {
  let unlocked = false;
  const importer = define("importer", async (_payload, io) => {
    await io.runTask("prepare", async () => "ready");
    return io.runTask("import", async () => {
      if (!unlocked) throw new Error("locked");
      return "imported";
    });
  });
  const failedState = async (): Promise<RunState> => {
    let state = await stepRun(importer, input(), "plan", 0, { now });
    state = await stepRun(importer, state, "task", 0, { now });
    await expect(stepRun(importer, state, "task", 0, { now })).rejects.toThrow("locked");
    return stepRun(importer, { ...withStatus(state, "running"), caught: { Error: "Error", Cause: "locked" } }, "plan", 0, { now });
  };

  it("redriveState drops the trailing failed task, keeps the finished one, and stamps the redrive", async () => {
    const failed = await failedState();
    expect(failed.status).toBe("failed");
    expect(redriveState(failed, 1)).toEqual({
      runId: "run-1",
      event: failed.event,
      status: "running",
      memo: [{ key: "prepare#0", id: "prepare", ok: true, result: "ready" }],
      redrives: 1,
    });
  });

  it("RunFailed throws the run's error while the execution has not been redriven since the failure", async () => {
    const failed = await failedState();
    await expect(advanceRun(importer, failed, "fail", 0, { now, redriveCount: 0 })).rejects.toMatchObject({
      name: "Error",
      message: "locked",
    });
  });

  it("after a redrive, RunFailed continues at the failed task; if it fails again, it throws again (until the next redrive)", async () => {
    const failed = await failedState();
    const continued = await stepRun(importer, failed, "fail", 0, { now, redriveCount: 1 });
    expect([continued.status, nextOf(continued), continued.redrives]).toEqual([
      "running",
      { key: "import#0", task: "import", index: 1 },
      1,
    ]);
    const again = await stepRun(importer, { ...withStatus(continued, "running"), caught: { Error: "Error", Cause: "locked" } }, "plan", 0, {
      now,
    });
    expect(again.redrives).toBe(1);
    await expect(advanceRun(importer, again, "fail", 0, { now, redriveCount: 1 })).rejects.toThrow("locked");
    unlocked = true;
    const fixed = await stepRun(importer, again, "fail", 0, { now, redriveCount: 2 });
    const done = await stepRun(importer, fixed, "task", 0, { now });
    expect([done.status, done.status === "succeeded" && done.output, done.redrives]).toEqual(["succeeded", "imported", 2]);
  });
});
