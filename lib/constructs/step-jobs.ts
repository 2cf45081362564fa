import path from "node:path";
import { type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { compileProject } from "../compiler/compile-project.ts";
import { STEPJOBS_TABLE } from "../store/table.ts";
import { acknowledge } from "./acknowledge-findings.ts";
import { stepJobsFunction } from "./stepjobs-function.ts";
import { writeLambdaEntries } from "./lambda-entries.ts";
import { JOB_OUTPUT_PREFIX, OUTPUT_KEYS, outputKeyPart } from "./outputs.ts";
import { StepJob } from "./step-job.ts";

/** An alarm on the first data point at or above 1 in a 5-minute period, notifying `topic` when given. */
function alarmOnAny(
  scope: Construct,
  id: string,
  metric: cloudwatch.Metric,
  description: string,
  topic: sns.ITopic | undefined,
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
 * A job's alarms: any failed or timed-out execution in 5 minutes (Step Functions metrics per state machine,
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html).
 */
function jobAlarms(job: StepJob, jobId: string, topic: sns.ITopic | undefined): cloudwatch.Alarm[] {
  const period = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
  const about = (what: string) => `stepjobs: job ${jobId} has ${what} runs; see \`stepjobs runs --aws --job ${jobId}\``;
  return [
    alarmOnAny(job, "FailedAlarm", job.stateMachine.metricFailed(period), about("failed"), topic),
    alarmOnAny(job, "TimedOutAlarm", job.stateMachine.metricTimedOut(period), about("timed-out"), topic),
  ];
}

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
   * What happens to the table and the dead-letter queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where the alarms notify (each job's ExecutionsFailed and ExecutionsTimedOut, and the dead-letter queue's depth).
   * @default the alarms are created without actions (visible in the CloudWatch console)
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The app: a custom EventBus, the ingest function, one DynamoDB table (on demand, point-in-time recovery,
 * TTL), an encrypted dead-letter queue, and a {@link StepJob} per job found in `jobsDir`. A job with an
 * error stops synth with one line per error (file:line:col), as `stepjobs synth` prints them.
 */
export class StepJobs extends Construct {
  readonly bus: events.EventBus;
  readonly table: dynamodb.Table;
  readonly deadLetterQueue: sqs.Queue;
  readonly ingest: NodejsFunction;
  /** `POST /api/v1/events` behind a Function URL. */
  readonly api: NodejsFunction;
  /** The API's bearer key, generated at deploy. */
  readonly apiKey: secretsmanager.Secret;
  /** The Function URL serving the API. */
  readonly apiUrl: lambda.FunctionUrl;
  /** The jobs, by job id. */
  readonly jobs: ReadonlyMap<string, StepJob>;
  /** Each job's ExecutionsFailed and ExecutionsTimedOut alarms, then the dead-letter queue's. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: StepJobsProps = {}) {
    super(scope, id);
    const root = path.resolve(props.projectRoot ?? process.cwd());
    const jobsDir = props.jobsDir ?? "src/jobs";
    const project = compileProject({ root, jobsDir });
    if (project.errors.length > 0) throw new Error(`stepjobs: the jobs have errors:\n${project.errors.map((e) => e.message).join("\n")}`);
    const entries = writeLambdaEntries(root, project.jobs, jobsDir);
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

    this.ingest = stepJobsFunction(this, "Ingest", {
      description: "stepjobs ingest: validates events, records them, starts one execution per listening job",
      entry: entries.ingest,
      projectRoot: root,
      environment: { TABLE_NAME: this.table.tableName },
    });
    this.table.grantReadWriteData(this.ingest);
    acknowledge(this.ingest, {
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.table.node.defaultChild as CfnElement)}.Arn>/index/*]`,
      reason: "Listing events newest first queries the table's own byTime index; the grant is limited to this table's indexes",
    });
    acknowledge(this.deadLetterQueue, {
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason: "This queue is the dead-letter queue of the ingest targets; a DLQ of a DLQ would only move the same messages again",
    });

    this.apiKey = new secretsmanager.Secret(this, "ApiKey", {
      description: "stepjobs API key: send it as Authorization: Bearer <key>",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
    this.api = stepJobsFunction(this, "Api", {
      description: "stepjobs HTTP API: POST /api/v1/events -> validated -> EventBridge",
      entry: entries.api,
      projectRoot: root,
      timeout: Duration.seconds(10),
      environment: { EVENT_BUS_NAME: this.bus.eventBusName, API_KEY_SECRET_ARN: this.apiKey.secretArn },
    });
    this.apiKey.grantRead(this.api);
    this.bus.grantPutEventsTo(this.api);
    // The bearer key is checked by the function (SHA-256, constant time), so the URL itself is public.
    this.apiUrl = this.api.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    acknowledge(this.apiKey, {
      id: "AwsSolutions::AwsSolutions-SMG4",
      reason:
        "The API key is rotated by the operator (update the secret; new containers read it); automatic rotation would break clients holding the key",
    });
    new CfnOutput(this, "ApiUrl", {
      key: OUTPUT_KEYS.apiUrl,
      description: "POST <url>api/v1/events with Authorization: Bearer <key>",
      value: this.apiUrl.url,
    });
    new CfnOutput(this, "ApiKeySecretArn", {
      key: OUTPUT_KEYS.apiKeySecret,
      description: "The API key (Secrets Manager)",
      value: this.apiKey.secretArn,
    });

    const jobs = new Map<string, StepJob>();
    for (const compiled of project.jobs) {
      const job = new StepJob(this, `Job-${compiled.plan.id}`, {
        job: compiled,
        runnerEntry: entries.runners.get(compiled.plan.id)!,
        projectRoot: root,
        bus: this.bus,
        ingest: this.ingest,
        deadLetterQueue: this.deadLetterQueue,
        table: this.table,
        logLevel: props.logLevel,
        tracing: props.tracing,
      });
      // Runs start on the job's alias (its current version); StartExecution on an alias is authorized on the alias ARN.
      this.ingest.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [job.alias.attrArn] }));
      jobs.set(compiled.plan.id, job);
      new CfnOutput(this, `StateMachineArn-${compiled.plan.id}`, {
        key: `StateMachine${outputKeyPart(compiled.plan.id)}`,
        description: `${JOB_OUTPUT_PREFIX}${compiled.plan.id}`,
        value: job.stateMachine.stateMachineArn,
      });
      this.alarms.push(...jobAlarms(job, compiled.plan.id, props.alarmTopic));
    }
    this.jobs = jobs;
    this.ingest.addEnvironment(
      "STATE_MACHINE_ARNS",
      Stack.of(this).toJsonString(Object.fromEntries([...jobs].map(([jobId, job]) => [jobId, job.alias.attrArn]))),
    );
    new CfnOutput(this, "EventBusName", {
      key: OUTPUT_KEYS.eventBus,
      description: "Send events here (detail-type = event name)",
      value: this.bus.eventBusName,
    });
    new CfnOutput(this, "TableName", {
      key: OUTPUT_KEYS.table,
      description: "Event records (read by stepjobs dashboard --aws)",
      value: this.table.tableName,
    });
    new CfnOutput(this, "DeadLetterQueueUrl", {
      key: OUTPUT_KEYS.deadLetterQueue,
      description: "Events ingest could not take after its retries",
      value: this.deadLetterQueue.queueUrl,
    });
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
  }
}
