import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { writeLambdaEntries } from "../../lib/constructs/lambda-entries.ts";
import { stepJobsFunction } from "../../lib/constructs/stepjobs-function.ts";
import type { RunState } from "../../lib/runtime/run-state.ts";
import { ROOT } from "../helpers/load-job.ts";

/**
 * The runner bundle `cdk deploy` ships (minified by esbuild), run here: what it throws is what Step Functions'
 * native Retry matches. Minifying renames classes, so a `class PlainCustomError extends Error {}` would reach
 * AWS under a one-letter name unless the bundle keeps names.
 */
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-bundle-"));
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  // Only the runner is bundled: the function every stepjobs Lambda is built with, on this job's generated entry.
  const jobsDir = "test/fixtures/errors";
  const { runners } = writeLambdaEntries(ROOT, compileProject({ root: ROOT, jobsDir }).jobs, jobsDir);
  const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
  const stack = new Stack(app, "Bundle");
  stepJobsFunction(stack, "Runner", { entry: runners.get("custom-errors")!, projectRoot: ROOT, description: "runner" });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>;
  const runner = Object.values(resources).find((r) => r.Type === "AWS::Lambda::Function");
  const assetPath = runner?.Metadata?.["aws:asset:path"];
  if (!assetPath) throw new Error("the runner function has no asset path");
  const bundle = fs.readdirSync(path.join(outdir, assetPath)).find((f) => /^index\.m?js$/.test(f));
  handler = ((await import(pathToFileURL(path.join(outdir, assetPath, bundle!)).href)) as { handler: typeof handler }).handler;
}, 60_000);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe("the deployed runner bundle", () => {
  it("throws a task's error under its class name (the minified bundle keeps class names)", async () => {
    const state: RunState = {
      runId: "r",
      event: { id: "e", name: "custom.errors", timestamp: "2026-11-25T00:00:00Z", payload: {} },
      status: "running",
      memo: [],
      next: { key: "charge#0", task: "charge", index: 0 },
    };
    const thrown = (await handler({ mode: "task", retryCount: 0, state }).catch((error: Error) => error)) as Error;
    expect([thrown.name, thrown.message]).toEqual(["PlainCustomError", "gateway timed out"]);
  });
});
