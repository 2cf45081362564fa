import { describe, expect, it } from "vitest";
import type { JobPlan } from "../../lib/compiler/job-plan.ts";
import { INTERRUPTED_ERROR, planResume } from "../../lib/local/resume.ts";
import { caughtOf, normalizeCaughtError, type RunState } from "../../lib/runtime/run-state.ts";
import type { AttemptRecord, RunRecord } from "../../lib/store/types.ts";

/** How a run left RUNNING by a stopped `stepjobs dev` continues: a table of saved states and attempts. */

const retry = { ErrorEquals: ["States.ALL"], IntervalSeconds: 4, MaxAttempts: 2, BackoffRate: 2 };
const plan = {
  id: "job",
  tasks: [{ id: "flaky", match: "literal", stateName: "flaky", retry, maxAttempts: 3 }],
} as unknown as JobPlan;
const job = {
  plan,
  retriersOf: (name: string) => (name === "flaky" ? [{ ErrorEquals: ["NonRetriableError"], MaxAttempts: 0 }, retry] : []),
};
const event = { id: "e", name: "ev", timestamp: "2026-11-25T00:00:00.000Z", payload: {} };
const waiting: RunState = { runId: "r", event, status: "running", memo: [], next: { key: "flaky#0", task: "flaky", index: 0 } };
const run = (state?: RunState): RunRecord => ({
  id: "r",
  jobId: "job",
  jobVersion: "1",
  eventId: "e",
  status: "RUNNING",
  startedAt: event.timestamp,
  state,
});
const failed = (number: number, endedAt: string, name = "Error"): AttemptRecord => ({
  runId: "r",
  taskKey: "flaky#0",
  taskId: "flaky",
  number,
  status: "FAILED",
  startedAt: endedAt,
  endedAt,
  error: { name, message: `m${number}` },
});
const now = new Date("2026-11-25T00:00:10.000Z");
const options = { now, waits: "real" as const };

