import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * What a child process loaded: the environment that makes it record every module it resolves
 * (test/helpers/record-modules.mjs), and the npm packages among them, by name.
 */

const RECORDER = fileURLToPath(new URL("./record-modules.mjs", import.meta.url));

/** Environment variables for a child process that records its modules into `log`. */
export function recordingModules(log: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${RECORDER}`, STEPJOBS_MODULE_LOG: log };
}

/** The packages (`node_modules/<name>`, scoped names whole) whose files the process loaded, sorted; none without a log. */
export function loadedPackages(log: string): string[] {
  if (!fs.existsSync(log)) return [];
  const names = fs
    .readFileSync(log, "utf8")
    .split("\n")
    .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)].sort();
}

/** A fresh log path under `dir` for one recorded run. */
export function moduleLog(dir: string, label: string): string {
  return path.join(dir, `${label}-${process.hrtime.bigint()}.log`);
}
