import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import type { RunState } from "../../lib/runtime/run-state.ts";
import { ATTEMPT_COUNTER_TTL_SECONDS, DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { AttemptNotFoundError, InvalidCursorError, RunNotFoundError } from "../../lib/store/errors.ts";
import type { AttemptRecord, LogRecord, RunRecord } from "../../lib/store/types.ts";
import { useDynalite } from "./dynalite-fixture.ts";

const db = useDynalite();

async function store() {
  return new DynamoRunStore({ client: db.client(), tableName: await db.freshTable() });
}

const event = {
  id: "evt1",
  name: "my.event",
  timestamp: "2026-11-25T03:00:00.000Z",
  payload: { message: "Hello World", shouldFail: true },
};

function run(id: string, startedAt: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return { id, jobId: "my-first-workflow", jobVersion: "1.0.0", eventId: "evt1", status: "RUNNING", startedAt, ...overrides };
}

const state: RunState = {
  runId: "r1",
  event,
  status: "running",
  memo: [
    {
      key: "process-incoming-data#0",
      id: "process-incoming-data",
      ok: true,
      result: { status: "processed", originalMessage: "Hello World" },
    },
  ],
  next: { key: "send-confirmation#0", task: "send-confirmation", index: 1 },
};

describe("DynamoRunStore runs on dynalite", () => {
  it("creates exactly one run per id", async () => {
    const runs = await store();
    const first = run("r1", "2026-11-25T03:00:00.000Z");
    expect(await runs.putRun(first)).toEqual({ created: true, record: first });
    expect(await runs.putRun(run("r1", "2026-11-25T03:00:09.000Z", { jobVersion: "2.0.0" }))).toEqual({ created: false, record: first });
    expect(await runs.getRun("r1")).toEqual(first);
    expect(await runs.getRun("missing")).toBeUndefined();
  });

  it("updates status, state, output, error and completedAt", async () => {
    const runs = await store();
    await runs.putRun(run("r1", "2026-11-25T03:00:00.000Z"));
    expect(await runs.updateRun("r1", { state })).toEqual({ ...run("r1", "2026-11-25T03:00:00.000Z"), state });
    const done = await runs.updateRun("r1", {
      status: "SUCCEEDED",
      output: { confirmationSent: true },
      completedAt: "2026-11-25T03:00:02.000Z",
    });
    expect(done).toEqual({
      ...run("r1", "2026-11-25T03:00:00.000Z"),
      status: "SUCCEEDED",
      state,
      output: { confirmationSent: true },
      completedAt: "2026-11-25T03:00:02.000Z",
    });
    expect(await runs.getRun("r1")).toEqual(done);
    const failed = await runs.updateRun("r1", { status: "FAILED", error: { name: "Error", message: "" } });
    expect([failed.status, failed.error]).toEqual(["FAILED", { name: "Error", message: "" }]);
    expect(await runs.updateRun("r1", {})).toEqual(failed);
  });

  it("refuses to update a run that does not exist, without creating it", async () => {
    const runs = await store();
    await expect(runs.updateRun("ghost", { status: "FAILED" })).rejects.toThrow(RunNotFoundError);
    await expect(runs.updateRun("ghost", {})).rejects.toThrow('run "ghost" does not exist');
    expect(await runs.getRun("ghost")).toBeUndefined();
  });

  it("lists newest first, filtered by job and status, up to a limit", async () => {
    const runs = await store();
    const a = run("a", "2026-11-25T03:00:01.000Z");
    const b = run("b", "2026-11-25T03:00:02.000Z", { jobId: "priority-workflow", status: "SUCCEEDED" });
    const c = run("c", "2026-11-25T03:00:03.000Z", { status: "FAILED" });
    const d = run("d", "2026-11-25T03:00:04.000Z", { state });
    for (const r of [c, a, d, b]) await runs.putRun(r);
    expect(await runs.listRuns()).toEqual([d, c, b, a]);
    expect(await runs.listRuns({ limit: 2 })).toEqual([d, c]);
    expect(await runs.listRuns({ jobId: "my-first-workflow" })).toEqual([d, c, a]);
    expect(await runs.listRuns({ status: "FAILED" })).toEqual([c]);
    expect(await runs.listRuns({ jobId: "priority-workflow", status: "SUCCEEDED" })).toEqual([b]);
    expect(await runs.listUnfinishedRuns()).toEqual([d, a]);
  });

  it("finds unfinished runs beyond the first page", async () => {
    const runs = await store();
    for (let i = 0; i < 150; i++) {
      const at = `2026-11-25T03:00:00.${String(i).padStart(3, "0")}Z`;
      await runs.putRun(run(`r${String(i).padStart(3, "0")}`, at, { status: i % 50 === 7 ? "RUNNING" : "SUCCEEDED" }));
    }
    expect((await runs.listUnfinishedRuns()).map((r) => r.id)).toEqual(["r107", "r057", "r007"]);
  });
});

describe("DynamoRunStore run pages on dynalite", () => {
  /** Every page of a query, following the cursor until there is none. */
  async function allPages(runs: DynamoRunStore, query: Parameters<DynamoRunStore["listRunsPage"]>[0]) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await runs.listRunsPage({ ...query, cursor });
      pages.push(page.items.map((r) => r.id));
      cursor = page.cursor;
    } while (cursor);
    return pages;
  }

  it("pages newest first with an opaque cursor, across query pages and through a filter, each run once", async () => {
    const runs = await store();
    const ids: string[] = [];
    for (let i = 0; i < 130; i++) {
      const id = `r${String(i).padStart(3, "0")}`;
      ids.push(id);
      await runs.putRun(run(id, `2026-11-25T03:00:00.${String(i).padStart(3, "0")}Z`, { status: i % 3 === 0 ? "FAILED" : "SUCCEEDED" }));
    }
    const newest = [...ids].reverse();
    const pages = await allPages(runs, { limit: 50 });
    expect(pages.map((p) => p.length)).toEqual([50, 50, 30]);
    expect(pages.flat()).toEqual(newest);
    const failed = await allPages(runs, { status: "FAILED", limit: 20 });
    expect(failed.map((p) => p.length)).toEqual([20, 20, 4]);
    expect(failed.flat()).toEqual(newest.filter((id) => Number(id.slice(1)) % 3 === 0));
  });

  it("says there is no next page when the last one is exactly full", async () => {
    const runs = await store();
    for (const id of ["a", "b", "c", "d"]) await runs.putRun(run(id, `2026-11-25T03:00:0${"abcd".indexOf(id)}.000Z`));
    const first = await runs.listRunsPage({ limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(["d", "c"]);
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await runs.listRunsPage({ limit: 2, cursor: first.cursor })).toEqual({
      items: [run("b", "2026-11-25T03:00:01.000Z"), run("a", "2026-11-25T03:00:00.000Z")],
    });
  });

  it.each([
    ["not base64 JSON", "%%%"],
    ["JSON that is not a key", Buffer.from(JSON.stringify({ pk: 1 })).toString("base64url")],
    [
      "an event's cursor",
      Buffer.from(JSON.stringify({ pk: "EVENT#e", sk: "EVENT", gsi1pk: "EVENT", gsi1sk: "x#e" })).toString("base64url"),
    ],
  ])("refuses a cursor that is %s", async (_name, cursor) => {
    const runs = await store();
    await expect(runs.listRunsPage({ cursor })).rejects.toThrow(new InvalidCursorError("runs"));
  });
});

