import { describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { ChangeFeed } from "../../lib/local/change-feed.ts";
import { JobMachine } from "../../lib/local/job-machine.ts";
import type { JobRegistry, LoadedJob } from "../../lib/local/job-registry.ts";
import { LocalRuntime } from "../../lib/local/local-runtime.ts";
import { INTERRUPTED_ERROR } from "../../lib/local/resume.ts";
import { registeredJobs } from "../../lib/sdk/client.ts";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { calls } from "../fixtures/jobs/dynamic-ids.ts";
import { ROOT, runInput } from "../helpers/load-job.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

/** The dev runtime on real dynalite and the real engine: what a restart finds in the store, and what it makes of it. */
const db = useDynalite();

async function loaded(jobId: string): Promise<LoadedJob> {
  const compiled = compileProject({ root: ROOT, jobsDir: "test/fixtures/jobs" }).jobs.find((j) => j.plan.id === jobId);
  if (!compiled) throw new Error(`no job ${jobId} in test/fixtures/jobs`);
  await import(compiled.entry);
  const job = registeredJobs().get(jobId);
  if (!job) throw new Error(`${compiled.entry} did not register ${jobId}`);
  return { id: jobId, compiled, job, machine: new JobMachine(job, compiled, { waits: "zero" }), file: compiled.entry, hash: "test" };
}

describe("attempt numbers after a restart (one counter: the run's attempt records)", () => {
  it("a dynamic task cut during its 2nd attempt goes on at attempt 3: the interrupted attempt keeps its record", async () => {
    const job = await loaded("dynamic-ids");
    const runs = new DynamoRunStore({ client: db.client(), tableName: await db.freshTable() });
    const input = runInput("dynamic.ids", { items: [] }, "evt-cut-dynamic");
    const next = { key: "compute-total#0", task: "compute-total", index: 0 };
    const at = "2026-12-04T10:00:00.000Z";
    // As the store holds it after a kill: DynamicRetry decided a 2nd attempt, which started and never ended.
    await runs.putRun({
      id: input.runId,
      jobId: job.id,
      jobVersion: "1.0.0",
      eventId: input.event.id,
      status: "RUNNING",
      startedAt: at,
      state: { ...input, status: "waiting", memo: [], next: { ...next, attempt: 2, waitSeconds: 5 } },
    });
    const attempt = { runId: input.runId, taskKey: next.key, taskId: next.task, startedAt: at, stateName: "DynamicTask" };
    await runs.putAttempt({ ...attempt, number: 1, status: "FAILED", endedAt: at, error: { name: "Error", message: "not yet (1)" } });
    await runs.putAttempt({ ...attempt, number: 2, status: "RUNNING", error: null });
    const runtime = new LocalRuntime({
      stores: { runs, events: undefined as never },
      registry: { get: (id: string) => (id === job.id ? job : undefined) } as unknown as JobRegistry,
      changes: new ChangeFeed(),
      waits: "zero",
    });

    expect(await runtime.resumeUnfinished()).toBe(1);
    await runtime.idle();
    delete calls["compute-total#0"]; // the fixture's call counter, which other tests read

    expect((await runs.getRun(input.runId))?.status).toBe("SUCCEEDED");
    expect((await runs.listAttempts(input.runId)).map((a) => [a.number, a.status, a.error?.message ?? null])).toEqual([
      [1, "FAILED", "not yet (1)"],
      [2, "FAILED", INTERRUPTED_ERROR.message],
      [3, "SUCCEEDED", null],
    ]);
  });
});
