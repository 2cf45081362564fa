/**
 * Lambda bundles and cold start: synthesizes the stack (NodejsFunction bundles every Lambda with esbuild) and
 * reports each bundle's size, and the module-initialisation time of the runner and ingest bundles in a fresh Node
 * process (load + handler ready) against a minimal handler bundled the same way that imports the same AWS SDK
 * clients (DynamoDB and its document client). Target (issue 7): runner <= 1.3x the minimal handler's init.
 * `npx tsx bench/bundle-size.ts` prints this section alone.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { build } from "esbuild";
import { StepJobs } from "../lib/constructs/index.ts";
import { median, printTable } from "./stats.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Milliseconds to load a CommonJS bundle and reach its `handler`, measured inside a fresh Node process (median of
 * `reps`). The bundle is copied to `.cjs` first: under this repository's `"type": "module"` a `.js` would load as ESM.
 */
function initMs(bundle: string, reps: number): number {
  const file = bundle.replace(/\.js$/, ".cjs");
  fs.copyFileSync(bundle, file);
  const probe = `const t=performance.now();const m=require(${JSON.stringify(file)});if(typeof m.handler!=="function")throw new Error("no handler");process.stdout.write(String(performance.now()-t));`;
  const samples: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const run = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env: { ...process.env, ...LAMBDA_ENV } });
    if (run.status !== 0)
      throw new Error(
        `${bundle}: ${run.stderr
          .split("\n")
          .filter((l) => /Error/.test(l))
          .slice(0, 2)
          .join(" ")}`,
      );
    if (i > 0) samples.push(Number(run.stdout)); // the first run warms the file cache
  }
  return median(samples);
}

/** What the deployed functions read at init (as CDK sets it), so the bundles initialise as in Lambda. */
const LAMBDA_ENV = {
  AWS_REGION: "us-east-1",
  TABLE_NAME: "stepjobs-bench",
  STATE_MACHINE_ARNS: JSON.stringify({ "my-first-workflow": "arn:aws:states:us-east-1:123456789012:stateMachine:bench:live" }),
  EVENT_BUS_NAME: "bench",
  API_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench",
};

/** The baseline: a handler doing nothing but importing the AWS SDK clients the runner uses, bundled like ours. */
async function minimalHandler(dir: string): Promise<string> {
  const entry = path.join(dir, "minimal.ts");
  fs.writeFileSync(
    entry,
    `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";\n` +
      `const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\nexport const handler = async () => ({ ok: client !== undefined });\n`,
  );
  const outfile = path.join(dir, "minimal.js"); // CommonJS, like NodejsFunction's bundles
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    logLevel: "silent",
  });
  return outfile;
}

/** Bundle sizes and init times. */
export async function benchBundles(mode: "quick" | "full") {
  const reps = mode === "full" ? 21 : 9;
  const outdir = fs.mkdtempSync(path.join(root, ".stepjobs-cdk", "bench-"));
  try {
    // Asset metadata (the bundle folder of each function) is on by default only under the CDK CLI.
    const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
    const stack = new Stack(app, "Bench");
    new StepJobs(stack, "App", { projectRoot: root });
    const assembly = app.synth();
    const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, "Bench.template.json"), "utf8")) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const bundles = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["aws:asset:path"])
      .map(([id, r]) => ({
        name: id.replace(/[0-9A-F]{8}$/, ""),
        file: path.join(assembly.directory, r.Metadata!["aws:asset:path"], "index.js"),
      }));
    const minimal = await minimalHandler(outdir);
    const baseline = initMs(minimal, reps);
    const rows: Record<string, string | number>[] = [
      {
        function: "minimal handler (same SDK clients)",
        "bundle KiB": Math.round(fs.statSync(minimal).size / 102.4) / 10,
        "init ms": baseline,
        "x minimal": 1,
      },
    ];
    for (const b of bundles) {
      const measured = /Runner|Ingest/.test(b.name);
      const ms = measured ? initMs(b.file, reps) : Number.NaN;
      rows.push({
        function: b.name,
        "bundle KiB": Math.round(fs.statSync(b.file).size / 102.4) / 10,
        "init ms": measured ? ms : "-",
        "x minimal": measured ? ms / baseline : "-",
      });
    }
    const runnerRatios = rows.filter((r) => String(r.function).includes("Runner")).map((r) => Number(r["x minimal"]));
    return { rows, runnerTargetHolds: runnerRatios.every((x) => x <= 1.3) };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows, runnerTargetHolds } = await benchBundles(process.argv.includes("--full") ? "full" : "quick");
  printTable("Lambda bundles and cold start", rows);
  process.stdout.write(`target (runner init <= 1.3x the minimal handler): ${runnerTargetHolds ? "holds" : "MISSED"}\n`);
}
