import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { checkAslRanges } from "../../lib/compiler/check-asl.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { type AslDefinition, substitute } from "../../lib/compiler/render-state-machine.ts";
import { ROOT } from "../helpers/load-job.ts";

const invoke = (mode: string) => ({
  Resource: "arn:${Partition}:states:::lambda:invoke",
  Parameters: { FunctionName: "${RunnerFunctionArn}", Payload: { mode, "retryCount.$": "$$.State.RetryCount", "state.$": "$" } },
  OutputPath: "$.Payload",
});
const SERVICE_RETRIER = {
  ErrorEquals: [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};
const NON_RETRIABLE = { ErrorEquals: ["NonRetriableError", "TaskOutputTooLargeError"], MaxAttempts: 0 };

/** The tutorial job's state machine, written out in full: any change to the renderer shows up here. */
const TUTORIAL_ASL = {
  Comment: 'stepjobs job "my-first-workflow" v1.0.0 (src/jobs/my-first-workflow.ts), triggered by "my.event"',
  StartAt: "Plan",
  States: {
    Plan: {
      Type: "Task",
      Comment: "Replays the job to find its next task (and records a failed task's error)",
      ...invoke("plan"),
      Retry: [SERVICE_RETRIER],
      Next: "Route",
    },
    Route: {
      Type: "Choice",
      Comment: "Where the run goes next, as decided by the runner's replay",
      Choices: [
        { Variable: "$.status", StringEquals: "succeeded", Next: "Succeeded" },
        { Variable: "$.status", StringEquals: "failed", Next: "RunFailed" },
        { Variable: "$.status", StringEquals: "waiting", Next: "DynamicWait" },
        { Variable: "$.next.task", StringEquals: "process-incoming-data", Next: "process-incoming-data" },
        { Variable: "$.next.task", StringEquals: "send-confirmation", Next: "send-confirmation" },
      ],
      Default: "DynamicTask",
    },
    "process-incoming-data": {
      Type: "Task",
      Comment: 'io.runTask("process-incoming-data") at src/jobs/my-first-workflow.ts:24: 3 attempts, 1 s apart',
      ...invoke("task"),
      Retry: [NON_RETRIABLE, SERVICE_RETRIER, { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 }],
      Next: "Route",
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Plan" }],
    },
    "send-confirmation": {
      Type: "Task",
      Comment:
        'io.runTask("send-confirmation") at src/jobs/my-first-workflow.ts:51: 3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that)',
      ...invoke("task"),
      Retry: [
        NON_RETRIABLE,
        SERVICE_RETRIER,
        { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
      ],
      Next: "Route",
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Plan" }],
    },
    DynamicTask: {
      Type: "Task",
      Comment: "A task whose id synth could not read; its retries are driven by the runner via DynamicRetry/DynamicWait",
      ...invoke("task"),
      Retry: [SERVICE_RETRIER],
      Next: "Route",
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "DynamicRetry" }],
    },
    DynamicRetry: {
      Type: "Task",
      Comment: "Decides whether the failed dynamic task gets another attempt",
      ...invoke("retry"),
      Retry: [SERVICE_RETRIER],
      Next: "Route",
    },
    DynamicWait: {
      Type: "Wait",
      Comment: "The wait before the next attempt of a dynamic task",
      SecondsPath: "$.next.waitSeconds",
      Next: "DynamicTask",
    },
    Succeeded: { Type: "Succeed", OutputPath: "$.output" },
    RunFailed: {
      Type: "Task",
      Comment: "The run failed: throws its error, so the execution fails here; after a redrive, continues from the failed task",
      Resource: "arn:${Partition}:states:::lambda:invoke",
      Parameters: {
        FunctionName: "${RunnerFunctionArn}",
        Payload: { mode: "fail", "retryCount.$": "$$.State.RetryCount", "state.$": "$", "redriveCount.$": "$$.Execution.RedriveCount" },
      },
      OutputPath: "$.Payload",
      Retry: [SERVICE_RETRIER],
      Next: "Route",
    },
  },
};

/** One state, loosely typed: tests reach into fields the renderer sets. */
const stateOf = (definition: AslDefinition, name: string): any => definition.States[name];

function compiled(jobsDir: string): Map<string, AslDefinition> {
  const project = compileProject({ root: ROOT, jobsDir });
  expect(project.errors).toEqual([]);
  return new Map(project.jobs.map((j) => [j.plan.id, j.definition]));
}

describe("renderStateMachine", () => {
  it("renders the tutorial job exactly", () => {
    expect(compiled("src/jobs").get("my-first-workflow")).toEqual(TUTORIAL_ASL);
  });

  it("renders the challenge job with the same retry on process-incoming-data", () => {
    const asl = compiled("src/jobs").get("priority-workflow")!;
    expect(stateOf(asl, "process-incoming-data").Retry).toEqual([
      NON_RETRIABLE,
      SERVICE_RETRIER,
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
    ]);
  });

  it("routes template-literal ids with StringMatches to one pattern state", () => {
    const asl = compiled("test/fixtures/jobs").get("dynamic-ids")!;
    expect(stateOf(asl, "Route").Choices.slice(3)).toEqual([{ Variable: "$.next.task", StringMatches: "fetch-*", Next: "fetch-*" }]);
  });

  it.each([["src/jobs"], ["test/fixtures/jobs"], ["test/fixtures/steps"]])(
    "every machine in %s passes asl-validator and our range checks",
    (dir) => {
      for (const [id, definition] of compiled(dir)) {
        const result = aslValidator(
          substitute(definition, {
            RunnerFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:runner",
            EventBusName: "app-bus",
            Partition: "aws",
          }),
        );
        expect({ id, errors: result.errors }).toEqual({ id, errors: [] });
        expect(result.isValid).toBe(true);
        expect({ id, problems: checkAslRanges(definition) }).toEqual({ id, problems: [] });
      }
    },
  );

  it("asl-validator and the range checks do reject broken machines (the checks can fail)", () => {
    const broken = structuredClone(TUTORIAL_ASL) as unknown as AslDefinition;
    stateOf(broken, "process-incoming-data").Next = "Nowhere";
    stateOf(broken, "process-incoming-data").Retry[2].BackoffRate = 0.5;
    stateOf(broken, "send-confirmation").Retry[2].MaxAttempts = 1.5;
    expect(aslValidator(broken).isValid).toBe(false);
    expect(checkAslRanges(broken)).toEqual([
      'process-incoming-data: Next "Nowhere" is not a state',
      "process-incoming-data.Retry[2].BackoffRate must be from 1 to 99999999, got 0.5",
      "send-confirmation.Retry[2].MaxAttempts must be an integer from 0 to 99999999, got 1.5",
    ]);
  });

  it("substitute binds the runner ARN and the partition the way definitionSubstitutions does", () => {
    const bound = substitute(TUTORIAL_ASL as AslDefinition, { RunnerFunctionArn: "arn:x", Partition: "aws-cn" });
    expect(stateOf(bound, "Plan").Parameters.FunctionName).toBe("arn:x");
    expect(stateOf(bound, "Plan").Resource).toBe("arn:aws-cn:states:::lambda:invoke");
    expect(JSON.stringify(bound)).not.toContain("${");
  });
});
