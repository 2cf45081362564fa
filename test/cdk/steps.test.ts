import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as sns from "aws-cdk-lib/aws-sns";
import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { StepJobs } from "../../lib/constructs/index.ts";
import { ROOT } from "../helpers/load-job.ts";
import { logicalIdIn, type Resources } from "../helpers/template.ts";

/** The jobs using io.wait, io.sendEvent, Promise.all and mode: "express", deployed as a user would. */
const JOBS_DIR = "test/fixtures/steps";
let resources: Resources;
const compiled = new Map(compileProject({ root: ROOT, jobsDir: JOBS_DIR }).jobs.map((j) => [j.plan.id, j.definition]));

const logicalId = (type: string, part: string) => logicalIdIn(resources, type, part);

beforeAll(() => {
  const app = new App();
  const stack = new Stack(app, "Steps");
  new StepJobs(stack, "App", { projectRoot: ROOT, jobsDir: JOBS_DIR, alarmTopic: new sns.Topic(stack, "Alerts") });
  resources = Template.fromStack(stack).toJSON().Resources;
});

describe("StepJobs with waits, sent events, parallel tasks, Express and schedules", () => {
  it("each machine is the compiled ASL; a job that sends events gets the bus by substitution, the others only the runner", () => {
    const bus = { Ref: logicalId("AWS::Events::EventBus", "Bus") };
    const expected: Record<string, { type: string; bus: boolean }> = {
      "fulfil-order": { type: "STANDARD", bus: true },
      "send-receipt": { type: "STANDARD", bus: false },
      "wait-until": { type: "STANDARD", bus: false },
      "express-ping": { type: "EXPRESS", bus: false },
      "daily-report": { type: "STANDARD", bus: false },
      heartbeat: { type: "STANDARD", bus: false },
      "import-orders": { type: "STANDARD", bus: false },
      versioned: { type: "STANDARD", bus: false },
    };
    expect([...compiled.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [jobId, { type, bus: sends }] of Object.entries(expected)) {
      const part = `Job${jobId.replace(/-/g, "")}`;
      const sm = resources[logicalId("AWS::StepFunctions::StateMachine", part)];
      expect(JSON.parse(sm.Properties.DefinitionString)).toEqual(compiled.get(jobId));
      expect(sm.Properties.StateMachineType).toBe(type);
      expect(sm.Properties.DefinitionSubstitutions).toEqual({
        RunnerFunctionArn: { Ref: logicalId("AWS::Lambda::Version", `${part}RunnerCurrentVersion`) },
        ...(sends ? { EventBusName: bus } : {}),
      });
    }
  });

  it("IAM: only the machine with io.sendEvent may PutEvents, and only on the app's bus", () => {
    const putEvents = (part: string) =>
      resources[logicalId("AWS::IAM::Policy", `${part}StateMachineRoleDefaultPolicy`)].Properties.PolicyDocument.Statement.filter(
        (s: { Action: unknown }) => s.Action === "events:PutEvents",
      );
    expect(putEvents("Jobfulfilorder")).toEqual([
      { Action: "events:PutEvents", Effect: "Allow", Resource: { "Fn::GetAtt": [logicalId("AWS::Events::EventBus", "Bus"), "Arn"] } },
    ]);
    expect(putEvents("Jobsendreceipt")).toEqual([]);
    expect(putEvents("Jobexpressping")).toEqual([]);
  });

  it("the parallel tasks' Map keeps each task's native Retry (the template's copy equals the top-level state's)", () => {
    const definition = JSON.parse(resources[logicalId("AWS::StepFunctions::StateMachine", "Jobfulfilorder")].Properties.DefinitionString);
    const inner = definition.States.Parallel.ItemProcessor.States;
    expect(inner["charge-card (parallel)"].Retry).toEqual(definition.States["charge-card"].Retry);
    expect(definition.States["charge-card"].Retry.at(-1)).toEqual({
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: 2,
      MaxAttempts: 2,
      BackoffRate: 1,
    });
  });

  it("a cronTrigger/intervalTrigger job gets an EventBridge Scheduler schedule that puts its event on the bus, retried, then dead-lettered", () => {
    const bus = { "Fn::GetAtt": [logicalId("AWS::Events::EventBus", "Bus"), "Arn"] };
    const dlq = { "Fn::GetAtt": [logicalId("AWS::SQS::Queue", "DeadLetterQueue"), "Arn"] };
    const schedules = Object.values(resources).filter((r) => r.Type === "AWS::Scheduler::Schedule");
    expect(schedules.map((r) => r.Properties.ScheduleExpression).sort()).toEqual(["cron(0 9 ? * MON-FRI *)", "rate(5 minutes)"]);
    const daily = resources[logicalId("AWS::Scheduler::Schedule", "Jobdailyreport")].Properties;
    const { RoleArn, ...target } = daily.Target;
    expect(RoleArn).toEqual({ "Fn::GetAtt": [expect.any(String), "Arn"] });
    expect({ ...daily, Target: target }).toEqual({
      Description: "stepjobs: runs job daily-report on cron(0 9 ? * MON-FRI *)",
      FlexibleTimeWindow: { Mode: "OFF" },
      ScheduleExpression: "cron(0 9 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "Etc/UTC",
      State: "ENABLED",
      Target: {
        Arn: bus,
        DeadLetterConfig: { Arn: dlq },
        EventBridgeParameters: { DetailType: "stepjobs.schedule.daily-report", Source: "stepjobs.scheduler" },
        Input: JSON.stringify({
          id: "<aws.scheduler.execution-id>",
          timestamp: "<aws.scheduler.scheduled-time>",
          payload: { ts: "<aws.scheduler.scheduled-time>" },
        }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      },
    });
    // The job's rule matches what the schedule puts, so the run goes through ingest.
    const rule = resources[logicalId("AWS::Events::Rule", "JobdailyreportRule")].Properties;
    expect(rule.EventPattern).toEqual({ "detail-type": ["stepjobs.schedule.daily-report"], source: ["stepjobs.scheduler"] });
  });

  it("with alarmTopic, every alarm notifies the topic", () => {
    const topic = { Ref: logicalId("AWS::SNS::Topic", "Alerts") };
    const alarms = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(2 * compiled.size + 1);
    expect(alarms.map((a) => a.Properties.AlarmActions)).toEqual(alarms.map(() => [topic]));
  });
});
