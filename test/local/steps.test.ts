import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { JobMachine, type PublishEvent } from "../../lib/local/job-machine.ts";
import { withDoneBranches } from "../../lib/local/resume.ts";
import type { AttemptEnd } from "../../lib/local/run-observer.ts";
import { planResume } from "../../lib/local/resume.ts";
import type { OutgoingEvent, ParallelState, RunState } from "../../lib/runtime/run-state.ts";
import { registeredJobs } from "../../lib/sdk/client.ts";
import type { RunRecord } from "../../lib/store/types.ts";
import { ROOT, runInput } from "../helpers/load-job.ts";
import { effects } from "../fixtures/steps/fulfil-order.ts";

/** The compiled ASL of the step fixtures on aws-local-stepfunctions, zero waits: Wait, PutEvents and Map as AWS runs them. */
const machines = new Map<string, JobMachine>();
const project = compileProject({ root: ROOT, jobsDir: "test/fixtures/steps" });
beforeAll(async () => {
  for (const compiled of project.jobs) {
    await import(compiled.entry);
    machines.set(compiled.plan.id, new JobMachine(registeredJobs().get(compiled.plan.id)!, compiled, { waits: "zero" }));
  }
});

async function execute(jobId: string, payload: unknown, publish?: PublishEvent, id = "evt-1") {
  const attempts: AttemptEnd[] = [];
  const outcome = await machines.get(jobId)!.execute(runInput("test", payload, id), {
    observer: { attemptEnded: (a) => void attempts.push(a) },
    publish,
  });
  return { outcome, attempts: attempts.map((a) => [a.taskKey, a.stateName, a.number, a.status, a.error?.message ?? null]) };
}

describe("fulfil-order: Promise.all, io.wait and io.sendEvent on the real engine", () => {
  it("both parallel tasks start before either ends; then Sleep, then SendEvent publishes once; the states entered are exact", async () => {
    const published: OutgoingEvent[] = [];
    const { outcome, attempts } = await execute("fulfil-order", { orderId: "o-1", coolOffSeconds: 5 }, async (e) => void published.push(e));
    expect(effects.get("o-1")).toEqual(["start reserve-stock", "start charge-card #1", "end reserve-stock", "end charge-card #1"]);
    expect(outcome.status).toBe("SUCCEEDED");
    expect(outcome.status === "SUCCEEDED" && outcome.output).toEqual({
      stock: { reserved: true },
      card: { charged: 42 },
      eventId: "run-evt-1:event:notify#0",
    });
    expect(attempts).toEqual([
      ["reserve-stock#0", "reserve-stock (parallel)", 1, "SUCCEEDED", null],
      ["charge-card#0", "charge-card (parallel)", 1, "SUCCEEDED", null],
    ]);
    expect(published).toEqual([
      {
        name: "order.fulfilled",
        source: "stepjobs",
        detail: { id: "run-evt-1:event:notify#0", timestamp: expect.any(String), payload: { orderId: "o-1" } },
      },
    ]);
    expect(outcome.statesEntered).toEqual([
      "Plan",
      "Route",
      "Parallel",
      "Parallel Route",
      "Parallel Route",
      "reserve-stock (parallel)",
      "charge-card (parallel)",
      "Plan",
      "Route",
      "Sleep",
      "Plan",
      "Route",
      "SendEvent",
      "Plan",
      "Route",
      "Succeeded",
    ]);
  });

  it("a parallel task's failed attempt is retried by its own Retry inside the Map; the other task's attempts are not counted with it", async () => {
    const { outcome, attempts } = await execute("fulfil-order", { orderId: "o-2", coolOffSeconds: 1, declineOnce: true }, async () => {});
    expect(outcome.status).toBe("SUCCEEDED");
    // Per task, in order (the two items end concurrently, so their attempts' ends interleave either way).
    const byTask = [...attempts].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[2]) - Number(b[2]));
    expect(byTask).toEqual([
      ["charge-card#0", "charge-card (parallel)", 1, "FAILED", "card declined, try again"],
      ["charge-card#0", "charge-card (parallel)", 2, "SUCCEEDED", null],
      ["reserve-stock#0", "reserve-stock (parallel)", 1, "SUCCEEDED", null],
    ]);
    expect(outcome.retries.map((r) => r.stateName)).toEqual(["charge-card (parallel)"]);
    expect(effects.get("o-2")).toEqual([
      "start reserve-stock",
      "start charge-card #1",
      "end reserve-stock",
      "start charge-card #2",
      "end charge-card #2",
    ]);
  });

  it("a bus that keeps refusing: SendEvent is retried by its Retry (5 times), then io.sendEvent throws EventBridge.FailedEntry and the run fails", async () => {
    let calls = 0;
    const { outcome } = await execute("fulfil-order", { orderId: "o-3", coolOffSeconds: 0 }, async () => {
      calls++;
      throw new Error("bus unavailable");
    });
    expect(calls).toBe(6);
    expect(outcome.status).toBe("FAILED");
    expect(outcome.status === "FAILED" && outcome.error).toEqual({ name: "EventBridge.FailedEntry", message: "bus unavailable" });
    expect(outcome.retries.map((r) => r.stateName)).toEqual(Array(5).fill("SendEvent"));
  });
});

