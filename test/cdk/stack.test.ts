import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { StepJobs } from "../../lib/constructs/index.ts";
import { ROOT } from "../helpers/load-job.ts";
import { logicalIdIn, type Resources } from "../helpers/template.ts";

let template: Template;
let resources: Resources;
const compiled = new Map(compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.map((j) => [j.plan.id, j.definition]));

const logicalId = (type: string, part: string) => logicalIdIn(resources, type, part);

beforeAll(() => {
  // Synthesized once: NodejsFunction bundles every Lambda with esbuild.
  const app = new App();
  const stack = new Stack(app, "Test");
  new StepJobs(stack, "App", { projectRoot: ROOT });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe("StepJobs", () => {
  it("deploys each job's state machine from exactly the ASL stepjobs synth prints, the runner bound by substitution", () => {
    for (const [jobId, definition] of compiled) {
      const part = `Job${jobId.replace(/-/g, "")}`;
      const sm = resources[logicalId("AWS::StepFunctions::StateMachine", part)];
      expect(JSON.parse(sm.Properties.DefinitionString)).toEqual(definition);
      expect(sm.Properties.DefinitionSubstitutions).toEqual({
        RunnerFunctionArn: { Ref: logicalId("AWS::Lambda::Version", `${part}RunnerCurrentVersion`) },
      });
      expect(sm.Properties.StateMachineType).toBe("STANDARD");
      expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: false });
      expect(sm.Properties.LoggingConfiguration).toEqual({
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { "Fn::GetAtt": [logicalId("AWS::Logs::LogGroup", `${part}ExecutionLogs`), "Arn"] } } },
        ],
        IncludeExecutionData: true,
        Level: "ERROR",
      });
    }
  });

  it("the tutorial's process-incoming-data state carries its native Retry in the template", () => {
    const sm = resources[logicalId("AWS::StepFunctions::StateMachine", "Jobmyfirstworkflow")];
    expect(JSON.parse(sm.Properties.DefinitionString).States["process-incoming-data"].Retry.at(-1)).toEqual({
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: 1,
      MaxAttempts: 2,
      BackoffRate: 1,
    });
  });

  it("routes each job's event name from the custom bus to ingest, with retries and the dead-letter queue", () => {
    const bus = { Ref: logicalId("AWS::Events::EventBus", "Bus") };
    const dlq = { "Fn::GetAtt": [logicalId("AWS::SQS::Queue", "DeadLetterQueue"), "Arn"] };
    const ingest = { "Fn::GetAtt": [logicalId("AWS::Lambda::Function", "AppIngest"), "Arn"] };
    for (const [jobId, event] of [
      ["myfirstworkflow", "my.event"],
      ["priorityworkflow", "priority.event"],
    ]) {
      const rule = resources[logicalId("AWS::Events::Rule", `Job${jobId}Rule`)];
      expect(rule.Properties.EventBusName).toEqual(bus);
      expect(rule.Properties.EventPattern).toEqual({ "detail-type": [event] });
      expect(rule.Properties.Targets).toEqual([
        {
          Arn: ingest,
          Id: "Target0",
          DeadLetterConfig: { Arn: dlq },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      ]);
    }
  });

  it("one table: on demand, point-in-time recovery, TTL, the list index", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
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

  it("the dead-letter queue is encrypted, refuses plain HTTP, and takes messages only from the job rules", () => {
    const queueId = logicalId("AWS::SQS::Queue", "DeadLetterQueue");
    expect(resources[queueId].Properties).toEqual({ MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true });
    const queueArn = { "Fn::GetAtt": [queueId, "Arn"] };
    const statements = resources[logicalId("AWS::SQS::QueuePolicy", "DeadLetterQueuePolicy")].Properties.PolicyDocument.Statement;
    expect(statements.map(({ Sid: _sid, ...rest }: Record<string, unknown>) => rest)).toEqual([
      {
        Action: "sqs:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
        Effect: "Deny",
        Principal: { AWS: "*" },
        Resource: queueArn,
      },
      ...["Jobmyfirstworkflow", "Jobpriorityworkflow"].map((part) => ({
        Action: "sqs:SendMessage",
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [logicalId("AWS::Events::Rule", `${part}Rule`), "Arn"] } } },
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Resource: queueArn,
      })),
    ]);
  });

  it("every function runs Node.js 22 on arm64; runners get only their job's module", () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === "AWS::Lambda::Function");
    expect(functions.map(([, r]) => [r.Properties.Runtime, r.Properties.Architectures])).toEqual(
      functions.map(() => ["nodejs22.x", ["arm64"]]),
    );
    expect(functions.map(([id]) => id.replace(/[0-9A-F]{8}$/, "")).sort()).toEqual([
      "AppApi",
      "AppIngest",
      "AppJobmyfirstworkflowRunner",
      "AppJobpriorityworkflowRunner",
    ]);
  });

  it("the runner counts attempts in the app's table: TABLE_NAME and UpdateItem on that table only", () => {
    const tableArn = { "Fn::GetAtt": [logicalId("AWS::DynamoDB::Table", "Table"), "Arn"] };
    for (const part of ["Jobmyfirstworkflow", "Jobpriorityworkflow"]) {
      const runner = resources[logicalId("AWS::Lambda::Function", `${part}Runner`)].Properties;
      expect(runner.Environment.Variables.TABLE_NAME).toEqual({ Ref: logicalId("AWS::DynamoDB::Table", "Table") });
      const policy = resources[logicalId("AWS::IAM::Policy", `${part}RunnerServiceRoleDefaultPolicy`)].Properties.PolicyDocument.Statement;
      expect(policy.filter((s: { Action: unknown }) => String(s.Action).startsWith("dynamodb:"))).toEqual([
        { Action: "dynamodb:UpdateItem", Effect: "Allow", Resource: tableArn },
      ]);
    }
  });

  it("IAM: each state machine may invoke only its runner; ingest may start runs only on these jobs' live aliases", () => {
    for (const part of ["Jobmyfirstworkflow", "Jobpriorityworkflow"]) {
      const runnerArn = { "Fn::GetAtt": [logicalId("AWS::Lambda::Function", `${part}Runner`), "Arn"] };
      const policy = resources[logicalId("AWS::IAM::Policy", `${part}StateMachineRoleDefaultPolicy`)];
      expect(policy.Properties.PolicyDocument.Statement.filter((s: { Action: unknown }) => s.Action === "lambda:InvokeFunction")).toEqual([
        { Action: "lambda:InvokeFunction", Effect: "Allow", Resource: [runnerArn, { "Fn::Join": ["", [runnerArn, ":*"]] }] },
      ]);
    }
    const ingestPolicy = resources[logicalId("AWS::IAM::Policy", "AppIngestServiceRoleDefaultPolicy")];
    expect(
      ingestPolicy.Properties.PolicyDocument.Statement.filter((s: { Action: unknown }) => s.Action === "states:StartExecution"),
    ).toEqual(
      ["Jobmyfirstworkflow", "Jobpriorityworkflow"].map((part) => ({
        Action: "states:StartExecution",
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [logicalId("AWS::StepFunctions::StateMachineAlias", part), "Arn"] },
      })),
    );
  });

  it("the API: a Function URL (the bearer key is checked in the function), PutEvents on this bus only, this secret only", () => {
    const api = logicalId("AWS::Lambda::Function", "AppApi");
    expect(resources[logicalId("AWS::Lambda::Url", "AppApi")].Properties).toEqual({
      AuthType: "NONE",
      TargetFunctionArn: { "Fn::GetAtt": [api, "Arn"] },
    });
    const secret = { Ref: logicalId("AWS::SecretsManager::Secret", "ApiKey") };
    expect(resources[secret.Ref].Properties.GenerateSecretString).toEqual({ ExcludePunctuation: true, PasswordLength: 48 });
    expect(resources[api].Properties.Environment.Variables).toEqual({
      EVENT_BUS_NAME: { Ref: logicalId("AWS::Events::EventBus", "Bus") },
      API_KEY_SECRET_ARN: secret,
      NODE_OPTIONS: "--enable-source-maps",
    });
    expect(resources[logicalId("AWS::IAM::Policy", "AppApiServiceRoleDefaultPolicy")].Properties.PolicyDocument.Statement).toEqual([
      { Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Effect: "Allow", Resource: secret },
      { Action: "events:PutEvents", Effect: "Allow", Resource: { "Fn::GetAtt": [logicalId("AWS::Events::EventBus", "Bus"), "Arn"] } },
    ]);
  });

  it("ingest gets the table and the state machine ARNs by job id", () => {
    const ingest = resources[logicalId("AWS::Lambda::Function", "AppIngest")];
    expect(Object.keys(ingest.Properties.Environment.Variables).sort()).toEqual(["NODE_OPTIONS", "STATE_MACHINE_ARNS", "TABLE_NAME"]);
    expect(ingest.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: logicalId("AWS::DynamoDB::Table", "Table") });
  });

  it("versions: each deploy publishes a retained state machine version pinning the runner's version; the live alias routes all new runs to it", () => {
    for (const part of ["Jobmyfirstworkflow", "Jobpriorityworkflow"]) {
      const versionId = logicalId("AWS::StepFunctions::StateMachineVersion", part);
      const version = resources[versionId] as {
        Properties: Record<string, unknown>;
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
      };
      const sm = logicalId("AWS::StepFunctions::StateMachine", part);
      expect(version.Properties).toEqual({
        StateMachineArn: { Ref: sm },
        StateMachineRevisionId: { "Fn::GetAtt": [sm, "StateMachineRevisionId"] },
        Description: expect.stringMatching(/ v1\.0\.0$/),
      });
      expect([version.DeletionPolicy, version.UpdateReplacePolicy]).toEqual(["Retain", "Retain"]);
      expect(resources[logicalId("AWS::StepFunctions::StateMachineAlias", part)].Properties).toEqual({
        Name: "live",
        Description: expect.stringContaining("new runs start on"),
        RoutingConfiguration: [{ StateMachineVersionArn: { "Fn::GetAtt": [versionId, "Arn"] }, Weight: 100 }],
      });
    }
    const ingest = resources[logicalId("AWS::Lambda::Function", "AppIngest")].Properties;
    // Ingest starts runs on the aliases: the ARNs it is given are the aliases', not the unversioned machines'.
    const arns = JSON.stringify(ingest.Environment.Variables.STATE_MACHINE_ARNS);
    for (const part of ["Jobmyfirstworkflow", "Jobpriorityworkflow"]) {
      expect(arns).toContain(`{"Fn::GetAtt":["${logicalId("AWS::StepFunctions::StateMachineAlias", part)}","Arn"]}`);
      expect(arns).not.toContain(`"${logicalId("AWS::StepFunctions::StateMachine", part)}"`);
    }
  });

  it("alarms: each job's ExecutionsFailed and ExecutionsTimedOut over 5 minutes, and the dead-letter queue's depth, without actions by default", () => {
    const alarms = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(5);
    const sm = { Ref: logicalId("AWS::StepFunctions::StateMachine", "Jobmyfirstworkflow") };
    expect(resources[logicalId("AWS::CloudWatch::Alarm", "JobmyfirstworkflowFailedAlarm")].Properties).toEqual({
      AlarmDescription: "stepjobs: job my-first-workflow has failed runs; see `stepjobs runs --aws --job my-first-workflow`",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Dimensions: [{ Name: "StateMachineArn", Value: sm }],
      EvaluationPeriods: 1,
      MetricName: "ExecutionsFailed",
      Namespace: "AWS/States",
      Period: 300,
      Statistic: "Sum",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    expect(resources[logicalId("AWS::CloudWatch::Alarm", "JobmyfirstworkflowTimedOutAlarm")].Properties.MetricName).toBe(
      "ExecutionsTimedOut",
    );
    expect(resources[logicalId("AWS::CloudWatch::Alarm", "DeadLetterAlarm")].Properties).toEqual({
      AlarmDescription: "stepjobs: events are in the dead-letter queue (ingest could not take them); see `stepjobs dlq list --aws`",
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [logicalId("AWS::SQS::Queue", "DeadLetterQueue"), "QueueName"] } }],
      EvaluationPeriods: 1,
      MetricName: "ApproximateNumberOfMessagesVisible",
      Namespace: "AWS/SQS",
      Period: 300,
      Statistic: "Maximum",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    expect(alarms.every((a) => a.Properties.AlarmActions === undefined)).toBe(true);
  });

  it("outputs have stable keys the CLI reads: one per job's state machine, the bus, the DLQ, the API, the table", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Description: string }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        "ApiKeySecretArn",
        "ApiUrl",
        "DeadLetterQueueUrl",
        "EventBusName",
        "StateMachineMyFirstWorkflow",
        "StateMachinePriorityWorkflow",
        "TableName",
      ].sort(),
    );
    expect(outputs.StateMachineMyFirstWorkflow.Description).toBe("stepjobs state machine of job my-first-workflow");
  });
});
