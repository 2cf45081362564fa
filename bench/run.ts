/**
 * `npm run bench [-- --full]`: runs every benchmark, prints one table per section and writes
 * bench/results/latest.json. Times are medians, reported as ratios to baselines measured in the same run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchBundles } from "./bundle-size.ts";
import { benchCliStart } from "./cli-start.ts";
import { benchCost } from "./cost.ts";
import { benchIngest } from "./ingest.ts";
import { benchJobTests } from "./job-tests.ts";
import { benchReplay } from "./replay.ts";
import { benchMode, printTable } from "./stats.ts";
import { benchSynth } from "./synth.ts";
import { benchThroughput, retriedRunMs } from "./throughput.ts";

const mode = benchMode();
const results: Record<string, unknown> = {
  mode,
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
};

const cost = await benchCost(mode);
printTable("Cost of the compiled machine (counted from the local engine; $ per million runs)", cost);
// Target (issue 7): at most 2 transitions and exactly 1 invocation per task, plus a constant per run.
const sequential = cost.filter((row) => String(row.shape).endsWith("sequential"));
const targetHolds = sequential.every(
  (row) => Number(row["transitions per task"]) <= 2 && Number(row.invocations) === Number(row.tasks) + 1,
);
process.stdout.write(`target (<= 2 transitions and 1 invocation per task + a constant): ${targetHolds ? "holds" : "MISSED"}\n`);
results.cost = { rows: cost, targetHolds };

const ingest = await benchIngest(mode);
printTable("Ingest validation (tutorial schema)", ingest);
results.ingest = ingest;

const replay = await benchReplay(mode);
printTable("Replay overhead (runner invocation executing the last task)", replay);
results.replay = replay;

const throughput = await benchThroughput(mode);
printTable("Local engine throughput: the tutorial job (no retries), 20 clients, POST to run end", throughput.rows);
if (throughput.skipped) process.stdout.write(`BullMQ comparison ${throughput.skipped}\n`);
else {
  process.stdout.write(
    `stepjobs dev / BullMQ throughput: ${throughput.ratio!.toFixed(3)} (target >= 0.5: ${throughput.ratio! >= 0.5 ? "holds" : "MISSED"})\n`,
  );
  process.stdout.write(
    `stepjobs/testing / BullMQ throughput: ${throughput.inProcessRatio!.toFixed(3)} (target >= 1: ${throughput.inProcessRatio! >= 1 ? "holds" : "MISSED"})\n`,
  );
}
const retried = await retriedRunMs(mode === "full" ? 50 : 20);
process.stdout.write(
  `stepjobs/testing: the tutorial with a retry (shouldFail: true) takes ${retried.toFixed(1)} ms per run (target < 20 ms: ${retried < 20 ? "holds" : "MISSED"})\n`,
);
results.throughput = { ...throughput, retriedRunMs: retried };

const jobTests = await benchJobTests(mode);
printTable("Job tests of a scaffolded project (node --import tsx --test) vs the same runner on a test that only passes", jobTests.rows);
// Target (issue 21): a scaffolded project's job tests run in under a second; the ratio says how much of it is ours.
const warm = Number(jobTests.rows.find((row) => String(row.case).endsWith("warm"))!["median ms"]);
process.stdout.write(
  `target (the scaffold's job tests, warm, under 1 s): ${warm < 1000 ? "holds" : "MISSED"} (${Math.round(warm)} ms, ${jobTests.warmRatio.toFixed(2)}x the runner's floor)\n`,
);
results.jobTests = jobTests;

const bundles = await benchBundles(mode);
printTable("Lambda bundles and cold start (module init in a fresh Node process)", bundles.rows);
process.stdout.write(`target (runner init <= 1.3x the minimal handler): ${bundles.runnerTargetHolds ? "holds" : "MISSED"}\n`);
results.bundles = bundles;

const synth = await benchSynth(mode);
printTable("Synth time (stepjobs synth's compiler, the StepJobs CDK app) vs hand-written StateMachine constructs", synth);
results.synth = synth;

const cli = await benchCliStart(mode);
printTable('CLI start against a running stepjobs dev, process start to exit, vs node -e "" started the same way', cli.rows);
// Target (issue 18): a command that reads the HTTP API answers well under half a second: <= 3x bare Node's start.
process.stdout.write(
  `target (runs, run, send from the installed package <= 3x node -e ""): ${cli.packageRatio <= 3 ? "holds" : "MISSED"} (${cli.packageRatio.toFixed(2)}x)\n`,
);
results.cliStart = cli;

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "results", "latest.json");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
process.stdout.write(`\nwrote ${path.relative(process.cwd(), out)}\n`);
