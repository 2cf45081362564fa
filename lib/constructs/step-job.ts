import { Aws, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { CompiledJob } from "../compiler/compile-project.ts";
import { type ConcurrencyPlan, renderSlotReleaseMachine, TABLE_VARIABLE } from "../compiler/concurrency-limit.ts";
import { EVENT_BUS_VARIABLE, PARTITION_VARIABLE, RUNNER_ARN_VARIABLE, supportedSteps } from "../compiler/render-state-machine.ts";
import { SCHEDULE_SOURCE } from "../compiler/schedule.ts";
import { eventPatternFor } from "../ingest/event-pattern.ts";
import { acknowledge } from "./acknowledge-findings.ts";
import { LIVE_ALIAS, runnerFunctionName, stateMachineName } from "./names.ts";
import { stepJobsFunction } from "./stepjobs-function.ts";

/** What every job of an app shares (created once by `StepJobs`). */
export interface SharedJobResources {
  readonly bus: events.IEventBus;
  /** Where the job's rule puts its events; the ingest function reads it. */
  readonly ingestQueue: sqs.IQueue;
  /** Where events go that could not be delivered or ingested. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The app's table (the runner's attempt counter). */
  readonly table: dynamodb.ITable;
  /** The runners' execution role (one for all: its grants name the app's resources, not a job's). */
  readonly runnerRole: iam.IRole;
  readonly runnerLogs: logs.ILogGroup;
  /** The state machines' role (invokes `<prefix>*` runners, puts events on the bus, delivers logs). */
  readonly stateMachineRole: iam.IRole;
  /** The execution log group, under `/aws/vendedlogs/states/`. */
  readonly executionLogs: logs.ILogGroup;
  /** The role EventBridge Scheduler uses to put schedule events on the bus. */
  readonly schedulerRole?: iam.IRole;
  /** The prefix of every per-job physical name (`<stack>_`). */
  readonly namePrefix: string;
  readonly alarmTopic?: sns.ITopic;
}

/** Properties of a {@link StepJob}. */
export interface StepJobProps {
  /** The compiled job: its plan, its ASL (exactly what `stepjobs synth` prints) and its module. */
  readonly job: CompiledJob;
  /** The job's runner bundle directory. */
  readonly runnerBundle: string;
  readonly shared: SharedJobResources;
  /**
   * Execution log level of the state machine.
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * X-Ray tracing for the state machine and the runner.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Memory of the runner function in MiB.
   * @default 512
   */
  readonly runnerMemorySize?: number;
  /**
   * Timeout of one runner invocation (one task attempt). A timed-out attempt fails with the error Lambda reports
   * (`Sandbox.Timedout`, `Lambda.Unknown` in older runtimes), which the task's `States.ALL` retrier retries.
   * @default Duration.minutes(5) for Standard jobs; Duration.minutes(1) for Express jobs, whose whole execution lasts at most 5 minutes
   */
  readonly runnerTimeout?: Duration;
  /**
   * How long EventBridge keeps retrying delivery to the ingest queue before dead-lettering.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
  /**
   * Delivery retries to the ingest queue before dead-lettering (EventBridge allows 0-185).
   * @default 185
   */
  readonly retryAttempts?: number;
}

/**
 * A rule target that puts the event on the ingest queue with the rule's retry policy and dead-letter queue, and
 * touches no queue policy: `StepJobs` grants every rule of the bus with one statement (`aws:SourceArn` like
 * `rule/<bus>/*`), where CDK's `SqsQueue` target adds one per rule and SQS allows 20 statements in a policy.
 */
class IngestQueueTarget implements events.IRuleTarget {
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly deadLetterQueue: sqs.IQueue,
    private readonly retry: { retryAttempts: number; maxEventAge: Duration },
  ) {}

  bind(): events.RuleTargetConfig {
    return {
      arn: this.queue.queueArn,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      retryPolicy: { maximumRetryAttempts: this.retry.retryAttempts, maximumEventAgeInSeconds: this.retry.maxEventAge.toSeconds() },
    };
  }
}

