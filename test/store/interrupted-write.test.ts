import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import { afterEach, describe, expect, it } from "vitest";
import type { EventRecord } from "../../lib/ingest/types.ts";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { createDocumentClient, type DynaliteServer, startDynalite } from "../../lib/store/dynalite.ts";
import { OPEN_MARKER } from "../../lib/store/dynalite-recovery.ts";
import { createTable } from "../../lib/store/table.ts";
import type { RunRecord } from "../../lib/store/types.ts";

/**
 * dynalite writes an item's index entries before the item itself, not atomically: `stepjobs dev` killed between the
 * two leaves the list index out of step with the table (found twice by the crash-anywhere test). These tests build
 * that on-disk state for real, by removing or rewriting rows in dynalite's LevelDB and leaving the open marker a
 * killed process leaves, and check that the next start rebuilds the indexes from the table.
 */
const TABLE = "stepjobs-interrupted";
let dir = "";
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Stores {
  readonly runs: DynamoRunStore;
  readonly events: DynamoEventStore;
  readonly server: DynaliteServer;
}

async function withStores<T>(use: (stores: Stores) => Promise<T>): Promise<T> {
  const server = await startDynalite({ path: dir });
  const client = createDocumentClient(server.endpoint);
  try {
    await createTable(client, TABLE);
    const options = { client, tableName: TABLE };
    return await use({ runs: new DynamoRunStore(options), events: new DynamoEventStore(options), server });
  } finally {
    client.destroy();
    await server.close();
  }
}

/** Rewrites the table row of `pk` (deletes it when `change` returns undefined), keeping its index entries. */
async function editItemRow(pk: string, change: (item: Record<string, { S?: string }>) => object | undefined): Promise<void> {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  let edited = 0;
  for await (const [key, value] of db.iterator()) {
    const item = JSON.parse(value) as Record<string, { S?: string }>;
    if (key.startsWith(`item-${TABLE}~`) && item.pk?.S === pk) {
      const changed = change(item);
      await (changed ? db.put(key, JSON.stringify(changed)) : db.del(key));
      edited++;
    }
  }
  await db.close();
  expect(edited).toBe(1);
}

/** What SIGKILL leaves besides the rows: the data dir still marked open. */
function markKilled(): void {
  fs.writeFileSync(path.join(dir, OPEN_MARKER), "1\n");
}

const run: RunRecord = {
  id: "five-tasks--crash-14",
  jobId: "five-tasks",
  jobVersion: "1.0.0",
  eventId: "crash-14",
  status: "RUNNING",
  startedAt: "2026-11-30T04:20:00.000Z",
};

function event(receivedAt: string): EventRecord {
  return {
    id: "crash-12",
    name: "five.tasks",
    source: "stepjobs",
    payload: { n: 12 },
    timestamp: "2026-11-30T05:00:00.000Z",
    receivedAt,
    status: "ACCEPTED",
    errors: [],
    runs: [{ id: "five-tasks--crash-12", jobId: "five-tasks" }],
  };
}

describe("a write interrupted between dynalite's index entry and its item", () => {
  it("a cut run write is undone at the next start: not resumed, and the caller's retry creates the run once", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-interrupted-"));
    await withStores(({ runs }) => runs.putRun(run));
    await editItemRow(`RUN#${run.id}`, () => undefined);
    markKilled();
    await withStores(async ({ runs, server }) => {
      expect(server.repair).toEqual({ put: 0, deleted: 1 });
      expect(await runs.listUnfinishedRuns()).toEqual([]);
      expect(await runs.getRun(run.id)).toBeUndefined();
      expect((await runs.putRun(run)).created).toBe(true);
      expect(await runs.listUnfinishedRuns()).toEqual([run]);
    });
  });

  it("an event write cut and retried under a later receivedAt is listed twice until the next start, then once", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-interrupted-"));
    const first = event("2026-11-30T05:00:00.000Z");
    const retried = event("2026-11-30T05:00:03.000Z");
    await withStores(({ events }) => events.putEventIfAbsent(first));
    await editItemRow("EVENT#crash-12", () => undefined);
    await withStores(async ({ events }) => {
      expect((await events.putEventIfAbsent(retried)).created).toBe(true);
      // The state the CI run found: the stale entry of the cut write beside the retry's.
      expect((await events.listEvents()).map((e) => e.receivedAt)).toEqual([retried.receivedAt, first.receivedAt]);
    });
    markKilled();
    await withStores(async ({ events, server }) => {
      expect(server.repair).toEqual({ put: 0, deleted: 1 });
      expect(await events.listEvents()).toEqual([retried]);
      expect(await events.getEvent("crash-12")).toEqual(retried);
    });
  });

  it("a cut status update (index SUCCEEDED, item RUNNING) is rolled back to the item: the run resumes", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-interrupted-"));
    await withStores(async ({ runs }) => {
      await runs.putRun(run);
      await runs.updateRun(run.id, { status: "SUCCEEDED", completedAt: "2026-11-30T04:21:00.000Z" });
    });
    const running = (item: Record<string, unknown>) => {
      const { completedAt: _dropped, ...rest } = item;
      return { ...rest, status: { S: "RUNNING" } };
    };
    await editItemRow(`RUN#${run.id}`, running);
    markKilled();
    await withStores(async ({ runs, server }) => {
      expect(server.repair).toEqual({ put: 1, deleted: 0 });
      expect(await runs.listUnfinishedRuns()).toEqual([await runs.getRun(run.id)]);
      expect((await runs.getRun(run.id))?.status).toBe("RUNNING");
    });
  });

  it("after a clean close nothing is checked, and the marker is gone", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-interrupted-"));
    await withStores(async ({ runs, server }) => {
      expect(fs.existsSync(path.join(dir, OPEN_MARKER))).toBe(true);
      expect(server.repair).toBeUndefined();
      await runs.putRun(run);
    });
    expect(fs.existsSync(path.join(dir, OPEN_MARKER))).toBe(false);
    await withStores(async ({ runs, server }) => {
      expect(server.repair).toBeUndefined();
      expect(await runs.listUnfinishedRuns()).toEqual([run]);
    });
  });
});
