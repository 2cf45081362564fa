import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { StepJobsError } from "../sdk/errors.ts";

/**
 * Crash recovery for a dynalite data dir. dynalite writes an item's secondary-index entries and then the item,
 * as separate LevelDB writes (actions/putItem.js: `updateIndexes`, then `itemDb.put`), so a process killed between
 * the two leaves an index out of step with its table: an entry for a write that never happened, or a stale entry
 * beside the item's current one (a client that retried the write under a new sort key then lists it twice).
 * DynamoDB itself derives a GSI from the table, so the table is the truth: after an unclean shutdown every index
 * is rebuilt from the items, in one atomic LevelDB batch, before dynalite opens the directory. A write that was cut
 * was never answered, so its caller retries it (ingest and the API are idempotent by event id and run id).
 */

/** Marks a data dir as open; present at start means the last process did not close it. LevelDB ignores the file. */
export const OPEN_MARKER = "STEPJOBS-OPEN";

/** The data dir is open in another process (LevelDB allows one: its LOCK file). */
export class DataDirInUseError extends StepJobsError {
  readonly dir: string;
  constructor(dir: string) {
    super("DATA_DIR_IN_USE", `the data dir ${dir} is in use by another process (another stepjobs dev?); stop it or pass --data-dir`);
    this.name = "DataDirInUseError";
    this.dir = dir;
  }
}

/** What {@link rebuildIndexes} changed. */
export interface IndexRepair {
  /** Index entries written (missing, or different from their item). */
  readonly put: number;
  /** Index entries deleted (no item has them). */
  readonly deleted: number;
}

interface TableDescription {
  readonly TableName: string;
  readonly GlobalSecondaryIndexes?: readonly { readonly IndexName: string }[];
  readonly LocalSecondaryIndexes?: readonly { readonly IndexName: string }[];
}

type Item = Record<string, unknown>;

interface DynaliteDb {
  getIndexActions(
    indexes: TableDescription["GlobalSecondaryIndexes"],
    existing: Item | undefined,
    item: Item,
    table: TableDescription,
  ): { puts: { index: string; key: string; item: Item }[] };
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
  iterator(range: { gte: string; lt: string }): AsyncIterable<[string, unknown]>;
  batch(operations: ({ type: "put"; key: string; value: unknown } | { type: "del"; key: string })[]): Promise<void>;
}

/**
 * Opens dynalite's data dir `dir` for a new process: when the last one left {@link OPEN_MARKER} behind, rebuilds
 * every secondary index from its table first; then (re)writes the marker. Call {@link closeDataDir} after a clean
 * close. Returns the repair made, or undefined after a clean shutdown (nothing to check).
 */
export async function openDataDir(dir: string): Promise<IndexRepair | undefined> {
  const marker = path.join(dir, OPEN_MARKER);
  const repair = fs.existsSync(marker) ? await rebuildIndexes(dir) : undefined;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(marker, `${process.pid}\n`);
  return repair;
}

/** Records that dynalite closed `dir` cleanly (its LevelDB is flushed and consistent). */
export function closeDataDir(dir: string): void {
  fs.rmSync(path.join(dir, OPEN_MARKER), { force: true });
}

/**
 * Makes every Local and Global secondary index in the LevelDB at `dir` exactly what dynalite would derive from the
 * table's items (with dynalite's own key functions, so the keys match byte for byte). The directory must not be
 * open in dynalite. Holds the indexed items of one table in memory.
 */
export async function rebuildIndexes(dir: string): Promise<IndexRepair> {
  const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve("dynalite"));
  const { getIndexActions } = requireFromDynalite("./db") as DynaliteDb;
  const { Level } = requireFromDynalite("level") as { Level: new (dir: string, options: object) => LevelDb };
  const db = new Level(dir, { valueEncoding: "json" });
  try {
    await db.open();
  } catch (error) {
    // The marker is also there while another process has the dir open; LevelDB's LOCK file says which.
    if ((error as { cause?: { code?: unknown } }).cause?.code === "LEVEL_LOCKED") throw new DataDirInUseError(dir);
    throw error;
  }
  let put = 0;
  let deleted = 0;
  try {
    const tables: TableDescription[] = [];
    for await (const [, table] of db.iterator(prefixRange("table~"))) tables.push(table as TableDescription);
    for (const table of tables) {
      const operations: Parameters<LevelDb["batch"]>[0] = [];
      // Each entry the items call for, with its JSON for comparing against what is on disk.
      const expected = new Map<string, { readonly value: Item; readonly json: string }>();
      const kinds = [
        ["global", table.GlobalSecondaryIndexes],
        ["local", table.LocalSecondaryIndexes],
      ] as const;
      for await (const [, item] of db.iterator(prefixRange(`item-${table.TableName}~`))) {
        for (const [kind, indexes] of kinds) {
          if (!indexes?.length) continue;
          for (const entry of getIndexActions(indexes, undefined, item as Item, table).puts)
            expected.set(`index-${kind}~${table.TableName}~${entry.index}~${entry.key}`, {
              value: entry.item,
              json: JSON.stringify(entry.item),
            });
        }
      }
      for (const [kind] of kinds) {
        for await (const [key, value] of db.iterator(prefixRange(`index-${kind}~${table.TableName}~`))) {
          const want = expected.get(key);
          if (want === undefined) {
            operations.push({ type: "del", key });
            deleted++;
          } else if (want.json !== JSON.stringify(value)) {
            operations.push({ type: "put", key, value: want.value });
            put++;
          }
          expected.delete(key);
        }
      }
      for (const [key, { value }] of expected) {
        operations.push({ type: "put", key, value });
        put++;
      }
      if (operations.length > 0) await db.batch(operations);
    }
  } finally {
    await db.close();
  }
  return { put, deleted };
}

/**
 * Every key starting with `prefix`. dynalite separates key parts with `~` (0x7E), which no table or index name
 * contains (DynamoDB allows `[a-zA-Z0-9_.-]`), so the keys of one prefix end before the same prefix with 0x7F.
 */
function prefixRange(prefix: string): { gte: string; lt: string } {
  if (!prefix.endsWith("~")) throw new Error(`prefix ${prefix} must end with ~`);
  return { gte: prefix, lt: `${prefix.slice(0, -1)}\x7f` };
}
