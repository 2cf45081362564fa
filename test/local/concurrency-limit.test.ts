import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { ChangeFeed } from "../../lib/local/change-feed.ts";
import type { SlotTable } from "../../lib/local/dynamodb-binding.ts";
import { JobRegistry } from "../../lib/local/job-registry.ts";
import { LocalRuntime } from "../../lib/local/local-runtime.ts";
import { localExecutionArn, releaseSlot } from "../../lib/local/slot-release.ts";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { createLocalClient } from "../../lib/store/dynalite.ts";
import type { AttemptRecord } from "../../lib/store/types.ts";
import { ROOT, runInput } from "../helpers/load-job.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

/** `concurrencyLimit` in the dev runtime: the compiled slot states on aws-local-stepfunctions, on real dynalite. */
const db = useDynalite();

async function devRuntime(existingTable?: string) {
  const tableName = existingTable ?? (await db.freshTable());
  const runs = new DynamoRunStore({ client: db.client(), tableName });
  const registry = new JobRegistry({ root: ROOT, jobsDir: "test/fixtures/limits", waits: "zero" });
  const report = await registry.load();
  expect(report.problems).toEqual([]);
  const dynamo: SlotTable = { client: createLocalClient(db.endpoint()), tableName };
  const errors: unknown[] = [];
  const runtime = new LocalRuntime({
    stores: { runs, events: undefined as never },
    registry,
    changes: new ChangeFeed(),
    waits: "zero",
    dynamo,
    onError: (e) => errors.push(e),
  });
  return { runs, runtime, dynamo, errors };
}

/** The counter item of a limit (and key): every attribute, numbers as numbers. */
async function counter(dynamo: SlotTable, id: string, key = "KEY"): Promise<Record<string, number>> {
  const { Item } = await dynamo.client.send(
    new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: `LIMIT#${id}` }, sk: { S: key } }, ConsistentRead: true }),
  );
  return Object.fromEntries(
    Object.entries(Item ?? {}).flatMap(([name, value]) => (value.N === undefined ? [] : [[name, Number(value.N)]])),
  );
}

/** Starts a run and waits until it has taken its ticket (`nextTicket` reaches `ticket`): the arrival order is the send order. */
async function arrive(
  rt: Awaited<ReturnType<typeof devRuntime>>,
  jobId: string,
  id: string,
  payload: unknown,
  ticket: number,
  key = "KEY",
) {
  const input = runInput(`${jobId}.go`, payload, id);
  expect(await rt.runtime.startRun(jobId, input.runId, input)).toBe("started");
  const limitId = jobId;
  for (let i = 0; i < 500 && ((await counter(rt.dynamo, limitId, key)).nextTicket ?? 0) < ticket; i++) await sleep(5);
  return input.runId;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The most attempts running at once, from their start and end times (an end at the same instant as a start comes first). */
function mostAtOnce(attempts: readonly AttemptRecord[]): number {
  const edges = attempts.flatMap((a) => [
    [Date.parse(a.startedAt), 1],
    [Date.parse(a.endedAt!), -1],
  ]);
  edges.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let now = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (now += delta!));
  return most;
}

