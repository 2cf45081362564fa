import fs from "node:fs";
import path from "node:path";

/**
 * The job modules of a directory: `*.ts` files, not declarations or tests, sorted for stable output. Kept apart from
 * the compiler so that callers which only need the list (the test harness's cache check) do not load TypeScript.
 */
export function listJobFiles(jobsDir: string): string[] {
  if (!fs.existsSync(jobsDir)) return [];
  return fs
    .readdirSync(jobsDir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|mts)$/.test(f) && !/\.(d|test|spec)\.m?ts$/.test(f))
    .map((f) => path.join(jobsDir, f))
    .sort();
}
