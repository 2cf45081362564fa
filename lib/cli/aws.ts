import { LIVE_ALIAS } from "../constructs/names.ts";
import { StepJobsError } from "../sdk/errors.ts";
import { OUTPUT_KEYS } from "../constructs/outputs.ts";
import { lastRunState } from "../history/last-run-state.ts";
import { continuationRunId } from "../ingest/run-id.ts";
import { redriveState } from "../runtime/redrive.ts";
import { toPutEventsEntry } from "../ingest/bus-event.ts";
import { normalizeEvent } from "../ingest/ingest-event.ts";
import type { IncomingEvent } from "../ingest/types.ts";
import { recordsFromHistory } from "../history/records-from-history.ts";
import { runDetailView } from "../local/api-views.ts";
import type { RunDetail } from "./run-timeline.ts";

/**
 * The CLI against a deployed stack (`--aws`): the stack's resources from its outputs (DescribeStacks), runs from
 * Step Functions (ListExecutions, DescribeExecution, GetExecutionHistory, RedriveExecution, StopExecution), events
 * to the bus (PutEvents) and the dead-letter queue (SQS). Region and credentials come from the usual AWS
 * environment. Every call goes through {@link AwsClients}, so tests record the exact requests.
 */

/** An AWS SDK v3 client as the CLI uses it: `send(command)`. */
export interface AwsClient {
  send(command: { readonly input: unknown }): Promise<any>;
}

/** The clients the CLI needs. */
export interface AwsClients {
  readonly cloudformation: AwsClient;
  readonly sfn: AwsClient;
  readonly eventbridge: AwsClient;
  readonly sqs: AwsClient;
  /** A DynamoDB document client (event records, for `dashboard --aws`). */
  readonly dynamodb: AwsClient;
  /** Secrets Manager (the stack API's key, for the dashboard's Send Event). */
  readonly secretsmanager: AwsClient;
}

let override: AwsClients | undefined;

/** Replaces the real clients (tests: a recording client with canned answers); `undefined` restores them. */
export function useAwsClients(clients: AwsClients | undefined): void {
  override = clients;
}

/** The clients: the override, or SDK clients for the environment's region and credentials (loaded on first use). */
export async function awsClients(): Promise<AwsClients> {
  if (override) return override;
  const [cfn, sfn, eb, sqs, ddb, lib, sm] = await Promise.all([
    import("@aws-sdk/client-cloudformation"),
    import("@aws-sdk/client-sfn"),
    import("@aws-sdk/client-eventbridge"),
    import("@aws-sdk/client-sqs"),
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/lib-dynamodb"),
    import("@aws-sdk/client-secrets-manager"),
  ]);
  return {
    cloudformation: new cfn.CloudFormationClient({}),
    sfn: new sfn.SFNClient({}),
    eventbridge: new eb.EventBridgeClient({}),
    sqs: new sqs.SQSClient({}),
    dynamodb: lib.DynamoDBDocumentClient.from(new ddb.DynamoDBClient({})),
    secretsmanager: new sm.SecretsManagerClient({}),
  };
}

/** The commands, loaded with the clients (one place names each API call). */
async function commands() {
  const [cfn, sfn, eb, sqs, sm] = await Promise.all([
    import("@aws-sdk/client-cloudformation"),
    import("@aws-sdk/client-sfn"),
    import("@aws-sdk/client-eventbridge"),
    import("@aws-sdk/client-sqs"),
    import("@aws-sdk/client-secrets-manager"),
  ]);
  return { cfn, sfn, eb, sqs, sm };
}

/** The deployed app's resources, from the stack outputs `StepJobs` writes (lib/constructs/outputs.ts). */
export interface StackResources {
  readonly stackName: string;
  /** State machine ARN (unqualified) by job id. */
  readonly jobs: ReadonlyMap<string, string>;
  /** The jobs deployed as Express workflows: no ListExecutions, DescribeExecution or history for their runs. */
  readonly expressJobs: ReadonlySet<string>;
  readonly eventBusName?: string;
  readonly deadLetterQueueUrl?: string;
  /** Where the rules put events for ingest (a dead-lettered event is replayed here). */
  readonly ingestQueueUrl?: string;
  readonly tableName?: string;
  /** The stack's HTTP API (a Lambda Function URL, ending in `/`). */
  readonly apiUrl?: string;
  readonly apiKeySecretArn?: string;
}

/** The default stack name: `--stack`, else `STEPJOBS_STACK`, else the example app's `StepJobs`. */
export function stackNameFrom(option: string | undefined): string {
  return option ?? process.env.STEPJOBS_STACK ?? "StepJobs";
}

