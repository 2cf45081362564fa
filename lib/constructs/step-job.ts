import { type CfnElement, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { CompiledJob } from "../compiler/compile-project.ts";
import { EVENT_BUS_VARIABLE, RUNNER_ARN_VARIABLE, supportedSteps } from "../compiler/render-state-machine.ts";
import { SCHEDULE_SOURCE } from "../compiler/schedule.ts";
import { eventPatternFor } from "../ingest/event-pattern.ts";
import { acknowledge } from "./acknowledge-findings.ts";
import { stepJobsFunction } from "./stepjobs-function.ts";

/** Properties of a {@link StepJob}. */
export interface StepJobProps {
  /** The compiled job: its plan, its ASL (exactly what `stepjobs synth` prints) and its module. */
  readonly job: CompiledJob;
  /** The generated runner entry module for this job (imports only this job's module). */
  readonly runnerEntry: string;
  /** The project root: where package-lock.json and tsconfig.json are. */
  readonly projectRoot: string;
  /** The bus the job's rule listens on. */
  readonly bus: events.IEventBus;
  /** The ingest function the rule targets. */
  readonly ingest: lambda.IFunction;
  /** Where events the ingest target could not take after its retries go. */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * The app's table: the runner counts each task attempt there (`ctx.attempt.number`, not over-counted by Lambda
   * throttles). @default none: attempts are `$$.State.RetryCount + 1`
   */
  readonly table?: dynamodb.ITable;
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
   * Timeout of one runner invocation (one task attempt); a timeout is a failed attempt (`States.Timeout`).
   * @default Duration.minutes(5)
   */
  readonly runnerTimeout?: Duration;
  /**
   * How long EventBridge keeps retrying the ingest target before dead-lettering.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
  /**
   * Retries of the ingest target before dead-lettering (EventBridge allows 0-185).
   * @default 185
   */
  readonly retryAttempts?: number;
}

/**
 * One job: its runner Lambda (an esbuild bundle of that job's module only), its state machine (Standard, or
 * Express with `mode: "express"`) from the compiled ASL with `${RunnerFunctionArn}` (and `${EventBusName}` for
 * `io.sendEvent`) bound through `definitionSubstitutions`, a log group, and the EventBridge rule
 * (`detail-type` = event name, plus `source` when set) that targets the ingest function.
 */
export class StepJob extends Construct {
  /** The runner function. */
  readonly runner: NodejsFunction;
  /** The job's state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** The rule routing the job's event to ingest. */
  readonly rule: events.Rule;
  /** The state machine version this deploy published (kept when a later deploy replaces it). */
  readonly version: sfn.CfnStateMachineVersion;
  /** The `live` alias: where ingest starts new runs (100% on {@link version}). */
  readonly alias: sfn.CfnStateMachineAlias;
  /** The EventBridge Scheduler schedule of a `cronTrigger`/`intervalTrigger` job. */
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: StepJobProps) {
    super(scope, id);
    const { plan, definition } = props.job;
    const tracing = props.tracing ?? false;

    this.runner = stepJobsFunction(this, "Runner", {
      description: `stepjobs runner of job ${plan.id} v${plan.version}`,
      entry: props.runnerEntry,
      projectRoot: props.projectRoot,
      memorySize: props.runnerMemorySize,
      timeout: props.runnerTimeout ?? Duration.minutes(5),
      tracing,
      ...(props.table ? { environment: { TABLE_NAME: props.table.tableName } } : {}),
    });
    // The attempt counter: UpdateItem on this table only (no reads, no other items' actions).
    if (props.table)
      this.runner.addToRolePolicy(new iam.PolicyStatement({ actions: ["dynamodb:UpdateItem"], resources: [props.table.tableArn] }));

    const logGroup = new logs.LogGroup(this, "ExecutionLogs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const sendsEvents = supportedSteps(plan).includes("sendEvent");
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      comment: definition.Comment,
      stateMachineType: plan.mode === "express" ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: {
        // The runner's published version: a state machine version then pins the runner code it was deployed with.
        [RUNNER_ARN_VARIABLE]: this.runner.currentVersion.functionArn,
        ...(sendsEvents ? { [EVENT_BUS_VARIABLE]: props.bus.eventBusName } : {}),
      },
      logs: { destination: logGroup, level: props.logLevel ?? sfn.LogLevel.ERROR, includeExecutionData: true },
      tracingEnabled: tracing,
    });
    // The definition is a string, so CDK cannot see the invoke: grant it (function ARN and its versions).
    this.runner.grantInvoke(this.stateMachine);
    // io.sendEvent: the SendEvent state's PutEvents, on this bus only.
    if (sendsEvents) props.bus.grantPutEventsTo(this.stateMachine);

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
      name: "live",
      description: `The version of ${plan.id} new runs start on`,
      routingConfiguration: [{ stateMachineVersionArn: this.version.attrArn, weight: 100 }],
    });
    acknowledge(
      this.stateMachine,
      {
        id:
          "AwsSolutions::AwsSolutions-IAM5[Resource::<" +
          Stack.of(this).getLogicalId(this.runner.node.defaultChild as CfnElement) +
          ".Arn>:*]",
        reason:
          "grantInvoke covers the runner's qualified ARNs (versions, aliases) so a published version can be invoked; it is still this one function",
      },
      {
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason:
          "CloudWatch Logs vended log delivery (logs:CreateLogDelivery, ...) and X-Ray writes do not support resource-level permissions; AWS requires Resource *",
      },
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

    const schedule = plan.trigger.schedule;
    if (schedule) {
      // The schedule puts the job's schedule event on the bus, so the run goes through ingest like any other:
      // recorded, validated, and deduplicated on Scheduler's execution id (the same across its retries).
      this.schedule = new scheduler.Schedule(this, "Schedule", {
        description: `stepjobs: runs job ${plan.id} on ${schedule.expression}`,
        schedule: scheduler.ScheduleExpression.expression(schedule.expression),
        target: new schedulerTargets.EventBridgePutEvents(
          {
            eventBus: props.bus,
            detailType: plan.trigger.event,
            source: plan.trigger.source ?? SCHEDULE_SOURCE,
            detail: scheduler.ScheduleTargetInput.fromObject({
              id: scheduler.ContextAttribute.executionId,
              timestamp: scheduler.ContextAttribute.scheduledTime,
              payload: { ts: scheduler.ContextAttribute.scheduledTime },
            }),
          },
          { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) },
        ),
      });
    }

    const pattern = eventPatternFor(plan.trigger);
    this.rule = new events.Rule(this, "Rule", {
      description: `stepjobs: "${plan.trigger.event}" events to ingest for job ${plan.id}`,
      eventBus: props.bus,
      eventPattern: { detailType: [...pattern["detail-type"]], ...(pattern.source ? { source: [...pattern.source] } : {}) },
      targets: [
        new targets.LambdaFunction(props.ingest, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: props.retryAttempts ?? 185,
          maxEventAge: props.maxEventAge ?? Duration.hours(24),
        }),
      ],
    });
  }
}