describe("DynamoRunStore attempts and logs on dynalite", () => {
  const attempt = (number: number, startedAt: string, overrides: Partial<AttemptRecord> = {}): AttemptRecord => ({
    runId: "r1",
    taskKey: "process-incoming-data#0",
    taskId: "process-incoming-data",
    number,
    status: "RUNNING",
    startedAt,
    error: null,
    ...overrides,
  });

  it("records attempts once each and ends them", async () => {
    const runs = await store();
    const first = attempt(1, "2026-11-25T03:00:00.100Z");
    expect(await runs.putAttempt(first)).toEqual({ created: true, record: first });
    expect(await runs.putAttempt({ ...first, startedAt: "2026-11-25T03:00:05.000Z" })).toEqual({ created: false, record: first });
    const failed = await runs.updateAttempt("r1", "process-incoming-data#0", 1, {
      status: "FAILED",
      endedAt: "2026-11-25T03:00:00.200Z",
      error: { name: "Error", message: "Simulated transient error during processing!" },
    });
    expect(failed).toEqual({
      ...first,
      status: "FAILED",
      endedAt: "2026-11-25T03:00:00.200Z",
      error: { name: "Error", message: "Simulated transient error during processing!" },
    });
    await runs.putAttempt(attempt(2, "2026-11-25T03:00:01.200Z"));
    const succeeded = await runs.updateAttempt("r1", "process-incoming-data#0", 2, {
      status: "SUCCEEDED",
      endedAt: "2026-11-25T03:00:01.300Z",
    });
    const confirm = attempt(1, "2026-11-25T03:00:01.400Z", { taskKey: "send-confirmation#0", taskId: "send-confirmation" });
    await runs.putAttempt(confirm);
    expect(await runs.listAttempts("r1")).toEqual([failed, succeeded, confirm]);
    expect(await runs.listAttempts("other")).toEqual([]);
  });

  it("orders attempts by start time, then number, whatever their task keys", async () => {
    const runs = await store();
    const z = attempt(1, "2026-11-25T03:00:00.000Z", { taskKey: "z#0", taskId: "z" });
    const a2 = attempt(2, "2026-11-25T03:00:01.000Z", { taskKey: "a#0", taskId: "a" });
    const a10 = attempt(10, "2026-11-25T03:00:01.000Z", { taskKey: "a#0", taskId: "a" });
    for (const x of [a10, a2, z]) await runs.putAttempt(x);
    expect(await runs.listAttempts("r1")).toEqual([z, a2, a10]);
  });

  it("refuses to end an attempt that was never started", async () => {
    const runs = await store();
    const call = runs.updateAttempt("r1", "nope#0", 1, { status: "FAILED" });
    await expect(call).rejects.toThrow(AttemptNotFoundError);
    await expect(runs.updateAttempt("r1", "nope#0", 1, { status: "FAILED" })).rejects.toThrow(
      'attempt 1 of task "nope#0" in run "r1" does not exist',
    );
    expect(await runs.listAttempts("r1")).toEqual([]);
  });

  it("keeps log lines in write order, even within one millisecond", async () => {
    const runs = await store();
    const at = "2026-11-25T03:00:00.000Z";
    const logs: LogRecord[] = [
      { runId: "r1", level: "info", message: "Received 'my.event' payload", data: { message: "Hello World", shouldFail: true }, at },
      { runId: "r1", level: "info", message: "Processing data: Hello World", taskId: "process-incoming-data", attempt: 1, at },
      {
        runId: "r1",
        level: "warn",
        message: "Simulating a temporary failure for attempt 1...",
        taskId: "process-incoming-data",
        attempt: 1,
        at,
      },
      { runId: "r1", level: "info", message: "Workflow completed successfully!", at: "2026-11-25T03:00:02.000Z" },
    ];
    for (const log of logs) await runs.appendLog(log);
    await runs.appendLog({ runId: "r2", level: "debug", message: "elsewhere", at });
    expect(await runs.listLogs("r1")).toEqual(logs);
  });
});

