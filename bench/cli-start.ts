/**
 * CLI start: how long `stepjobs runs`, `run <id>` and `send` take against a running `stepjobs dev`, from process
 * start to exit, against `node -e ""` started the same way (spawnSync, same machine, same run). Measured as a user
 * runs them: from the installed package (the compiled `dist/`, built here first, laid out as in node_modules), and,
 * for reference, from this repository's sources (through tsx). `npx tsx bench/cli-start.ts` prints this section alone.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDev } from "../test/browser/harness.ts";
import { median, printTable } from "./stats.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Median wall-clock milliseconds of each `node <args>` from spawn to exit, after one warm-up round. The cases take
 * turns within each round, so a burst of load on this shared machine hits all of them alike; `before` runs ahead of
 * a case each time, untimed. Throws on a failure.
 */
export function spawnMedians(
  cases: ReadonlyMap<string, readonly string[]>,
  env: NodeJS.ProcessEnv,
  reps: number,
  options: { readonly cwd?: string; readonly before?: ReadonlyMap<string, () => void> } = {},
): Map<string, number> {
  const samples = new Map([...cases.keys()].map((name) => [name, [] as number[]]));
  for (let round = 0; round < reps + 1; round++) {
    for (const [name, args] of cases) {
      options.before?.get(name)?.();
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { env, encoding: "utf8", ...(options.cwd ? { cwd: options.cwd } : {}) });
      const took = performance.now() - started;
      if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
      if (round > 0) samples.get(name)!.push(took);
    }
  }
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
}

/**
 * The package as `npm install` lays it out: `bin/stepjobs.mjs` and `package.json` copied, `dist/` and the
 * dependencies linked. With no TypeScript sources beside it, the bin runs `dist/` as it does for a user.
 */
export function installedPackage(): string {
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-bench-cli-"));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.copyFileSync(path.join(ROOT, "bin/stepjobs.mjs"), path.join(dir, "bin/stepjobs.mjs"));
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
  fs.symlinkSync(path.join(ROOT, "dist"), path.join(dir, "dist"), "dir");
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Rows: each command's median and its ratio to `node -e ""`; `packageRatio`: the slowest of runs/run/send installed. */
export async function benchCliStart(mode: "quick" | "full"): Promise<{ rows: Record<string, string | number>[]; packageRatio: number }> {
  const reps = mode === "full" ? 25 : 9;
  const pkg = installedPackage();
  const dev = await startDev();
  try {
    const sent = await dev.send("my.event", { message: "bench", shouldFail: false }, "bench-cli");
    const runId = sent.body.runs[0].id as string;
    await dev.waitForRun(runId, "SUCCEEDED");
    const env = { ...process.env, TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey, NO_COLOR: "1" };
    const bin = path.join(pkg, "bin/stepjobs.mjs");
    const cases = new Map<string, readonly string[]>([
      ['node -e ""', ["-e", ""]],
      ["stepjobs runs", [bin, "runs"]],
      ["stepjobs run <id>", [bin, "run", runId]],
      // An event no job listens to: the API validates and records it, and no run competes for the CPU afterwards.
      ["stepjobs send", [bin, "send", "bench.nobody-listens", '{"n":1}']],
      ["stepjobs --help", [bin, "--help"]],
      ["stepjobs runs (sources)", [path.join(ROOT, "bin/stepjobs.mjs"), "runs"]],
    ]);
    const medians = spawnMedians(cases, env, reps);
    const baseline = medians.get('node -e ""')!;
    const rows = [...medians].map(([name, ms]) => ({
      command: name.replace(" (sources)", ""),
      from: name === 'node -e ""' ? "baseline" : name.endsWith("(sources)") ? "repository sources (tsx)" : "installed package",
      "median ms": ms,
      ratio: ms / baseline,
    }));
    const packageRatio = Math.max(...["stepjobs runs", "stepjobs run <id>", "stepjobs send"].map((name) => medians.get(name)! / baseline));
    return { rows, packageRatio };
  } finally {
    await dev.stop();
    fs.rmSync(pkg, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows } = await benchCliStart(process.argv.includes("--full") ? "full" : "quick");
  printTable('CLI start, process start to exit, against node -e "" started the same way', rows);
}
