import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { INGEST_MAX_RECEIVE_COUNT, INGEST_VISIBILITY_TIMEOUT, jobGroupOf } from "../../lib/constructs/step-jobs.ts";
import { ROOT } from "../helpers/load-job.ts";
import { type Assembly, synthesize } from "../stack/synth.ts";
import { defined } from "../helpers/defined.ts";

/**
 * The shape of the synthesized template, exactly: what the stack lane (test/stack) then proves by running it. These
 * pin what an emulator cannot show by running: names, retention, sizes and the exact IAM statements.
 */
let app: Assembly;
const compiled = new Map(compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.map((j) => [j.plan.id, j.definition]));
const JOBS = ["my-first-workflow", "priority-workflow"] as const;

/** The one resource of `type` whose logical id contains `part` (fails when not exactly one). */
function only(type: string, part = ""): { file: string; logicalId: string; resource: any } {
  const found = app.resources(type).filter((r) => r.logicalId.includes(part));
  expect(found.map((r) => r.logicalId)).toHaveLength(1);
  return defined(found[0], `a ${type} resource`);
}

/** A resource's policy statements, by the policy attached to role `rolePart`. */
function statementsOfRole(rolePart: string): unknown[] {
  const role = only("AWS::IAM::Role", rolePart).logicalId;
  return app
    .resources("AWS::IAM::Policy")
    .filter((p) => JSON.stringify(p.resource.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((p) => p.resource.Properties.PolicyDocument.Statement);
}

const arnOf = (service: string, resource: string) => ({
  "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:${service}:`, { Ref: "AWS::Region" }, ":", { Ref: "AWS::AccountId" }, resource]],
});

beforeAll(() => {
  app = synthesize({ stackName: "StepJobs" });
});

describe("StepJobs: each job", () => {
  it("is a state machine named <stack>_<jobId> from exactly the ASL stepjobs synth prints, the runner version and the partition substituted", () => {
    for (const jobId of JOBS) {
      const sm = only("AWS::StepFunctions::StateMachine", `Job${jobId.replace(/-/g, "")}`);
      const version = only("AWS::Lambda::Version", `Job${jobId.replace(/-/g, "")}Runner`);
      expect(sm.file).toBe(version.file); // both in the job's nested stack
      expect(sm.resource.Properties.StateMachineName).toBe(`StepJobs_${jobId}`);
      expect(JSON.parse(sm.resource.Properties.DefinitionString)).toEqual(compiled.get(jobId));
      expect(sm.resource.Properties.DefinitionSubstitutions).toEqual({
        RunnerFunctionArn: { Ref: version.logicalId },
        Partition: { Ref: "AWS::Partition" },
      });
      expect(sm.resource.Properties.StateMachineType).toBe("STANDARD");
      expect(sm.resource.Properties.LoggingConfiguration.Level).toBe("ERROR");
    }
  });

  it("the tutorial's process-incoming-data state carries its native Retry in the template", () => {
    const sm = only("AWS::StepFunctions::StateMachine", "Jobmyfirstworkflow");
    expect(JSON.parse(sm.resource.Properties.DefinitionString).States["process-incoming-data"].Retry.at(-1)).toEqual({
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: 1,
      MaxAttempts: 2,
      BackoffRate: 1,
    });
  });

  it("lives in the nested stack of its hash group, with its runner, versions, alias, rule and alarms (8 resources)", () => {
    for (const jobId of JOBS) {
      const part = `Job${jobId.replace(/-/g, "")}`;
      const file = only("AWS::StepFunctions::StateMachine", part).file;
      expect(file).toContain(`JobGroup${jobGroupOf(jobId)}`);
      const inFile = app.resources().filter((r) => r.file === file && r.logicalId.includes(part));
      expect(inFile.map((r) => r.resource.Type).sort()).toEqual([
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Alarm",
        "AWS::Events::Rule",
        "AWS::Lambda::Function",
        "AWS::Lambda::Version",
        "AWS::StepFunctions::StateMachine",
        "AWS::StepFunctions::StateMachineAlias",
        "AWS::StepFunctions::StateMachineVersion",
      ]);
    }
  });

  it("has a runner named <stack>_<jobId>: Node.js 22 on arm64, an ES module bundle, the shared role and log group", () => {
    const runners = app.resources("AWS::Lambda::Function").filter((f) => f.logicalId.includes("Runner"));
    expect(runners.map((r) => r.resource.Properties.FunctionName).sort()).toEqual(JOBS.map((j) => `StepJobs_${j}`));
    for (const { resource } of app.resources("AWS::Lambda::Function")) {
      expect([resource.Properties.Runtime, resource.Properties.Architectures, resource.Properties.Handler]).toEqual([
        "nodejs22.x",
        ["arm64"],
        "index.handler",
      ]);
    }
    expect(new Set(runners.map((r) => JSON.stringify(r.resource.Properties.Role))).size).toBe(1);
    expect(defined(runners[0], "a runner").resource.Properties.Environment.Variables).toEqual({
      TABLE_NAME: expect.anything(),
      NODE_OPTIONS: "--enable-source-maps",
    });
  });

  it("versions: the runner's published versions and each deploy's state machine version are retained; the live alias routes all new runs", () => {
    for (const jobId of JOBS) {
      const part = `Job${jobId.replace(/-/g, "")}`;
      // A retained state machine version keeps invoking the runner version it was deployed with: both must stay.
      for (const type of ["AWS::Lambda::Version", "AWS::StepFunctions::StateMachineVersion"]) {
        const { resource } = only(type, part);
        expect([type, resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([type, "Retain", "Retain"]);
      }
      const version = only("AWS::StepFunctions::StateMachineVersion", part).logicalId;
      expect(only("AWS::StepFunctions::StateMachineAlias", part).resource.Properties).toEqual({
        Name: "live",
        Description: `The version of ${jobId} new runs start on`,
        RoutingConfiguration: [{ StateMachineVersionArn: { "Fn::GetAtt": [version, "Arn"] }, Weight: 100 }],
      });
    }
  });

  it("has a rule on the app's bus putting its event on the ingest queue, retried 24 h, then dead-lettered", () => {
    for (const [jobId, event] of [
      ["myfirstworkflow", "my.event"],
      ["priorityworkflow", "priority.event"],
    ]) {
      const rule = only("AWS::Events::Rule", `Job${jobId}Rule`).resource.Properties;
      expect(rule.EventPattern).toEqual({ "detail-type": [event] });
      expect(rule.Targets).toEqual([
        {
          Arn: { Ref: expect.stringMatching(/IngestQueue.*Arn/) },
          Id: "Target0",
          DeadLetterConfig: { Arn: { Ref: expect.stringMatching(/DeadLetterQueue.*Arn/) } },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ]);
    }
  });
});

describe("StepJobs: shared resources", () => {
  it("one table: on demand, point-in-time recovery, TTL, the list index", () => {
    expect(only("AWS::DynamoDB::Table").resource.Properties).toEqual({
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: expect.any(Array),
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: "byTime",
          KeySchema: [
            { AttributeName: "gsi1pk", KeyType: "HASH" },
            { AttributeName: "gsi1sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
  });

  it("the ingest queue retries 480 times 3 minutes apart (24 h), then moves to the encrypted dead-letter queue", () => {
    const dlq = only("AWS::SQS::Queue", "DeadLetterQueue").logicalId;
    expect(only("AWS::SQS::Queue", "IngestQueue").resource.Properties).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: INGEST_VISIBILITY_TIMEOUT.toSeconds(),
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlq, "Arn"] }, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
    });
    expect(INGEST_MAX_RECEIVE_COUNT * INGEST_VISIBILITY_TIMEOUT.toSeconds()).toBe(24 * 3600);
    expect(only("AWS::SQS::Queue", "DeadLetterQueue").resource.Properties).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
  });

  it("each queue policy has two statements whatever the number of jobs: no plain HTTP, and every rule of the bus", () => {
    const bus = only("AWS::Events::EventBus").logicalId;
    for (const queue of ["IngestQueue", "DeadLetterQueue"]) {
      const queueArn = { "Fn::GetAtt": [only("AWS::SQS::Queue", queue).logicalId, "Arn"] };
      expect(only("AWS::SQS::QueuePolicy", `${queue}Policy`).resource.Properties.PolicyDocument.Statement).toEqual([
        {
          Action: "sqs:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
          Effect: "Deny",
          Principal: { AWS: "*" },
          Resource: queueArn,
        },
        {
          Action: "sqs:SendMessage",
          Condition: {
            ArnLike: {
              "aws:SourceArn": {
                "Fn::Join": [
                  "",
                  [
                    "arn:",
                    { Ref: "AWS::Partition" },
                    ":events:",
                    { Ref: "AWS::Region" },
                    ":",
                    { Ref: "AWS::AccountId" },
                    ":rule/",
                    { Ref: bus },
                    "/*",
                  ],
                ],
              },
            },
            StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
          },
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Resource: queueArn,
          Sid: "AllowRulesOfTheBus",
        },
      ]);
    }
  });

  it("IAM of ingest: StartExecution on the stack's state machines only through their live alias; the event record; the DLQ; the queue", () => {
    const table = { "Fn::GetAtt": [only("AWS::DynamoDB::Table").logicalId, "Arn"] };
    const statements = statementsOfRole("IngestServiceRole");
    expect(statements).toContainEqual({
      Action: "states:StartExecution",
      Condition: { "ForAnyValue:StringEquals": { "states:StateMachineQualifier": ["live"] } },
      Effect: "Allow",
      Resource: arnOf("states", ":stateMachine:StepJobs_*"),
    });
    expect(statements).toContainEqual({ Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Effect: "Allow", Resource: table });
    expect(statements.filter((s: any) => JSON.stringify(s.Action).includes("dynamodb:"))).toHaveLength(1);
    expect(statements.filter((s: any) => JSON.stringify(s.Action).includes("states:"))).toHaveLength(1);
  });

  it("IAM of the runners: UpdateItem on run items (RUN#...) of the app's table, nothing else of it", () => {
    const table = { "Fn::GetAtt": [only("AWS::DynamoDB::Table").logicalId, "Arn"] };
    expect(statementsOfRole("RunnerRole")).toEqual([
      {
        Action: "dynamodb:UpdateItem",
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["RUN#*"] } },
        Effect: "Allow",
        Resource: table,
      },
    ]);
  });

  it("IAM of the state machines: invoke the stack's runners (and their versions), deliver logs; no PutEvents without io.sendEvent", () => {
    const statements = statementsOfRole("StateMachineRole");
    expect(statements).toContainEqual({
      Action: "lambda:InvokeFunction",
      Effect: "Allow",
      Resource: arnOf("lambda", ":function:StepJobs_*"),
    });
    expect(JSON.stringify(statements)).not.toContain("events:PutEvents");
  });

  it("the API: a Function URL, reserved concurrency 10, this secret only, PutEvents on this bus only", () => {
    const api = only("AWS::Lambda::Function", "AppApi");
    expect(only("AWS::Lambda::Url", "AppApi").resource.Properties).toEqual({
      AuthType: "NONE",
      TargetFunctionArn: { "Fn::GetAtt": [api.logicalId, "Arn"] },
    });
    expect(api.resource.Properties.ReservedConcurrentExecutions).toBe(10);
    const secret = { Ref: only("AWS::SecretsManager::Secret", "ApiKey").logicalId };
    expect(statementsOfRole("ApiServiceRole")).toEqual([
      { Action: "secretsmanager:GetSecretValue", Effect: "Allow", Resource: secret },
      { Action: "events:PutEvents", Effect: "Allow", Resource: { "Fn::GetAtt": [only("AWS::Events::EventBus").logicalId, "Arn"] } },
    ]);
  });

  it("ingest finds each job's state machine by name: an ARN prefix, not a list of ARNs (Lambda's environment is 4 KB)", () => {
    const variables = only("AWS::Lambda::Function", "AppIngest").resource.Properties.Environment.Variables;
    expect(Object.keys(variables).sort()).toEqual([
      "DEAD_LETTER_QUEUE_URL",
      "MAX_RECEIVE_COUNT",
      "NODE_OPTIONS",
      "STATE_MACHINE_ALIAS",
      "STATE_MACHINE_ARN_PREFIX",
      "TABLE_NAME",
    ]);
    expect(variables.STATE_MACHINE_ARN_PREFIX).toEqual(arnOf("states", ":stateMachine:StepJobs_"));
    expect([variables.STATE_MACHINE_ALIAS, variables.MAX_RECEIVE_COUNT]).toEqual(["live", String(INGEST_MAX_RECEIVE_COUNT)]);
  });

  it("execution logs go to one group under /aws/vendedlogs/states/ (no CloudWatch Logs resource-policy entry per group)", () => {
    const group = only("AWS::Logs::LogGroup", "ExecutionLogs");
    expect(group.resource.Properties.LogGroupName).toBe("/aws/vendedlogs/states/StepJobs-executions");
    for (const { resource } of app.resources("AWS::StepFunctions::StateMachine")) {
      expect(resource.Properties.LoggingConfiguration.Destinations).toHaveLength(1);
    }
  });

  it("alarms: each job's ExecutionsFailed and ExecutionsTimedOut over 5 minutes, and the dead-letter queue's depth, without actions by default", () => {
    const alarms = app.resources("AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(5);
    const failed = only("AWS::CloudWatch::Alarm", "JobmyfirstworkflowFailedAlarm").resource.Properties;
    expect(failed).toEqual({
      AlarmDescription: "stepjobs: job my-first-workflow has failed runs; see `stepjobs runs --aws --job my-first-workflow`",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Dimensions: [{ Name: "StateMachineArn", Value: { Ref: only("AWS::StepFunctions::StateMachine", "Jobmyfirstworkflow").logicalId } }],
      EvaluationPeriods: 1,
      MetricName: "ExecutionsFailed",
      Namespace: "AWS/States",
      Period: 300,
      Statistic: "Sum",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    expect(only("AWS::CloudWatch::Alarm", "DeadLetterAlarm").resource.Properties.MetricName).toBe("ApproximateNumberOfMessagesVisible");
    expect(alarms.every((a) => a.resource.Properties.AlarmActions === undefined)).toBe(true);
  });

  it("outputs have stable keys the CLI reads; no output per job (CloudFormation allows 200)", () => {
    expect(Object.keys(app.template.Outputs ?? {}).sort()).toEqual([
      "ApiKeySecretArn",
      "ApiUrl",
      "DeadLetterQueueUrl",
      "EventBusName",
      "IngestQueueUrl",
      "JobNamePrefix",
      "TableName",
    ]);
    expect(app.template.Outputs?.JobNamePrefix?.Value).toBe("StepJobs_");
  });
});
