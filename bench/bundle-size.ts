/**
 * `npx tsx bench/bundle-size.ts`: synthesizes the stack and prints the size of every Lambda bundle (what a cold
 * start loads). Recorded, not asserted: a runner holds one job + the SDK + the runtime; ingest and the API
 * bundle the AWS SDK clients on purpose (no scan of the runtime's copy at cold start).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { StepJobs } from "../lib/constructs/index.ts";
import { printTable } from "./stats.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Asset metadata (the bundle folder of each function) is on by default only under the CDK CLI.
const app = new App({
  outdir: fs.mkdtempSync(path.join(root, ".stepjobs-cdk", "bench-")),
  context: { "aws:cdk:enable-asset-metadata": true },
});
const stack = new Stack(app, "Bench");
const jobs = new StepJobs(stack, "App", { projectRoot: root });
const assembly = app.synth();
const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, "Bench.template.json"), "utf8")) as {
  Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
};
const rows = Object.entries(template.Resources)
  .filter(([, r]) => r.Type === "AWS::Lambda::Function" && r.Metadata?.["aws:asset:path"])
  .map(([id, r]) => {
    const file = path.join(assembly.directory, r.Metadata!["aws:asset:path"], "index.js");
    return { function: id.replace(/[0-9A-F]{8}$/, ""), "bundle KiB": Math.round((fs.statSync(file).size / 1024) * 10) / 10 };
  });
printTable(`Lambda bundles (${jobs.jobs.size} jobs)`, rows);
fs.rmSync(assembly.directory, { recursive: true, force: true });
