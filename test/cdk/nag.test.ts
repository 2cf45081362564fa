import { App, Stack, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { StepJobs } from "../../lib/constructs/index.ts";
import { ROOT } from "../helpers/load-job.ts";

/** Synthesizes the stepjobs stack (plus `extra`) under cdk-nag's AWS Solutions pack; returns the error text, if any. */
function synthWithNag(extra?: (stack: Stack) => void, jobsDir?: string): string | undefined {
  const app = new App();
  const stack = new Stack(app, "Nag");
  new StepJobs(stack, "App", { projectRoot: ROOT, jobsDir });
  extra?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe("cdk-nag AwsSolutionsChecks", () => {
  it("the stepjobs stack has zero unacknowledged findings (each acknowledgement carries its reason in lib/constructs)", () => {
    expect(synthWithNag()).toBeUndefined();
  });

  it("so has a stack using waits, sent events, parallel tasks, Express and schedules", () => {
    expect(synthWithNag(undefined, "test/fixtures/steps")).toBeUndefined();
  });

  it("so has a stack with concurrency limits (release machines and their status-change rules)", () => {
    expect(synthWithNag(undefined, "test/fixtures/limits")).toBeUndefined();
  });

  it("the pack is really checking: an unacknowledged queue beside it is reported", () => {
    const message = synthWithNag((stack) => new sqs.Queue(stack, "Unreviewed"));
    expect(message).toContain("Nag/Unreviewed/Resource");
    expect(message).toContain("AwsSolutions::AwsSolutions-SQS3");
    expect(message).not.toContain("Nag/App/");
  });
});
