/**
 * Job tests: how long a scaffolded project's job tests take (`node --import tsx --test test/*.test.ts`, the scaffold's
 * `npm test` after its `tsc --noEmit`), from the installed package, against the same runner on a test file that only
 * passes (the floor of Node's test runner and tsx on this machine, measured in the same rounds). "warm" keeps
 * stepjobs/testing's compiled-jobs cache (node_modules/.cache/stepjobs) between runs, as a second `npm test` does;
 * "cold" removes it before each run, as the first `npm test` after an edit of a job does.
 * `npx tsx bench/job-tests.ts` prints this section alone.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installedPackage, spawnMedians } from "./cli-start.ts";
import { printTable } from "./stats.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The scaffold's layout: the tutorial job and its test as `stepjobs init` writes them, stepjobs and tsx installed. */
function scaffoldedProject(pkg: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-bench-tests-"));
  fs.mkdirSync(path.join(dir, "src", "jobs"), { recursive: true });
  fs.mkdirSync(path.join(dir, "test"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-app", private: true, type: "module" }));
  fs.copyFileSync(path.join(ROOT, "src/trigger.ts"), path.join(dir, "src/trigger.ts"));
  fs.copyFileSync(path.join(ROOT, "src/jobs/my-first-workflow.ts"), path.join(dir, "src/jobs/my-first-workflow.ts"));
  fs.copyFileSync(path.join(ROOT, "src/jobs/my-first-workflow.test.ts"), path.join(dir, "test/my-first-workflow.test.ts"));
  fs.writeFileSync(path.join(dir, "test/passes.test.ts"), 'import { test } from "node:test";\ntest("passes", () => {});\n');
  fs.symlinkSync(pkg, path.join(dir, "node_modules", "stepjobs"), "dir");
  fs.symlinkSync(path.join(ROOT, "node_modules", "tsx"), path.join(dir, "node_modules", "tsx"), "dir");
  return dir;
}

/** Rows: each case's median and its ratio to the runner on a test that only passes; `warmRatio` for the target line. */
export async function benchJobTests(mode: "quick" | "full"): Promise<{ rows: Record<string, string | number>[]; warmRatio: number }> {
  const reps = mode === "full" ? 15 : 5;
  const pkg = installedPackage();
  const project = scaffoldedProject(pkg);
  try {
    const runner = (file: string) => ["--import", "tsx", "--test", file];
    const cases = new Map<string, readonly string[]>([
      ["a test that only passes", runner("test/passes.test.ts")],
      ["the scaffold's job tests, warm", runner("test/my-first-workflow.test.ts")],
      ["the scaffold's job tests, cold", runner("test/my-first-workflow.test.ts")],
    ]);
    const cache = path.join(project, "node_modules", ".cache");
    const before = new Map([["the scaffold's job tests, cold", () => fs.rmSync(cache, { recursive: true, force: true })]]);
    const medians = spawnMedians(cases, { ...process.env, NO_COLOR: "1" }, reps, { cwd: project, before });
    const baseline = medians.get("a test that only passes")!;
    const rows = [...medians].map(([name, ms]) => ({ case: name, "median ms": ms, ratio: ms / baseline }));
    return { rows, warmRatio: medians.get("the scaffold's job tests, warm")! / baseline };
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
    fs.rmSync(pkg, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows } = await benchJobTests(process.argv.includes("--full") ? "full" : "quick");
  printTable("Job tests (node --import tsx --test) against the runner on a test that only passes", rows);
}
