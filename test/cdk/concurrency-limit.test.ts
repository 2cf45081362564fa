import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { StepJob, StepJobs } from "../../lib/constructs/index.ts";
import { ROOT } from "../helpers/load-job.ts";

/** What `concurrencyLimit` adds to the stack: the table in the definition, a least-privilege grant, the release path. */
describe("StepJobs with concurrency limits", () => {
  const app = new App();
  const stack = new Stack(app, "Limits");
  const jobs = new StepJobs(stack, "App", { projectRoot: ROOT, jobsDir: "test/fixtures/limits" });
  const limited = stack.node.findAll().find((c): c is StepJob => c instanceof StepJob && c.node.id.includes("limited"))!;
  const jobTemplate = Template.fromStack(Stack.of(limited));

  it("binds the table into the job's definition and the release machine's", () => {
    const machines = jobTemplate.findResources("AWS::StepFunctions::StateMachine");
    const substitutions = Object.values(machines).map((m) => Object.keys(m.Properties.DefinitionSubstitutions ?? {}).sort());
    expect(substitutions).toEqual([
      ["Partition", "RunnerFunctionArn", "TableName"],
      ["Partition", "TableName"],
    ]);
  });

  it("starts the release machine on this job's failed, timed-out and aborted executions", () => {
    const rules = Object.values(jobTemplate.findResources("AWS::Events::Rule")).filter((r) => r.Properties.EventPattern.source);
    expect(rules.map((r) => ({ ...r.Properties.EventPattern, detail: { status: r.Properties.EventPattern.detail.status } }))).toEqual([
      {
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"] },
      },
    ]);
    expect(rules[0]!.Properties.EventPattern.detail.stateMachineArn).toHaveLength(1);
  });

  it("lets the state machines read and update the LIMIT# items of the table, nothing else", () => {
    const policies = Template.fromStack(Stack.of(jobs)).findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[],
    );
    expect(statements.filter((s) => JSON.stringify(s).includes("LIMIT#"))).toEqual([
      {
        Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LIMIT#*"] } },
        Effect: "Allow",
        Resource: expect.anything(),
      },
    ]);
  });
});
