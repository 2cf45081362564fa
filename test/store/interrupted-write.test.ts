import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import { afterAll, describe, expect, it } from "vitest";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { createDocumentClient, startDynalite } from "../../lib/store/dynalite.ts";
import { createTable } from "../../lib/store/table.ts";
import type { RunRecord } from "../../lib/store/types.ts";

/**
 * dynalite writes an item's index entries before the item itself, not atomically: `stepjobs dev` killed between the
 * two leaves the list index ahead of the table (found by the crash-anywhere test). This builds that on-disk state
 * for real, by removing the item row from dynalite's LevelDB under a written run, and checks that the store
 * completes the interrupted write instead of resuming a run that does not exist.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-interrupted-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const TABLE = "stepjobs-interrupted";

async function withStore<T>(use: (store: DynamoRunStore) => Promise<T>): Promise<T> {
  const server = await startDynalite({ path: dir });
  const client = createDocumentClient(server.endpoint);
  try {
    await createTable(client, TABLE);
    return await use(new DynamoRunStore({ client, tableName: TABLE }));
  } finally {
    client.destroy();
    await server.close();
  }
}

/** Deletes the table row of `pk` and keeps its index entries: the state a kill between the two writes leaves. */
async function dropItemRowKeepingIndex(pk: string): Promise<void> {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: "utf8", valueEncoding: "utf8" });
  let dropped = 0;
  for await (const [key, value] of db.iterator()) {
    if (key.startsWith(`item-${TABLE}~`) && (JSON.parse(value) as { pk?: { S?: string } }).pk?.S === pk) {
      await db.del(key);
      dropped++;
    }
  }
  await db.close();
  expect(dropped).toBe(1);
}

const run: RunRecord = {
  id: "five-tasks--crash-14",
  jobId: "five-tasks",
  jobVersion: "1.0.0",
  eventId: "crash-14",
  status: "RUNNING",
  startedAt: "2026-11-30T04:20:00.000Z",
};

describe("a run write interrupted between dynalite's index entry and its item", () => {
  it("the unfinished-run list completes the write from the index copy: the run exists again and is resumed once", async () => {
    await withStore((store) => store.putRun(run));
    await dropItemRowKeepingIndex(`RUN#${run.id}`);
    await withStore(async (store) => {
      // Before the repair, the item is gone but the index still lists it.
      expect(await store.getRun(run.id)).toBeUndefined();
      expect((await store.listUnfinishedRuns()).map((r) => r.id)).toEqual([run.id]);
      expect(await store.getRun(run.id)).toEqual(run);
      // The repaired run can be updated like any other (before, this threw RunNotFoundError).
      await store.updateRun(run.id, { status: "SUCCEEDED", completedAt: "2026-11-30T04:21:00.000Z" });
      expect(await store.listUnfinishedRuns()).toEqual([]);
    });
  });
});
