import { createHash } from "node:crypto";
import path from "node:path";
import { Aws, CfnOutput, Duration, NestedStack, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as lambdaEvents from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { compileProject, type CompiledJob } from "../compiler/compile-project.ts";
import { supportedSteps } from "../compiler/render-state-machine.ts";
import { STEPJOBS_TABLE } from "../store/table.ts";
import { acknowledge, LAMBDA_BASIC_EXECUTION } from "./acknowledge-findings.ts";
import { bundleLambdas } from "./lambda-bundles.ts";
import { jobNamePrefix, LIVE_ALIAS, stateMachineNameProblem } from "./names.ts";
import { OUTPUT_KEYS } from "./outputs.ts";
import { alarmOnAny, type SharedJobResources, StepJob } from "./step-job.ts";
import { stepJobsFunction } from "./stepjobs-function.ts";

/** Properties of {@link StepJobs}. */
export interface StepJobsProps {
  /**
   * The project root (package-lock.json, tsconfig.json).
   * @default process.cwd()
   */
  readonly projectRoot?: string;
  /**
   * Where the jobs are, relative to the project root.
   * @default "src/jobs"
   */
  readonly jobsDir?: string;
  /**
   * Execution log level of every state machine.
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * X-Ray tracing for state machines and runners.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * What happens to the table, the queues and the API key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where the alarms notify (each job's ExecutionsFailed and ExecutionsTimedOut, and the dead-letter queue's depth).
   * @default the alarms are created without actions (visible in the CloudWatch console)
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Reserved concurrency of the public HTTP API function: bounds what unauthenticated traffic can cost and keeps it
   * from taking the account's concurrency from the runners. `undefined` leaves it unreserved (needed on accounts
   * whose concurrency quota is the new-account 10).
   * @default 10
   */
  readonly apiReservedConcurrency?: number | null;
}

/**
 * How often ingest retries an event it could not take, and for how long: the ingest queue's visibility timeout is
 * six times the function's timeout (AWS's advice for SQS event sources), and 480 receives 3 minutes apart are 24
 * hours, as long as EventBridge itself retries a delivery. Then the event goes to the dead-letter queue with its
 * error. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const INGEST_TIMEOUT = Duration.seconds(30);
export const INGEST_VISIBILITY_TIMEOUT = Duration.seconds(6 * 30);
export const INGEST_MAX_RECEIVE_COUNT = 480;

/**
 * Jobs live in nested stacks (CloudFormation allows 500 resources per stack; a job has 8 or 9), in a fixed number
 * of groups chosen by a hash of the job id: adding or removing a job never moves another between stacks, which
 * CloudFormation could not do for resources with fixed names.
 */
export const JOB_GROUPS = 16;

/** Most jobs one group may hold: 9 resources each stays under 500 with room for the group's parameters. */
export const MAX_JOBS_PER_GROUP = 50;

/** The job group of a job id: stable across deploys, independent of the other jobs. */
export function jobGroupOf(jobId: string): number {
  return createHash("sha256").update(jobId).digest().readUInt32BE(0) % JOB_GROUPS;
}

/**
 * The app: a custom EventBus, the ingest queue and function, one DynamoDB table (on demand, point-in-time recovery,
 * TTL), an encrypted dead-letter queue, the HTTP API (function URL), shared roles and log groups, and a
 * {@link StepJob} per job found in `jobsDir`, grouped in nested stacks. A job with an error stops synth with one
 * line per error (file:line:col), as `stepjobs synth` prints them.
 */
export class StepJobs extends Construct {
  readonly bus: events.EventBus;
  readonly table: dynamodb.Table;
  /** Events that could not be delivered or ingested, with why (`stepjobs dlq list --aws`). */
  readonly deadLetterQueue: sqs.Queue;
  /** Every job's rule puts its events here; the ingest function reads it in batches. */
  readonly ingestQueue: sqs.Queue;
  readonly ingest: lambda.Function;
  /** `POST /api/v1/events` behind a Function URL. */
  readonly api: lambda.Function;
  /** The API's bearer key, generated at deploy. */
  readonly apiKey: secretsmanager.Secret;
  /** The Function URL serving the API. */
  readonly apiUrl: lambda.FunctionUrl;
  /** The jobs, by job id. */
  readonly jobs: ReadonlyMap<string, StepJob>;
  /** The nested stacks holding the jobs, by group number. */
  readonly jobGroups: ReadonlyMap<number, NestedStack>;
  /** The prefix of every per-job physical name (`<stack>_`). */
  readonly namePrefix: string;
  /** Each job's ExecutionsFailed and ExecutionsTimedOut alarms, then the dead-letter queue's. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: StepJobsProps = {}) {
    super(scope, id);
    const root = path.resolve(props.projectRoot ?? process.cwd());
    const jobsDir = props.jobsDir ?? "src/jobs";
    const stack = Stack.of(this);
    this.namePrefix = jobNamePrefix(stack.stackName);
    const project = compileProject({ root, jobsDir });
    const problems = [
      ...project.errors.map((e) => e.message),
      ...project.jobs.flatMap(({ plan }) => {
        const problem = stateMachineNameProblem(this.namePrefix, plan.id);
        return problem ? [`${plan.location.file}:${plan.location.line}:${plan.location.column}: ${problem}`] : [];
      }),
      ...groupOverflows(project.jobs),
    ];
    if (problems.length > 0) throw new Error(`stepjobs: the jobs have errors:\n${problems.join("\n")}`);
    const bundles = bundleLambdas(root, project.jobs, jobsDir);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.bus = new events.EventBus(this, "Bus");
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: STEPJOBS_TABLE.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STEPJOBS_TABLE.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: STEPJOBS_TABLE.ttlAttribute,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: STEPJOBS_TABLE.listIndex.name,
      partitionKey: { name: STEPJOBS_TABLE.listIndex.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: STEPJOBS_TABLE.listIndex.sortKey.name, type: dynamodb.AttributeType.STRING },
    });

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    this.ingestQueue = new sqs.Queue(this, "IngestQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: INGEST_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: INGEST_MAX_RECEIVE_COUNT },
      removalPolicy,
    });
    // One statement for every rule of the bus (each job's rule targets the ingest queue and dead-letters to the
    // DLQ): SQS allows 20 statements per policy, so per-rule statements stop an app at about 20 jobs.
    const rulesOfBus = Stack.of(this).formatArn({ service: "events", resource: "rule", resourceName: `${this.bus.eventBusName}/*` });
    for (const queue of [this.ingestQueue, this.deadLetterQueue]) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: "AllowRulesOfTheBus",
          principals: [new iam.ServicePrincipal("events.amazonaws.com")],
          actions: ["sqs:SendMessage"],
          resources: [queue.queueArn],
          conditions: { ArnLike: { "aws:SourceArn": rulesOfBus }, StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
        }),
      );
    }

    const logGroup = (name: string, logGroupName?: string) =>
      new logs.LogGroup(this, name, {
        ...(logGroupName ? { logGroupName } : {}),
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });

    this.ingest = stepJobsFunction(this, "Ingest", {
      description: "stepjobs ingest: validates events, records them, starts one execution per listening job",
      bundle: bundles.ingest,
      logGroup: logGroup("IngestLogs"),
      timeout: INGEST_TIMEOUT,
      environment: {
        TABLE_NAME: this.table.tableName,
        STATE_MACHINE_ARN_PREFIX: this.stateMachineArnPrefix(),
        STATE_MACHINE_ALIAS: LIVE_ALIAS,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        MAX_RECEIVE_COUNT: String(INGEST_MAX_RECEIVE_COUNT),
      },
    });
    this.ingest.addEventSource(new lambdaEvents.SqsEventSource(this.ingestQueue, { batchSize: 10, reportBatchItemFailures: true }));
    // What ingest calls, and nothing more: the conditional put and read of an event record.
    this.ingest.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["dynamodb:PutItem", "dynamodb:GetItem"], resources: [this.table.tableArn] }),
    );
    this.deadLetterQueue.grantSendMessages(this.ingest);
    // Runs start on a job's `live` alias; Step Functions authorizes that on the unqualified state machine ARN with
    // the qualifier as a condition key (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html).
    this.ingest.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:StartExecution"],
        resources: [this.stateMachineArnPattern()],
        conditions: { "ForAnyValue:StringEquals": { "states:StateMachineQualifier": [LIVE_ALIAS] } },
      }),
    );

    this.apiKey = new secretsmanager.Secret(this, "ApiKey", {
      description: "stepjobs API key: send it as Authorization: Bearer <key>",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
    const reserved = props.apiReservedConcurrency === undefined ? 10 : props.apiReservedConcurrency;
    this.api = stepJobsFunction(this, "Api", {
      description: "stepjobs HTTP API: POST /api/v1/events -> validated -> EventBridge",
      bundle: bundles.api,
      logGroup: logGroup("ApiLogs"),
      timeout: Duration.seconds(10),
      environment: { EVENT_BUS_NAME: this.bus.eventBusName, API_KEY_SECRET_ARN: this.apiKey.secretArn },
      ...(reserved === null ? {} : { reservedConcurrentExecutions: reserved }),
    });
    this.api.addToRolePolicy(new iam.PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: [this.apiKey.secretArn] }));
    this.bus.grantPutEventsTo(this.api);
    // The bearer key is checked by the function (SHA-256, constant time), so the URL itself is public.
    this.apiUrl = this.api.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    const shared = this.sharedJobResources(project.jobs, props, logGroup);
    const groups = new Map<number, NestedStack>();
    const jobs = new Map<string, StepJob>();
    for (const compiled of project.jobs) {
      const number = jobGroupOf(compiled.plan.id);
      let group = groups.get(number);
      if (!group) {
        group = new NestedStack(this, `JobGroup${number}`, {
          description: `stepjobs jobs of group ${number} (of ${JOB_GROUPS}, by job id)`,
        });
        groups.set(number, group);
      }
      const job = new StepJob(group, `Job-${compiled.plan.id}`, {
        job: compiled,
        runnerBundle: bundles.runners.get(compiled.plan.id)!,
        shared,
        logLevel: props.logLevel,
        tracing: props.tracing,
      });
      jobs.set(compiled.plan.id, job);
      this.alarms.push(...job.alarms);
    }
    this.jobs = jobs;
    this.jobGroups = groups;

    const output = (name: string, key: string, description: string, value: string) =>
      new CfnOutput(this, name, { key, description, value });
    output("ApiUrl", OUTPUT_KEYS.apiUrl, "POST <url>api/v1/events with Authorization: Bearer <key>", this.apiUrl.url);
    output("ApiKeySecretArn", OUTPUT_KEYS.apiKeySecret, "The API key (Secrets Manager)", this.apiKey.secretArn);
    output("EventBusName", OUTPUT_KEYS.eventBus, "Send events here (detail-type = event name)", this.bus.eventBusName);
    output("TableName", OUTPUT_KEYS.table, "Event records (read by stepjobs dashboard --aws)", this.table.tableName);
    output(
      "DeadLetterQueueUrl",
      OUTPUT_KEYS.deadLetterQueue,
      "Events that could not be delivered or ingested, with why",
      this.deadLetterQueue.queueUrl,
    );
    output("IngestQueueUrl", OUTPUT_KEYS.ingestQueue, "Events on their way to ingest", this.ingestQueue.queueUrl);
    output(
      "JobNamePrefix",
      OUTPUT_KEYS.jobNamePrefix,
      "Each job's state machine is <prefix><jobId>; runs start on its live alias",
      this.namePrefix,
    );

    // Dead-lettered events mean accepted events that did not start their runs: alarm on the first one.
    this.alarms.push(
      alarmOnAny(
        this,
        "DeadLetterAlarm",
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        "stepjobs: events are in the dead-letter queue (ingest could not take them); see `stepjobs dlq list --aws`",
        props.alarmTopic,
      ),
    );
    this.acknowledgeFindings();
  }

  /** `arn:<partition>:states:<region>:<account>:stateMachine:<prefix>`: a job's state machine ARN is this plus its id. */
  private stateMachineArnPrefix(): string {
    return `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${this.namePrefix}`;
  }

  /** Every job's state machine, by name. */
  private stateMachineArnPattern(): string {
    return `${this.stateMachineArnPrefix()}*`;
  }

  /** The roles and log groups every job uses, each granted once by name prefix (no per-job statement). */
  private sharedJobResources(
    jobs: readonly CompiledJob[],
    props: StepJobsProps,
    logGroup: (name: string, logGroupName?: string) => logs.LogGroup,
  ): SharedJobResources {
    const runnerRole = new iam.Role(this, "RunnerRole", {
      description: "stepjobs runners: count task attempts in the app's table",
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaBasicExecutionRole")],
    });
    // The attempt counter: UpdateItem on run items only (partition keys RUN#...), nothing else of the table.
    runnerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["dynamodb:UpdateItem"],
        resources: [this.table.tableArn],
        conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["RUN#*"] } },
      }),
    );
    if (props.tracing)
      runnerRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] }),
      );

    const stateMachineRole = new iam.Role(this, "StateMachineRole", {
      description: "stepjobs state machines: invoke the app's runners, put sent events on the bus, deliver logs",
      assumedBy: new iam.ServicePrincipal("states.amazonaws.com"),
    });
    // A runner version's ARN is `<function ARN>:<n>`: the wildcard covers every runner of this stack and its versions.
    stateMachineRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: [`arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${this.namePrefix}*`],
      }),
    );
    if (jobs.some(({ plan }) => supportedSteps(plan).includes("sendEvent"))) this.bus.grantPutEventsTo(stateMachineRole);
    // concurrencyLimit's slot states: the counter items only (partition keys LIMIT#...), read and conditionally updated.
    if (jobs.some(({ plan }) => plan.concurrency))
      stateMachineRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
          resources: [this.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["LIMIT#*"] } },
        }),
      );
    // Vended log delivery does not support resource-level permissions (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
    stateMachineRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ],
        resources: ["*"],
      }),
    );
    if (props.tracing) {
      stateMachineRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
          resources: ["*"],
        }),
      );
    }

    let schedulerRole: iam.Role | undefined;
    if (jobs.some(({ plan }) => plan.trigger.schedule)) {
      schedulerRole = new iam.Role(this, "SchedulerRole", {
        description: "stepjobs schedules: put schedule events on the bus",
        assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
          conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
        }),
      });
      this.bus.grantPutEventsTo(schedulerRole);
      this.deadLetterQueue.grantSendMessages(schedulerRole);
    }

    acknowledge(runnerRole, LAMBDA_BASIC_EXECUTION);
    acknowledge(
      stateMachineRole,
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${this.namePrefix}*]`,
        reason:
          "The state machines invoke this stack's runners only (named <stack>_*) and their published versions (<name>:<n>); one statement for any number of jobs keeps the role's policy under IAM's size limit",
      },
      {
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason:
          "CloudWatch Logs vended log delivery (logs:CreateLogDelivery, ...) and X-Ray writes do not support resource-level permissions; AWS requires Resource *",
      },
    );
    return {
      bus: this.bus,
      ingestQueue: this.ingestQueue,
      deadLetterQueue: this.deadLetterQueue,
      table: this.table,
      runnerRole,
      runnerLogs: logGroup("RunnerLogs"),
      stateMachineRole,
      // Under /aws/vendedlogs/: CloudWatch Logs then needs no resource-policy entry per log group, whose 5,120
      // characters run out once an account has enough of them (Step Functions best practices).
      executionLogs: logGroup("ExecutionLogs", `/aws/vendedlogs/states/${Stack.of(this).stackName}-executions`),
      ...(schedulerRole ? { schedulerRole } : {}),
      namePrefix: this.namePrefix,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    };
  }

  /** cdk-nag findings that are decisions, each with its reason. */
  private acknowledgeFindings(): void {
    const byPrefix = (service: string, resource: string) =>
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}:${this.namePrefix}*]`;
    acknowledge(this.ingest, {
      id: byPrefix("states", "stateMachine"),
      reason:
        "Ingest starts runs of this stack's jobs only: the state machines named <stack>_*, and only through their live alias (states:StateMachineQualifier); one statement for any number of jobs keeps the policy under IAM's size limit",
    });
    acknowledge(this.deadLetterQueue, {
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason:
        "This queue is the dead-letter queue of the ingest queue and the rules; a DLQ of a DLQ would only move the same messages again",
    });
    acknowledge(this.apiKey, {
      id: "AwsSolutions::AwsSolutions-SMG4",
      reason:
        "The API key is rotated by the operator (update the secret; containers read it again within 5 minutes); automatic rotation would break clients holding the key",
    });
  }
}

/** Job groups over {@link MAX_JOBS_PER_GROUP}, as synth errors (a second stack of jobs is the way out). */
function groupOverflows(jobs: readonly CompiledJob[]): string[] {
  const counts = new Map<number, number>();
  for (const { plan } of jobs) counts.set(jobGroupOf(plan.id), (counts.get(jobGroupOf(plan.id)) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > MAX_JOBS_PER_GROUP)
    .map(
      ([group, n]) =>
        `job group ${group} would hold ${n} jobs; a nested stack holds at most ${MAX_JOBS_PER_GROUP} (CloudFormation's 500 resources): split the app into two StepJobs stacks`,
    );
}