describe("concurrencyLimit in stepjobs dev", () => {
  it("20 runs with concurrencyLimit 2: never more than 2 tasks at once, all succeed, started in arrival order", async () => {
    const rt = await devRuntime();
    const ids: string[] = [];
    for (let n = 0; n < 20; n++) ids.push(await arrive(rt, "limited", `limited-${n}`, { n, ms: 40 }, n + 1));
    await rt.runtime.idle();

    const records = await Promise.all(ids.map((id) => rt.runs.getRun(id)));
    expect(records.map((r) => r?.status)).toEqual(ids.map(() => "SUCCEEDED"));
    const attempts = (await Promise.all(ids.map((id) => rt.runs.listAttempts(id)))).map((list) => {
      expect(list).toHaveLength(1);
      return list[0]!;
    });
    expect(mostAtOnce(attempts)).toBe(2);
    const byStart = [...attempts].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((a) => a.runId);
    expect(byStart).toEqual(ids);
    // Every slot accounted for: 20 tickets, all served, all released, no run left in the item.
    expect(await counter(rt.dynamo, "limited")).toEqual({ nextTicket: 20, serving: 21, released: 20 });
    expect(rt.errors).toEqual([]);
  });

  it("keys: a tenant's flood queues behind itself; another tenant's run is not delayed by it", async () => {
    const rt = await devRuntime();
    const flood: string[] = [];
    for (let n = 0; n < 8; n++) flood.push(await arrive(rt, "keyed", `flood-${n}`, { tenantId: "flood", n, ms: 100 }, n + 1, "KEY#flood"));
    const calm = await arrive(rt, "keyed", "calm-0", { tenantId: "calm", n: 0, ms: 100 }, 1, "KEY#calm");
    await rt.runtime.idle();

    const ended = async (id: string) => Date.parse((await rt.runs.getRun(id))!.completedAt!);
    const floodStarts = await Promise.all(flood.map(async (id) => Date.parse((await rt.runs.listAttempts(id))[0]!.startedAt)));
    // The calm tenant finished while the flood still had runs that had not started.
    expect(await ended(calm)).toBeLessThan(floodStarts.at(-2)!);
    expect((await rt.runs.getRun(calm))?.status).toBe("SUCCEEDED");
    expect(await counter(rt.dynamo, "keyed", "KEY#flood")).toEqual({ nextTicket: 8, serving: 9, released: 8 });
    expect(await counter(rt.dynamo, "keyed", "KEY#calm")).toEqual({ nextTicket: 1, serving: 2, released: 1 });
  });

  it("a failed run releases its slot exactly once (its ReleaseSlot state, then the release machine finds nothing)", async () => {
    const rt = await devRuntime();
    const failed = await arrive(rt, "limited", "fails", { n: 0, ms: 1, fail: true }, 1);
    const next = await arrive(rt, "limited", "after", { n: 1, ms: 1 }, 2);
    await rt.runtime.idle();
    expect([(await rt.runs.getRun(failed))?.status, (await rt.runs.getRun(next))?.status]).toEqual(["FAILED", "SUCCEEDED"]);
    expect(await counter(rt.dynamo, "limited")).toEqual({ nextTicket: 2, serving: 3, released: 2 });
    // What a late status-change event would do: nothing more is released.
    const event = (await rt.runs.getRun(failed))!.state!.event;
    await releaseSlot({ plan: { id: "limited", limit: 2 }, jobId: "limited", runId: failed, event, dynamo: rt.dynamo, waits: "zero" });
    expect(await counter(rt.dynamo, "limited")).toEqual({ nextTicket: 2, serving: 3, released: 2 });
  });

  it("a cancelled run holding its slot gives it back, and one cancelled while waiting is passed over in turn", async () => {
    const rt = await devRuntime();
    const holder = await arrive(rt, "keyed", "holder", { tenantId: "t", n: 0, ms: 1500 }, 1, "KEY#t");
    const waiting = await arrive(rt, "keyed", "waiting", { tenantId: "t", n: 1, ms: 1 }, 2, "KEY#t");
    const last = await arrive(rt, "keyed", "last", { tenantId: "t", n: 2, ms: 1 }, 3, "KEY#t");
    await rt.runtime.cancel(waiting);
    // Its ticket was next: passed over at once (served and released in one write), while the holder keeps the only slot.
    expect(await counter(rt.dynamo, "keyed", "KEY#t")).toEqual({
      nextTicket: 3,
      serving: 3,
      released: 1,
      [localExecutionArn("keyed", holder)]: 1,
      [localExecutionArn("keyed", last)]: 3,
    });
    expect(await rt.runs.listAttempts(last)).toEqual([]);
    await rt.runtime.cancel(holder);
    await rt.runtime.idle();
    expect(await Promise.all([holder, waiting, last].map(async (id) => (await rt.runs.getRun(id))?.status))).toEqual([
      "ABORTED",
      "ABORTED",
      "SUCCEEDED",
    ]);
    expect(await counter(rt.dynamo, "keyed", "KEY#t")).toEqual({ nextTicket: 3, serving: 4, released: 3 });
    expect(rt.errors).toEqual([]);
  });

  it("a restart while runs hold slots and wait: every slot is accounted for and the queued runs finish", async () => {
    const first = await devRuntime();
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push(await arrive(first, "limited", `restart-${n}`, { n, ms: 300 }, n + 1));
    // Two hold a slot (their task in flight), three wait; the process stops (the runs stay RUNNING).
    await first.runtime.suspend(5000);
    const before = await counter(first.dynamo, "limited");
    expect([before.nextTicket, before.serving, before.released]).toEqual([5, 3, 0]);
    expect(await Promise.all(ids.map(async (id) => (await first.runs.getRun(id))?.status))).toEqual(ids.map(() => "RUNNING"));

    // The next start resumes them from the top: each finds its own ticket (FindSlotTicket) instead of taking another.
    const second = await devRuntime(first.dynamo.tableName);
    expect(await second.runtime.resumeUnfinished()).toBe(5);
    await second.runtime.idle();
    expect(await Promise.all(ids.map(async (id) => (await second.runs.getRun(id))?.status))).toEqual(ids.map(() => "SUCCEEDED"));
    expect(await counter(second.dynamo, "limited")).toEqual({ nextTicket: 5, serving: 6, released: 5 });
    const attempts = (await Promise.all(ids.map((id) => second.runs.listAttempts(id)))).flat();
    expect(mostAtOnce(attempts)).toBeLessThanOrEqual(2);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });
});
