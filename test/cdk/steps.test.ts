import * as sns from "aws-cdk-lib/aws-sns";
import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { ROOT } from "../helpers/load-job.ts";
import { type Assembly, synthesize } from "../stack/synth.ts";
import { defined } from "../helpers/defined.ts";

/** The jobs using io.wait, io.sendEvent, Promise.all, mode: "express" and schedules, deployed as a user would. */
const JOBS_DIR = "test/fixtures/steps";
let app: Assembly;
const compiled = new Map(compileProject({ root: ROOT, jobsDir: JOBS_DIR }).jobs.map((j) => [j.plan.id, j.definition]));

function only(type: string, part = ""): { file: string; logicalId: string; resource: any } {
  const found = app.resources(type).filter((r) => r.logicalId.includes(part));
  expect(found.map((r) => r.logicalId)).toHaveLength(1);
  return defined(found[0], `a ${type} resource`);
}

beforeAll(() => {
  app = synthesize({ stackName: "Steps", jobsDir: JOBS_DIR, configure: (stack) => ({ alarmTopic: new sns.Topic(stack, "Alerts") }) });
});

describe("StepJobs with waits, sent events, parallel tasks, Express and schedules", () => {
  it("each machine is the compiled ASL; a job that sends events gets the bus by substitution, the others only the runner and partition", () => {
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
    for (const [jobId, { type, bus }] of Object.entries(expected)) {
      const part = `Job${jobId.replace(/-/g, "")}`;
      const sm = only("AWS::StepFunctions::StateMachine", part).resource.Properties;
      expect(JSON.parse(sm.DefinitionString)).toEqual(compiled.get(jobId));
      expect(sm.StateMachineType).toBe(type);
      expect(Object.keys(sm.DefinitionSubstitutions).sort()).toEqual(
        bus ? ["EventBusName", "Partition", "RunnerFunctionArn"] : ["Partition", "RunnerFunctionArn"],
      );
    }
  });

  it("Express: a task attempt is bounded at 1 minute, so a timed-out attempt is retried inside Express's 5-minute execution", () => {
    expect(only("AWS::Lambda::Function", "JobexpresspingRunner").resource.Properties.Timeout).toBe(60);
    expect(only("AWS::Lambda::Function", "JobfulfilorderRunner").resource.Properties.Timeout).toBe(300);
  });

  it("IAM: the state machines may PutEvents, on the app's bus only (one job sends events)", () => {
    const role = only("AWS::IAM::Role", "StateMachineRole").logicalId;
    const statements = app
      .resources("AWS::IAM::Policy")
      .filter((p) => JSON.stringify(p.resource.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap((p) => p.resource.Properties.PolicyDocument.Statement);
    expect(statements.filter((s: { Action: unknown }) => s.Action === "events:PutEvents")).toEqual([
      { Action: "events:PutEvents", Effect: "Allow", Resource: { "Fn::GetAtt": [only("AWS::Events::EventBus").logicalId, "Arn"] } },
    ]);
  });

  it("the parallel tasks' Map keeps each task's native Retry (the template's copy equals the top-level state's)", () => {
    const definition = JSON.parse(only("AWS::StepFunctions::StateMachine", "Jobfulfilorder").resource.Properties.DefinitionString);
    const inner = definition.States.Parallel.ItemProcessor.States;
    expect(inner["charge-card (parallel)"].Retry).toEqual(definition.States["charge-card"].Retry);
    expect(definition.States["charge-card"].Retry.at(-1)).toEqual({
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: 2,
      MaxAttempts: 2,
      BackoffRate: 1,
    });
  });

  it("a scheduled job's schedule puts its event on the bus with the scheduled time (its run id derives from it), retried, then dead-lettered", () => {
    const schedules = app.resources("AWS::Scheduler::Schedule");
    expect(schedules.map((r) => r.resource.Properties.ScheduleExpression).sort()).toEqual(["cron(0 9 ? * MON-FRI *)", "rate(5 minutes)"]);
    const daily = only("AWS::Scheduler::Schedule", "Jobdailyreport").resource.Properties;
    const { RoleArn, Arn, DeadLetterConfig, ...target } = daily.Target;
    expect([RoleArn, Arn, DeadLetterConfig].map((v) => Object.keys(v))).toEqual([["Ref"], ["Ref"], ["Arn"]]);
    expect({ ...daily, Target: target }).toEqual({
      Description: "stepjobs: runs job daily-report on cron(0 9 ? * MON-FRI *)",
      FlexibleTimeWindow: { Mode: "OFF" },
      ScheduleExpression: "cron(0 9 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "Etc/UTC",
      State: "ENABLED",
      Target: {
        EventBridgeParameters: { DetailType: "stepjobs.schedule.daily-report", Source: "stepjobs.scheduler" },
        // No <aws.scheduler.execution-id>: it is new on every retry of one fire, and would start a run per retry.
        Input: JSON.stringify({ timestamp: "<aws.scheduler.scheduled-time>", payload: { ts: "<aws.scheduler.scheduled-time>" } }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      },
    });
    expect(JSON.stringify(app.resources("AWS::Scheduler::Schedule"))).not.toContain("execution-id");
    // The job's rule matches what the schedule puts, so the run goes through ingest.
    expect(only("AWS::Events::Rule", "JobdailyreportRule").resource.Properties.EventPattern).toEqual({
      "detail-type": ["stepjobs.schedule.daily-report"],
      source: ["stepjobs.scheduler"],
    });
  });

  it("with alarmTopic, every alarm notifies the topic", () => {
    const alarms = app.resources("AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(2 * compiled.size + 1);
    for (const alarm of alarms) expect(alarm.resource.Properties.AlarmActions).toHaveLength(1);
  });
});