/** An alarm on the first data point at or above 1 in a 5-minute period, notifying `topic` when given. */
export function alarmOnAny(
  scope: Construct,
  id: string,
  metric: cloudwatch.Metric,
  description: string,
  topic?: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = metric.createAlarm(scope, id, {
    alarmDescription: description,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (topic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  return alarm;
}

/**
 * One job: its runner Lambda (a bundle of that job's module only, versions retained), its state machine named
 * `<prefix><jobId>` (Standard, or Express with `mode: "express"`) from the compiled ASL with the runner version,
 * the bus and the partition bound through `definitionSubstitutions`, a version per deploy (retained) and the `live`
 * alias runs start on, the EventBridge rule (`detail-type` = event name, plus `source` and the trigger's compiled
 * `filter` when set) that puts the job's
 * events on the ingest queue, its alarms, and for `cronTrigger`/`intervalTrigger` jobs an EventBridge Scheduler
 * schedule. Shared roles grant by name prefix, so a job adds no policy statement.
 */
export class StepJob extends Construct {
  /** The runner function. */
  readonly runner: lambda.Function;
  /** The job's state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The rule routing the job's event to the ingest queue. */
  readonly rule: events.Rule;
  /** The state machine version this deploy published (kept when a later deploy replaces it). */
  readonly version: sfn.CfnStateMachineVersion;
  /** The `live` alias: where ingest starts new runs (100% on {@link version}). */
  readonly alias: sfn.CfnStateMachineAlias;
  /** The EventBridge Scheduler schedule of a `cronTrigger`/`intervalTrigger` job. */
  readonly schedule?: scheduler.CfnSchedule;
  /** ExecutionsFailed and ExecutionsTimedOut alarms. */
  readonly alarms: readonly cloudwatch.Alarm[];
  /** With `concurrencyLimit`: the machine that releases the slot of a run that ended without releasing it, and its rule. */
  readonly slotRelease?: { readonly stateMachine: sfn.StateMachine; readonly rule: events.Rule };

  constructor(scope: Construct, id: string, props: StepJobProps) {
    super(scope, id);
    const { plan, definition } = props.job;
    const { shared } = props;
    const tracing = props.tracing ?? false;
    const express = plan.mode === "express";

    this.runner = stepJobsFunction(this, "Runner", {
      description: `stepjobs runner of job ${plan.id} v${plan.version}`,
      functionName: runnerFunctionName(shared.namePrefix, plan.id),
      bundle: props.runnerBundle,
      role: shared.runnerRole,
      logGroup: shared.runnerLogs,
      memorySize: props.runnerMemorySize,
      // An attempt must end (and be retried) well inside an Express execution's 5 minutes.
      timeout: props.runnerTimeout ?? (express ? Duration.minutes(1) : Duration.minutes(5)),
      tracing,
      environment: { TABLE_NAME: shared.table.tableName },
    });

    const sendsEvents = supportedSteps(plan).includes("sendEvent");
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: stateMachineName(shared.namePrefix, plan.id),
      comment: definition.Comment,
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: {
        // The runner's published version: a state machine version then pins the runner code it was deployed with.
        [RUNNER_ARN_VARIABLE]: this.runner.currentVersion.functionArn,
        [PARTITION_VARIABLE]: Aws.PARTITION,
        ...(sendsEvents ? { [EVENT_BUS_VARIABLE]: shared.bus.eventBusName } : {}),
        ...(plan.concurrency ? { [TABLE_VARIABLE]: shared.table.tableName } : {}),
      },
      role: shared.stateMachineRole,
      logs: { destination: shared.executionLogs, level: props.logLevel ?? sfn.LogLevel.ERROR, includeExecutionData: true },
      tracingEnabled: tracing,
    });

    acknowledge(
      this.stateMachine,
      {
        id: "AwsSolutions::AwsSolutions-SF1",
        reason:
          "Every event is already in the execution history (console, GetExecutionHistory); ERROR keeps log cost proportional to failures. Set logLevel: ALL to log everything",
      },
      {
        id: "AwsSolutions::AwsSolutions-SF2",
        reason: "X-Ray is opt-in (tracing: true) because it adds cost per trace; the execution history shows every step without it",
      },
    );

    // Every deploy that changes the machine (or its runner's code) publishes a version, kept after replacement
    // (UpdateReplacePolicy/DeletionPolicy Retain) so runs started on it finish on it; runs start on the alias.
    // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-version.html
    this.version = new sfn.CfnStateMachineVersion(this, "Version", {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: this.stateMachine.stateMachineRevisionId,
      description: `${plan.id} v${plan.version}`,
    });
    this.version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.alias = new sfn.CfnStateMachineAlias(this, "Alias", {
      name: LIVE_ALIAS,
      description: `The version of ${plan.id} new runs start on`,
      routingConfiguration: [{ stateMachineVersionArn: this.version.attrArn, weight: 100 }],
    });

    const period = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const about = (what: string) => `stepjobs: job ${plan.id} has ${what} runs; see \`stepjobs runs --aws --job ${plan.id}\``;
    this.alarms = [
      alarmOnAny(this, "FailedAlarm", this.stateMachine.metricFailed(period), about("failed"), shared.alarmTopic),
      alarmOnAny(this, "TimedOutAlarm", this.stateMachine.metricTimedOut(period), about("timed-out"), shared.alarmTopic),
    ];

    const schedule = plan.trigger.schedule;
    if (schedule) {
      if (!shared.schedulerRole) throw new Error(`job ${plan.id} has a schedule but the app has no scheduler role`);
      // The schedule puts the job's schedule event on the bus, so the run goes through ingest like any other. Its id
      // is derived by ingest from the job and the scheduled time (the same across Scheduler's retries, whose
      // execution ids differ), exactly as `stepjobs dev` derives it.
      this.schedule = new scheduler.CfnSchedule(this, "Schedule", {
        description: `stepjobs: runs job ${plan.id} on ${schedule.expression}`,
        scheduleExpression: schedule.expression,
        scheduleExpressionTimezone: "Etc/UTC",
        state: "ENABLED",
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: shared.bus.eventBusArn,
          roleArn: shared.schedulerRole.roleArn,
          eventBridgeParameters: { detailType: plan.trigger.event, source: plan.trigger.source ?? SCHEDULE_SOURCE },
          input: JSON.stringify({ timestamp: "<aws.scheduler.scheduled-time>", payload: { ts: "<aws.scheduler.scheduled-time>" } }),
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
          deadLetterConfig: { arn: shared.deadLetterQueue.queueArn },
        },
      });
    }

    if (plan.concurrency) this.slotRelease = this.slotReleaseOnEnd(plan.concurrency, shared, props);

    const pattern = eventPatternFor(plan.trigger);
    this.rule = new events.Rule(this, "Rule", {
      description: `stepjobs: "${plan.trigger.event}" events to the ingest queue for job ${plan.id}`,
      eventBus: shared.bus,
      eventPattern: {
        detailType: [...pattern["detail-type"]],
        ...(pattern.source ? { source: [...pattern.source] } : {}),
        // The trigger's v2 filter, compiled: the same pattern ingest and `stepjobs dev` apply.
        ...(pattern.detail ? { detail: pattern.detail } : {}),
      },
      targets: [
        new IngestQueueTarget(shared.ingestQueue, shared.deadLetterQueue, {
          retryAttempts: props.retryAttempts ?? 185,
          maxEventAge: props.maxEventAge ?? Duration.hours(24),
        }),
      ],
    });
  }

  /**
   * A run that ends where no state of its own releases its slot (aborted, timed out, failed outside `RunFailed`):
   * the default bus's "Step Functions Execution Status Change" event for this machine starts the release machine
   * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; Standard workflows only, best-effort
   * delivery). The release is a conditional write, so a run that did release counts once.
   */
  private slotReleaseOnEnd(concurrency: ConcurrencyPlan, shared: SharedJobResources, props: StepJobProps) {
    const definition = renderSlotReleaseMachine(concurrency);
    const stateMachine = new sfn.StateMachine(this, "SlotRelease", {
      comment: definition.Comment,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: { [PARTITION_VARIABLE]: Aws.PARTITION, [TABLE_VARIABLE]: shared.table.tableName },
      role: shared.stateMachineRole,
      logs: { destination: shared.executionLogs, level: sfn.LogLevel.ERROR, includeExecutionData: true },
      tracingEnabled: props.tracing ?? false,
    });
    acknowledge(
      stateMachine,
      {
        id: "AwsSolutions::AwsSolutions-SF1",
        reason: "Every event is already in the execution history; ERROR keeps log cost proportional to failures",
      },
      {
        id: "AwsSolutions::AwsSolutions-SF2",
        reason: "X-Ray is opt-in (tracing: true); the release machine's history shows its few steps",
      },
    );
    const rule = new events.Rule(this, "SlotReleaseRule", {
      description: `stepjobs: releases the concurrency slot of a run of limit "${concurrency.id}" that ended without releasing it`,
      eventPattern: {
        source: ["aws.states"],
        detailType: ["Step Functions Execution Status Change"],
        detail: { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new targets.SfnStateMachine(stateMachine, { retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
    return { stateMachine, rule };
  }
}
