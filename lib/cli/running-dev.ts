import fs from "node:fs";
import path from "node:path";

/**
 * Where a running `stepjobs dev` says it listens: `dev-server.json` (`{ url, pid }`) in its data dir, written once it
 * listens and removed when it stops. So `stepjobs runs`, `run` and `send` find a `dev --port 9000` without being told,
 * and a record left by a killed process is ignored (its pid is gone).
 */

/** The data dir `stepjobs dev` uses unless given `--data-dir`, and where the CLI looks for the record. */
export const DEFAULT_DATA_DIR = ".stepjobs";

const RECORD_FILE = "dev-server.json";

interface DevServerRecord {
  readonly url: string;
  readonly pid: number;
}

/** Records that this process serves the API at `url` (called once `dev` listens). */
export function recordDevServer(dataDir: string, url: string): void {
  const record: DevServerRecord = { url, pid: process.pid };
  fs.writeFileSync(path.join(dataDir, RECORD_FILE), JSON.stringify(record) + "\n");
}

/** Removes the record (called when `dev` stops). */
export function forgetDevServer(dataDir: string): void {
  fs.rmSync(path.join(dataDir, RECORD_FILE), { force: true });
}

/** The URL of the `stepjobs dev` running on the project at `root` (its default data dir), if its process is alive. */
export function runningDevServerUrl(root: string): string | undefined {
  let record: DevServerRecord;
  try {
    record = JSON.parse(fs.readFileSync(path.join(root, DEFAULT_DATA_DIR, RECORD_FILE), "utf8")) as DevServerRecord;
  } catch {
    return undefined; // no dev has run here, or it stopped
  }
  return typeof record.url === "string" && isAlive(record.pid) ? record.url : undefined;
}

/** Signal 0 checks that a process exists without touching it (EPERM: it exists, as another user). */
function isAlive(pid: unknown): boolean {
  if (!Number.isInteger(pid)) return false;
  try {
    process.kill(pid as number, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