describe("planResume", () => {
  it("no saved state: nothing to resume from", () => {
    expect(planResume(run(), [], job, options)).toEqual({ kind: "abandon" });
  });

  it("the last step finished the run: only the record is behind", () => {
    const done: RunState = { runId: "r", event, status: "succeeded", memo: [], output: 1 };
    expect(planResume(run(done), [], job, options)).toEqual({ kind: "finish", state: done });
  });

  it("a parallel batch with one item finished: re-enter with the others only; the finished outcome is carried", () => {
    const a = { key: "a#0", task: "a", index: 0 };
    const b = { key: "b#0", task: "b", index: 1 };
    const c = { key: "c#0", task: "c", index: 2 };
    const doneB = { status: "branched" as const, next: b, entry: { key: "b#0", id: "b", ok: true as const, result: 2 } };
    const batch: RunState = { runId: "r", event, status: "parallel", memo: [], batch: [a, b, c], branches: [doneB] };
    expect(planResume(run(batch), [], job, options)).toEqual({
      kind: "execute",
      input: { runId: "r", event, status: "parallel", memo: [], batch: [a, c] },
      doneBranches: [doneB],
      waitMs: 0,
    });
    // Nothing finished yet: the batch as saved (every item runs again).
    const fresh: RunState = { runId: "r", event, status: "parallel", memo: [], batch: [a, b, c] };
    expect(planResume(run(fresh), [], job, options)).toEqual({ kind: "execute", input: fresh, waitMs: 0 });
  });

  it("the next task has no attempts yet: re-enter from the saved state", () => {
    expect(planResume(run(waiting), [], job, options)).toEqual({ kind: "execute", input: waiting, waitMs: 0 });
  });

  it("one failed attempt, died in the 4 s wait 1 s before it ended: wait the 3 s left, continue at attempt 2 with one retry used", () => {
    expect(planResume(run(waiting), [failed(1, "2026-11-25T00:00:07.000Z")], job, options)).toEqual({
      kind: "execute",
      input: waiting,
      resume: { stateName: "flaky", used: [0, 1] },
      waitMs: 1000,
    });
  });

  it("two failed attempts: the backoff goes on (8 s after the second) and the zero-wait mode skips it", () => {
    const attempts = [failed(1, "2026-11-25T00:00:00.000Z"), failed(2, "2026-11-25T00:00:05.000Z")];
    expect(planResume(run(waiting), attempts, job, options)).toMatchObject({ resume: { used: [0, 2] }, waitMs: 3000 });
    expect(planResume(run(waiting), attempts, job, { now, waits: "zero" })).toMatchObject({ waitMs: 0 });
  });

  it("every allowed attempt failed before the Catch ran: replay the Catch so Plan records the failure", () => {
    const attempts = [failed(1, "2026-11-25T00:00:00.000Z"), failed(2, "2026-11-25T00:00:01.000Z"), failed(3, "2026-11-25T00:00:02.000Z")];
    const plan = planResume(run(waiting), attempts, job, options);
    expect(plan).toEqual({ kind: "execute", input: { ...waiting, caught: { Error: "Error", Cause: expect.any(String) } }, waitMs: 0 });
    // The Cause is a Lambda error envelope, so Plan records the attempt's error whole (stack and fields included).
    expect(plan.kind === "execute" && normalizeCaughtError(caughtOf(plan.input))).toEqual({ name: "Error", message: "m3" });
  });

  /**
   * A kill of `stepjobs dev` is not the task's failure: the first interruption of a task does not use one of its
   * attempts; a second one does, so a task that takes the process down on every attempt still ends FAILED.
   */
  const interrupted = (number: number, endedAt: string) => ({ ...failed(number, endedAt), error: { ...INTERRUPTED_ERROR } });
  const single = {
    plan,
    retriersOf: (name: string) =>
      name === "flaky"
        ? [
            { ErrorEquals: ["NonRetriableError"], MaxAttempts: 0 },
            { ...retry, MaxAttempts: 0 },
          ]
        : [],
  };

  it("maxAttempts: 1 and its only attempt interrupted: the task runs again at once, as attempt 2, its policy unused", () => {
    expect(planResume(run(waiting), [interrupted(1, "2026-11-25T00:00:09.000Z")], single, options)).toEqual({
      kind: "execute",
      input: waiting,
      resume: { stateName: "flaky", used: [0, 0] },
      waitMs: 0,
    });
  });

  it("maxAttempts: 1 interrupted twice: the second interruption counts, the Catch is replayed with Interrupted", () => {
    const attempts = [interrupted(1, "2026-11-25T00:00:05.000Z"), interrupted(2, "2026-11-25T00:00:09.000Z")];
    const plan = planResume(run(waiting), attempts, single, options);
    expect(plan.kind === "execute" && caughtOf(plan.input)?.Error).toBe("Interrupted");
    expect(plan.kind === "execute" && normalizeCaughtError(caughtOf(plan.input))).toEqual(INTERRUPTED_ERROR);
  });

  it("a failure, then an interruption: the interrupted attempt is free, the retry after the failure runs at once", () => {
    const attempts = [failed(1, "2026-11-25T00:00:00.000Z"), interrupted(2, "2026-11-25T00:00:09.000Z")];
    expect(planResume(run(waiting), attempts, job, options)).toEqual({
      kind: "execute",
      input: waiting,
      resume: { stateName: "flaky", used: [0, 1] },
      waitMs: 0,
    });
  });

  it("a failure after a free interruption goes on with the policy as if the interrupted attempt had not happened", () => {
    const attempts = [interrupted(1, "2026-11-25T00:00:00.000Z"), failed(2, "2026-11-25T00:00:07.000Z")];
    expect(planResume(run(waiting), attempts, job, options)).toEqual({
      kind: "execute",
      input: waiting,
      resume: { stateName: "flaky", used: [0, 1] },
      waitMs: 1000,
    });
  });

  it("a NonRetriableError failure is not retried after a restart either", () => {
    const plan = planResume(run(waiting), [failed(1, "2026-11-25T00:00:00.000Z", "NonRetriableError")], job, options);
    expect(plan.kind === "execute" && normalizeCaughtError(caughtOf(plan.input))).toEqual({ name: "NonRetriableError", message: "m1" });
  });
});
