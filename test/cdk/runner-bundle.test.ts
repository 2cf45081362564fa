import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { bundleLambdas } from "../../lib/constructs/lambda-bundles.ts";
import type { RunState } from "../../lib/runtime/run-state.ts";
import { ROOT } from "../helpers/load-job.ts";

/**
 * The runner bundle `cdk deploy` ships (minified by esbuild), run here: what it throws is what Step Functions'
 * native Retry matches. Minifying renames classes, so a `class PlainCustomError extends Error {}` would reach
 * AWS under a one-letter name unless the bundle keeps names.
 */
let handler: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  // Only the errors fixture's jobs are bundled, exactly as the StepJobs construct bundles every Lambda.
  const jobsDir = "test/fixtures/errors";
  const { runners } = bundleLambdas(ROOT, compileProject({ root: ROOT, jobsDir }).jobs, jobsDir);
  const dir = runners.get("custom-errors")!;
  handler = ((await import(pathToFileURL(path.join(dir, "index.mjs")).href)) as { handler: typeof handler }).handler;
}, 60_000);

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
