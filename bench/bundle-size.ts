/**
 * Lambda bundles and cold start: bundles the example app's Lambdas exactly as the StepJobs construct does (one
 * esbuild call, code splitting, ES modules: lib/constructs/lambda-bundles.ts) and reports each function's code size
 * (entry plus the chunks it imports), and the module-initialisation time of the runner and ingest functions in a
 * fresh Node process (import + handler ready) against a minimal handler bundled the same way that imports the same
 * AWS SDK clients (DynamoDB and its document client). Target (issue 7): runner <= 1.3x the minimal handler's init.
 * `npx tsx bench/bundle-size.ts` prints this section alone.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { compileProject } from "../lib/compiler/compile-project.ts";
import { bundleLambdas } from "../lib/constructs/lambda-bundles.ts";
import { median, printTable } from "./stats.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Milliseconds to import a function's `index.mjs` and reach its `handler`, in a fresh Node process (median of `reps`). */
function initMs(dir: string, reps: number): number {
  const url = pathToFileURL(path.join(dir, "index.mjs")).href;
  const probe = `const t=performance.now();const m=await import(${JSON.stringify(url)});if(typeof m.handler!=="function")throw new Error("no handler");process.stdout.write(String(performance.now()-t));`;
  const samples: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", probe], {
      encoding: "utf8",
      env: { ...process.env, ...LAMBDA_ENV },
    });
    if (run.status !== 0)
      throw new Error(
        `${dir}: ${run.stderr
          .split("\n")
          .filter((l) => /Error/.test(l))
          .slice(0, 2)
          .join(" ")}`,
      );
    if (i > 0) samples.push(Number(run.stdout)); // the first run warms the file cache
  }
  return median(samples);
}

/** What the deployed functions read at init (as the StepJobs construct sets it), so the bundles initialise as in Lambda. */
const LAMBDA_ENV = {
  AWS_REGION: "us-east-1",
  TABLE_NAME: "stepjobs-bench",
  STATE_MACHINE_ARN_PREFIX: "arn:aws:states:us-east-1:123456789012:stateMachine:Bench_",
  STATE_MACHINE_ALIAS: "live",
  DEAD_LETTER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
  MAX_RECEIVE_COUNT: "480",
  EVENT_BUS_NAME: "bench",
  API_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/** The baseline: a handler doing nothing but importing the AWS SDK clients the runner uses, bundled like ours. */
async function minimalHandler(dir: string): Promise<string> {
  const entry = path.join(root, ".stepjobs-cdk", "bench-minimal.ts");
  fs.mkdirSync(path.dirname(entry), { recursive: true });
  fs.writeFileSync(
    entry,
    `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";\n` +
      `const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\nexport const handler = async () => ({ ok: client !== undefined });\n`,
  );
  const out = path.join(dir, "minimal");
  await build({
    entryPoints: { index: entry },
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    banner: { js: "import{createRequire as __r}from'node:module';const require=__r(import.meta.url);" },
    logLevel: "silent",
  });
  return out;
}

/** Bytes of a function's code: its entry and chunks (source maps left out: they are not loaded at init). */
function codeKiB(dir: string): number {
  const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".mjs"));
  return Math.round(files.reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0) / 102.4) / 10;
}

/** Bundle sizes and init times. */
export async function benchBundles(mode: "quick" | "full") {
  const reps = mode === "full" ? 21 : 9;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-bench-bundles-"));
  try {
    const bundles = bundleLambdas(root, compileProject({ root, jobsDir: "src/jobs" }).jobs);
    const minimal = await minimalHandler(dir);
    const baseline = initMs(minimal, reps);
    const rows: Record<string, string | number>[] = [
      { function: "minimal handler (same SDK clients)", "code KiB": codeKiB(minimal), "init ms": baseline, "x minimal": 1 },
    ];
    const measured = [...[...bundles.runners].map(([id, d]) => [`runner ${id}`, d] as const), ["ingest", bundles.ingest] as const];
    for (const [name, d] of measured) {
      const ms = initMs(d, reps);
      rows.push({ function: name, "code KiB": codeKiB(d), "init ms": ms, "x minimal": ms / baseline });
    }
    rows.push({ function: "api", "code KiB": codeKiB(bundles.api), "init ms": "-", "x minimal": "-" });
    const runnerRatios = rows.filter((r) => String(r.function).startsWith("runner")).map((r) => Number(r["x minimal"]));
    return { rows, runnerTargetHolds: runnerRatios.every((x) => x <= 1.3) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows, runnerTargetHolds } = await benchBundles(process.argv.includes("--full") ? "full" : "quick");
  printTable("Lambda bundles and cold start", rows);
  process.stdout.write(`target (runner init <= 1.3x the minimal handler): ${runnerTargetHolds ? "holds" : "MISSED"}\n`);
}
