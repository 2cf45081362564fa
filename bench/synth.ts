/**
 * Synth time for 1, 10 and 150 jobs (1 and 10 in quick mode): `stepjobs synth`'s compiler (TypeScript -> ASL),
 * and the CDK app (`StepJobs`: ASL, one esbuild call bundling every Lambda, the stack and its nested stacks), against
 * synthesizing the same number of hand-written `StateMachine` constructs (two `LambdaInvoke` tasks with a `Retry`
 * each, one inline function, nothing to bundle). Medians of repetitions; ratios to the hand-written synth of the same
 * size. CDK's own template validation runs in both, as under `cdk synth`.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { App, Duration, Stack } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { compileProject } from "../lib/compiler/compile-project.ts";
import { StepJobs } from "../lib/constructs/index.ts";
import { timeMedian } from "./stats.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** N tutorial-shaped jobs in a directory under the project (so bundling finds node_modules and the tsconfig). */
function writeJobs(n: number): string {
  const dir = fs.mkdtempSync(path.join(root, ".stepjobs-cdk", `bench-jobs-${n}-`));
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(
      path.join(dir, `job-${i}.ts`),
      `import { TriggerClient } from "stepjobs";
const client = new TriggerClient({ id: "bench" });
client.defineJob({ id: "job-${i}", name: "Job ${i}", version: "1.0.0",
  trigger: client.on("bench.${i}", { schema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] } }),
  run: async (payload, io) => {
    const r = await io.runTask("process", async (p) => ({ m: p.message }), payload, { maxAttempts: 3, retryDelayInMs: 1000 });
    await io.runTask("confirm", async () => ({ sent: true }), r);
  } });
`,
    );
  }
  return dir;
}

/** The same N machines written by hand with CDK's task constructs. */
function handWritten(n: number): void {
  const app = new App({ outdir: fs.mkdtempSync(path.join(root, ".stepjobs-cdk", "bench-out-")) });
  const stack = new Stack(app, "Hand");
  const fn = new lambda.Function(stack, "Fn", {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: "index.handler",
    code: lambda.Code.fromInline("exports.handler = async (e) => e;"),
  });
  for (let i = 0; i < n; i++) {
    const step = (id: string) =>
      new tasks.LambdaInvoke(stack, `${id}${i}`, { lambdaFunction: fn, outputPath: "$.Payload" }).addRetry({
        maxAttempts: 2,
        interval: Duration.seconds(1),
        backoffRate: 1,
      });
    new sfn.StateMachine(stack, `Machine${i}`, { definitionBody: sfn.DefinitionBody.fromChainable(step("Process").next(step("Confirm"))) });
  }
  fs.rmSync(app.synth().directory, { recursive: true, force: true });
}

function stepjobsCdk(dir: string): void {
  const app = new App({ outdir: fs.mkdtempSync(path.join(root, ".stepjobs-cdk", "bench-out-")) });
  new StepJobs(new Stack(app, "Bench"), "App", { projectRoot: root, jobsDir: path.relative(root, dir) });
  fs.rmSync(app.synth().directory, { recursive: true, force: true });
}

export async function benchSynth(mode: "quick" | "full") {
  const sizes = mode === "full" ? [1, 10, 150] : [1, 10];
  const reps = mode === "full" ? 3 : 3;
  const rows: Record<string, string | number>[] = [];
  for (const n of sizes) {
    const dir = writeJobs(n);
    try {
      const hand = await timeMedian(() => handWritten(n), reps, 1);
      const compile = await timeMedian(() => compileProject({ root, jobsDir: path.relative(root, dir) }), reps, 1);
      const cdk = await timeMedian(() => stepjobsCdk(dir), reps, 1);
      rows.push({
        jobs: n,
        "hand-written CDK ms": hand,
        "stepjobs synth ms": compile,
        "synth / hand": compile / hand,
        "StepJobs CDK ms": cdk,
        "CDK / hand": cdk / hand,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