/**
 * Reads the stack's outputs, then its jobs: every state machine named `<JobNamePrefix><jobId>` (ListStateMachines),
 * so an app of any size needs no output per job (CloudFormation allows 200 outputs).
 */
export async function readStack(clients: AwsClients, stackName: string): Promise<StackResources> {
  const { cfn, sfn } = await commands();
  const answer = await clients.cloudformation.send(new cfn.DescribeStacksCommand({ StackName: stackName }));
  const outputs: { OutputKey?: string; OutputValue?: string }[] = answer.Stacks?.[0]?.Outputs ?? [];
  const value = (key: string) => outputs.find((o) => o.OutputKey === key)?.OutputValue;
  const prefix = value(OUTPUT_KEYS.jobNamePrefix);
  if (!prefix) {
    throw new AwsCliError(
      `stack ${stackName} has no ${OUTPUT_KEYS.jobNamePrefix} output; is it a StepJobs app deployed with this version of stepjobs?`,
    );
  }
  const jobs = new Map<string, string>();
  const expressJobs = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(new sfn.ListStateMachinesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const machine of page.stateMachines ?? []) {
      if (!machine.name?.startsWith(prefix)) continue;
      const jobId = machine.name.slice(prefix.length);
      jobs.set(jobId, machine.stateMachineArn);
      if (machine.type === "EXPRESS") expressJobs.add(jobId);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  if (jobs.size === 0) throw new AwsCliError(`stack ${stackName} has no state machines named ${prefix}<jobId> in this region`);
  return {
    stackName,
    jobs,
    expressJobs,
    eventBusName: value(OUTPUT_KEYS.eventBus),
    deadLetterQueueUrl: value(OUTPUT_KEYS.deadLetterQueue),
    ingestQueueUrl: value(OUTPUT_KEYS.ingestQueue),
    tableName: value(OUTPUT_KEYS.table),
    apiUrl: value(OUTPUT_KEYS.apiUrl),
    apiKeySecretArn: value(OUTPUT_KEYS.apiKeySecret),
  };
}

/** A CLI problem with an AWS stack or run, printed as one line. */
export class AwsCliError extends StepJobsError {
  constructor(message: string) {
    super("AWS_CLI", message);
    this.name = "AwsCliError";
  }
}

/**
 * The execution ARN of a run: an execution ARN as given, or a run id `<jobId>--<eventId>` (the execution name)
 * under its job's state machine (`arn:...:stateMachine:<name>` -> `arn:...:execution:<name>:<runId>`).
 */
export function executionArnOf(stack: StackResources, id: string): string {
  if (id.startsWith("arn:")) return id;
  const jobId = [...stack.jobs.keys()].find((j) => id.startsWith(`${j}--`));
  if (!jobId)
    throw new AwsCliError(
      `run id "${id}" does not start with a job id of stack ${stack.stackName} (${[...stack.jobs.keys()].join(", ")}); pass the execution ARN`,
    );
  return `${stack.jobs.get(jobId)!.replace(":stateMachine:", ":execution:")}:${id}`;
}

export { type AwsRunSummary, EXPRESS_STATUS, listAwsRuns } from "./aws-runs.ts";

/**
 * Every event of an execution's history, page by page: GetExecutionHistory returns at most 1000 events per call
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
 */
async function executionHistory(clients: AwsClients, executionArn: string) {
  const { sfn } = await commands();
  const events = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(
      new sfn.GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** A run's timeline from its execution history: the same records and view as a local run (`run --aws`). */
export async function awsRunDetail(clients: AwsClients, stack: StackResources, id: string): Promise<RunDetail> {
  const { sfn } = await commands();
  const executionArn = executionArnOf(stack, id);
  const described = await clients.sfn.send(new sfn.DescribeExecutionCommand({ executionArn }));
  const events = await executionHistory(clients, executionArn);
  const jobId = [...stack.jobs].find(([, arn]) => described.stateMachineArn?.startsWith(arn))?.[0] ?? "";
  const { run, attempts, steps } = recordsFromHistory(events, { jobId, jobVersion: "" });
  return runDetailView({ ...run, id: described.name ?? run.id }, attempts, [], undefined, steps) as RunDetail;
}

/** `redrive --aws`: RedriveExecution. */
export async function redriveAwsRun(clients: AwsClients, stack: StackResources, id: string): Promise<string> {
  const { sfn } = await commands();
  const executionArn = executionArnOf(stack, id);
  await clients.sfn.send(new sfn.RedriveExecutionCommand({ executionArn }));
  return executionArn;
}

/**
 * `continue --aws`: a failed (or stopped) run goes on **on the live version** (the code deployed now), from the state
 * it ended in: a new execution `<runId>_c<n>` on the job's `live` alias whose input is that state with the failed
 * step dropped, so finished tasks replay from the memo and the failed one runs again under its full retry policy.
 * RedriveExecution cannot do this: a redrive re-runs the original version's definition, hence the old code
 * (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html).
 */
export async function continueAwsRun(clients: AwsClients, stack: StackResources, id: string): Promise<{ readonly runId: string }> {
  const { sfn } = await commands();
  const executionArn = executionArnOf(stack, id);
  const described = await clients.sfn.send(new sfn.DescribeExecutionCommand({ executionArn }));
  if (described.status === "RUNNING" || described.status === "SUCCEEDED" || described.status === "PENDING_REDRIVE") {
    throw new AwsCliError(`run ${described.name} is ${described.status}: only a FAILED, TIMED_OUT or ABORTED run can be continued`);
  }
  const events = await executionHistory(clients, executionArn);
  const state = lastRunState(events);
  if (!state) throw new AwsCliError(`run ${described.name} has no stepjobs state in its history; it cannot be continued`);
  const [jobId, stateMachineArn] = [...stack.jobs].find(([, arn]) => described.stateMachineArn === arn) ?? [];
  if (!jobId || !stateMachineArn) throw new AwsCliError(`run ${described.name} is not a run of stack ${stack.stackName}`);
  const runId = continuationRunId(described.name);
  await clients.sfn.send(
    new sfn.StartExecutionCommand({
      stateMachineArn: `${stateMachineArn}:${LIVE_ALIAS}`,
      name: runId,
      input: JSON.stringify(redriveState(state, 0)),
    }),
  );
  return { runId };
}

/** `cancel --aws`: StopExecution, with a cause saying who stopped it. */
export async function cancelAwsRun(clients: AwsClients, stack: StackResources, id: string): Promise<string> {
  const { sfn } = await commands();
  const executionArn = executionArnOf(stack, id);
  await clients.sfn.send(new sfn.StopExecutionCommand({ executionArn, error: "Cancelled", cause: "stopped with stepjobs cancel" }));
  return executionArn;
}

/** `send --aws`: the event on the stack's bus (PutEvents), shaped as the API would put it; a failed entry is an error. */
export async function sendAwsEvent(clients: AwsClients, stack: StackResources, incoming: IncomingEvent): Promise<string> {
  const { eb } = await commands();
  if (!stack.eventBusName) throw new AwsCliError(`stack ${stack.stackName} has no ${OUTPUT_KEYS.eventBus} output`);
  const event = normalizeEvent(incoming, new Date());
  const answer = await clients.eventbridge.send(new eb.PutEventsCommand({ Entries: [toPutEventsEntry(event, stack.eventBusName)] }));
  const failed = answer.Entries?.[0];
  if ((answer.FailedEntryCount ?? 0) > 0)
    throw new AwsCliError(`EventBridge did not take the event: ${failed?.ErrorCode ?? "error"}: ${failed?.ErrorMessage ?? ""}`);
  return event.id;
}

/**
 * A client of the stack's HTTP API (`POST /api/v1/events` on its Function URL), so an event is schema-checked the
 * way a user's app sends it. The key is read once from Secrets Manager (GetSecretValue on the ApiKeySecretArn output).
 * Answers the API's status and JSON body as they came.
 */
export function stackApiSender(
  clients: AwsClients,
  stack: StackResources,
): (incoming: IncomingEvent) => Promise<{ status: number; body: unknown }> {
  let key: Promise<string> | undefined;
  const readKey = async () => {
    const { sm } = await commands();
    const answer = await clients.secretsmanager.send(new sm.GetSecretValueCommand({ SecretId: stack.apiKeySecretArn }));
    return answer.SecretString as string;
  };
  return async (incoming) => {
    if (!stack.apiUrl || !stack.apiKeySecretArn)
      throw new AwsCliError(`stack ${stack.stackName} has no ${OUTPUT_KEYS.apiUrl} or ${OUTPUT_KEYS.apiKeySecret} output`);
    key ??= readKey().catch((error: unknown) => {
      key = undefined; // a failed read (throttling, permissions) is retried on the next send
      throw error;
    });
    const response = await fetch(new URL("api/v1/events", stack.apiUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${await key}`, "content-type": "application/json" },
      body: JSON.stringify(incoming),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = { error: { code: "BAD_GATEWAY", message: `the stack API answered ${response.status} without JSON: ${text.slice(0, 200)}` } };
    }
    return { status: response.status, body };
  };
}

/** One dead-lettered event: the original EventBridge event and why ingest could not take it. */
export interface DeadLetter {
  readonly messageId: string;
  /** The stepjobs event id (the `detail`'s, which runs derive from), else EventBridge's or the message's. */
  readonly eventId: string;
  readonly receiptHandle: string;
  readonly event: { readonly id?: string; readonly "detail-type"?: string; readonly source?: string; readonly detail?: unknown };
  readonly error: string;
}

/** Most receives one listing makes (10 messages each): a dead-letter queue is read in pages of 10. */
const MAX_DLQ_RECEIVES = 10;

/**
 * Reads the dead-lettered events, up to 100, receiving until an answer brings nothing new. `holdSeconds` is the
 * visibility timeout of what is read: 0 to list (the messages stay visible, so a `replay` right after sees them),
 * longer to replay (no other reader takes them meanwhile; a message not deleted reappears afterwards).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 */
export async function listDeadLetters(clients: AwsClients, stack: StackResources, holdSeconds = 0): Promise<DeadLetter[]> {
  const { sqs } = await commands();
  if (!stack.deadLetterQueueUrl) throw new AwsCliError(`stack ${stack.stackName} has no ${OUTPUT_KEYS.deadLetterQueue} output`);
  const seen = new Map<string, any>();
  for (let i = 0; i < MAX_DLQ_RECEIVES; i++) {
    const answer = await clients.sqs.send(
      new sqs.ReceiveMessageCommand({
        QueueUrl: stack.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: holdSeconds,
        MessageAttributeNames: ["All"],
      }),
    );
    const fresh = (answer.Messages ?? []).filter((m: any) => !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const m of fresh) seen.set(m.MessageId, m);
  }
  return [...seen.values()].map((m: any) => {
    const attribute = (name: string) => m.MessageAttributes?.[name]?.StringValue as string | undefined;
    let event = {};
    try {
      event = JSON.parse(m.Body ?? "{}");
    } catch {
      // not an EventBridge event: shown as is
    }
    const detail = (event as { detail?: { id?: unknown } }).detail;
    return {
      messageId: m.MessageId,
      eventId: typeof detail?.id === "string" ? detail.id : ((event as { id?: string }).id ?? m.MessageId),
      receiptHandle: m.ReceiptHandle,
      event,
      // EventBridge DLQ messages carry why delivery failed (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
      error: [attribute("ERROR_CODE"), attribute("ERROR_MESSAGE")].filter(Boolean).join(": ") || "unknown error",
    };
  });
}

/**
 * Puts each dead-lettered event back on the bus (same detail, so the same event id: ingest still starts one run)
 * and deletes the message only after EventBridge took it. Returns how many were replayed.
 */
export async function replayDeadLetters(clients: AwsClients, stack: StackResources, letters: readonly DeadLetter[]): Promise<number> {
  const { eb, sqs } = await commands();
  let replayed = 0;
  for (const letter of letters) {
    const e = letter.event;
    const answer = await clients.eventbridge.send(
      new eb.PutEventsCommand({
        Entries: [
          { EventBusName: stack.eventBusName, Source: e.source, DetailType: e["detail-type"], Detail: JSON.stringify(e.detail ?? {}) },
        ],
      }),
    );
    if ((answer.FailedEntryCount ?? 0) > 0)
      throw new AwsCliError(`EventBridge did not take dead-lettered event ${letter.eventId}; it stays in the queue`);
    await clients.sqs.send(new sqs.DeleteMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, ReceiptHandle: letter.receiptHandle }));
    replayed++;
  }
  return replayed;
}

/** One line for an AWS failure a user can fix (credentials, region, stack, run); undefined for anything else. */
export function awsProblem(error: unknown): string | undefined {
  if (error instanceof AwsCliError) return error.message;
  const e = error as { name?: string; message?: string };
  if (e?.name === "CredentialsProviderError" || /Could not load credentials/.test(e?.message ?? "")) {
    return "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`";
  }
  if (/Region is missing/i.test(e?.message ?? "")) return "no AWS region: set AWS_REGION (or a profile with a region)";
  if (e?.name === "ValidationError" && /does not exist/.test(e.message ?? ""))
    return `${e.message} (pass --stack <name> or set STEPJOBS_STACK)`;
  if (e?.name === "StateMachineTypeNotSupported") {
    return "that run is an Express workflow's: Express runs have no execution history; read the state machine's log group";
  }
  if (e?.name === "ExecutionDoesNotExist" || e?.name === "ExecutionNotRedrivable" || e?.name === "AccessDeniedException") {
    return `${e.name}: ${e.message}`;
  }
  return undefined;
}

/** Wraps an `--aws` command so a user-fixable AWS problem is one stderr line and exit 1. */
export async function reportingAwsProblems(name: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    const problem = awsProblem(error);
    if (problem === undefined) throw error;
    process.stderr.write(`stepjobs ${name}: ${problem}\n`);
    return 1;
  }
}