describe("a parallel batch resumed after a restart (the local runtime's doneBranches)", () => {
  const batchOf = (orderId: string): ParallelState => ({
    ...runInput("order.placed", { orderId, coolOffSeconds: 1 }, orderId),
    status: "parallel",
    memo: [],
    batch: [
      { key: "reserve-stock#0", task: "reserve-stock", index: 0 },
      { key: "charge-card#0", task: "charge-card", index: 1 },
    ],
  });
  const reserved = {
    status: "branched" as const,
    next: { key: "reserve-stock#0", task: "reserve-stock", index: 0 },
    entry: { key: "reserve-stock#0", id: "reserve-stock", ok: true as const, result: { reserved: true } },
  };
  const charged = {
    status: "branched" as const,
    next: { key: "charge-card#0", task: "charge-card", index: 1 },
    entry: { key: "charge-card#0", id: "charge-card", ok: true as const, result: { charged: 7 } },
  };

  it("withDoneBranches puts the finished items back in call order, in the batch and in its result", () => {
    const after = withDoneBranches({ ...batchOf("x"), batch: [charged.next], branches: [charged] }, [reserved]);
    expect([after.batch, after.branches]).toEqual([
      [reserved.next, charged.next],
      [reserved, charged],
    ]);
  });

  it("every item had finished: the Map runs nothing, Plan records both results, the run goes on", async () => {
    const outcome = await machines
      .get("fulfil-order")!
      .execute({ ...batchOf("o-done"), batch: [] }, { doneBranches: [reserved, charged], publish: async () => {} });
    expect(effects.get("o-done")).toBeUndefined();
    expect(outcome.status === "SUCCEEDED" && outcome.output).toEqual({
      stock: { reserved: true },
      card: { charged: 7 },
      eventId: "run-o-done:event:notify#0",
    });
    expect(outcome.statesEntered.slice(0, 5)).toEqual(["Plan", "Route", "Parallel", "Plan", "Route"]);
  });
});

describe("io.wait({ until })", () => {
  it("a time in the future goes through SleepUntil; one in the past enters no Wait state at all", async () => {
    const future = await execute("wait-until", { until: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.outcome.statesEntered).toEqual(["Plan", "Route", "SleepUntil", "Plan", "Route", "after", "Route", "Succeeded"]);
    const past = await execute("wait-until", { until: "2020-01-01T00:00:00Z" });
    expect(past.outcome.statesEntered).toEqual(["Plan", "Route", "after", "Route", "Succeeded"]);
    expect(past.outcome.status === "SUCCEEDED" && past.outcome.output).toEqual({ woke: true });
  });

  it("a dev runtime restarted during a wait waits only what is left of it, then Plan records the wait", () => {
    const state: RunState = {
      ...runInput("test", {}),
      status: "sleeping",
      memo: [],
      next: { key: "wait:until-then#0", task: "until-then", index: 0, kind: "wait", wakeAt: "2026-11-25T10:00:05Z" },
    };
    const run: RunRecord = {
      id: "r",
      jobId: "wait-until",
      jobVersion: "1.0.0",
      eventId: "e",
      status: "RUNNING",
      startedAt: "2026-11-25T09:59:00Z",
      state,
    };
    const job = { plan: project.jobs.find((j) => j.plan.id === "wait-until")!.plan, retriersOf: () => [] };
    expect(planResume(run, [], job, { now: new Date("2026-11-25T10:00:02Z"), waits: "real" })).toEqual({
      kind: "execute",
      input: state,
      waitMs: 3000,
    });
    expect(planResume(run, [], job, { now: new Date("2026-11-25T10:00:09Z"), waits: "real" })).toEqual({
      kind: "execute",
      input: state,
      waitMs: 0,
    });
  });
});

describe("the store failing while a run executes", () => {
  it("a finished task's state write is retried until the store answers: the run continues, the task ran once", async () => {
    const machine = new JobMachine(
      registeredJobs().get("import-orders")!,
      project.jobs.find((j) => j.plan.id === "import-orders")!,
      {
        waits: "zero",
      },
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "store-down-"));
    const unlockFile = `${dir}/unlocked`;
    fs.writeFileSync(unlockFile, "");
    let failures = 3;
    const saved: string[] = [];
    const outcome = await machine.execute(runInput("orders.import", { unlockFile, countFile: `${dir}/count` }, "store-down"), {
      observer: {
        stepped: (_runId, state) => {
          if (failures-- > 0) throw new Error("ProvisionedThroughputExceededException");
          saved.push(state.status);
        },
      },
    });
    expect(outcome.status).toBe("SUCCEEDED");
    expect(outcome.retries).toEqual([]);
    expect(fs.readFileSync(`${dir}/count`, "utf8")).toBe("prepare\n");
    expect(saved).toEqual(["running", "running", "succeeded"]);
  });
});