describe("DynamoRunStore steps and states entered on dynalite", () => {
  it("keeps a step's first start, ends it, and lists steps in start order; ending an unrecorded step does nothing", async () => {
    const runs = await store();
    const wait = { runId: "r1", key: "wait:cool-off#0", stateName: "Sleep", startedAt: "2026-11-25T03:00:01.000Z" };
    const send = { runId: "r1", key: "event:notify#0", stateName: "SendEvent", startedAt: "2026-11-25T03:00:31.000Z" };
    await runs.putStep(send);
    await runs.putStep(wait);
    await runs.putStep({ ...wait, startedAt: "2026-11-25T03:00:09.000Z" });
    await runs.endStep("r1", wait.key, "2026-11-25T03:00:31.000Z");
    await runs.endStep("r1", "wait:never#0", "2026-11-25T03:00:40.000Z");
    expect(await runs.listSteps("r1")).toEqual([{ ...wait, endedAt: "2026-11-25T03:00:31.000Z" }, send]);
    expect(await runs.listSteps("r2")).toEqual([]);
  });

  it("keeps the states a run entered and the state each attempt ran in", async () => {
    const runs = await store();
    await runs.putRun(run("r1", "2026-11-25T03:00:00.000Z", { statesEntered: ["Plan"] }));
    const updated = await runs.updateRun("r1", { statesEntered: ["Plan", "Route", "Parallel"] });
    expect(updated.statesEntered).toEqual(["Plan", "Route", "Parallel"]);
    expect((await runs.getRun("r1"))?.statesEntered).toEqual(["Plan", "Route", "Parallel"]);
    const attempt: AttemptRecord = {
      runId: "r1",
      taskKey: "charge-card#0",
      taskId: "charge-card",
      number: 1,
      status: "RUNNING",
      startedAt: "2026-11-25T03:00:00.100Z",
      error: null,
      stateName: "charge-card (parallel)",
    };
    await runs.putAttempt(attempt);
    expect(await runs.listAttempts("r1")).toEqual([attempt]);
  });
});

describe("DynamoRunStore's attempt counter (the cloud runner's ctx.attempt.number) on dynalite", () => {
  it("counts 1, 2, 3 per (run, task key), separately per key, with a TTL set on the first count, under ATTEMPTS#", async () => {
    const tableName = await db.freshTable();
    let now = new Date(1_000_000_000_000);
    const runs = new DynamoRunStore({ client: db.client(), tableName, now: () => now });
    const counts = [await runs.countAttempt("r1", "a#0"), await runs.countAttempt("r1", "a#0")];
    now = new Date(2_000_000_000_000);
    counts.push(await runs.countAttempt("r1", "b#0"), await runs.countAttempt("r1", "a#0"));
    expect(counts).toEqual([1, 2, 1, 3]);
    // The key and attributes of the counters deployed runners wrote before it was a store method: their data stays valid.
    const { Item } = await db.client().send(new GetCommand({ TableName: tableName, Key: { pk: "RUN#r1", sk: "ATTEMPTS#a#0" } }));
    expect(Item).toEqual({ pk: "RUN#r1", sk: "ATTEMPTS#a#0", attempts: 3, expiresAt: 1_000_000_000 + ATTEMPT_COUNTER_TTL_SECONDS });
    expect(ATTEMPT_COUNTER_TTL_SECONDS).toBe(400 * 24 * 3600);
    // A counter is not an attempt.
    expect(await runs.listAttempts("r1")).toEqual([]);
  });
});
