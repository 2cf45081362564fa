import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type BusEvent, fromBusEvent } from "../lib/ingest/bus-event.ts";
import { ingestEvent } from "../lib/ingest/ingest-event.ts";
import type { EventStore, Starter } from "../lib/ingest/types.ts";
import type { ValidatedJob, Validators } from "../lib/ingest/validate.ts";
import { StepJobsError } from "../lib/sdk/errors.ts";
import { DynamoEventStore } from "../lib/store/dynamo-event-store.ts";

/**
 * The ingest function: EventBridge rules put each job's events on the ingest queue (SQS); this function reads
 * them in batches through an event source mapping, validates, records and starts one execution per listening job.
 * A failure it cannot fix by itself (an event that is not valid) goes to the dead-letter queue at once, with why;
 * any other failure leaves the message in the queue, which retries it after the visibility timeout until its last
 * receive, when it too is dead-lettered with the error. Nothing an accepted event needs is ever dropped.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */

/** The part of the Step Functions client the starter uses: one `send`, so tests pass a recording client. */
export interface StartExecutionPort {
  send(command: StartExecutionCommand): Promise<unknown>;
}

/** The part of the SQS client dead-lettering uses. */
export interface SendMessagePort {
  send(command: SendMessageCommand): Promise<unknown>;
}

/**
 * Starts a run as a Step Functions execution named after the run id, on the state machine `stateMachineArnOf`
 * names. A name already used by this state machine means the run already started: `ExecutionAlreadyExists` is
 * success ("exists"), which makes the start idempotent for 90 days
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). Any other error
 * propagates, so the message is retried.
 */
export function stepFunctionsStarter(client: StartExecutionPort, stateMachineArnOf: (jobId: string) => string): Starter {
  return {
    async startRun(jobId, runId, input) {
      try {
        await client.send(
          new StartExecutionCommand({ stateMachineArn: stateMachineArnOf(jobId), name: runId, input: JSON.stringify(input) }),
        );
        return "started";
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === "ExecutionAlreadyExists") return "exists";
        throw error;
      }
    },
  };
}

/** What the ingest handler needs; the generated entry supplies jobs and standalone validators, env the rest. */
export interface IngestHandlerDeps {
  readonly jobs: readonly ValidatedJob[];
  readonly validators: Validators;
  readonly events: EventStore;
  readonly starter: Starter;
  /** Where a message goes when it cannot be ingested: the dead-letter queue. */
  readonly deadLetter: (record: SQSRecord, error: unknown) => Promise<void>;
  /** The queue's `maxReceiveCount`: on this receive a failing message is dead-lettered with its error. */
  readonly maxReceiveCount: number;
}

/** What one record's ingest logs: one JSON line per event (CloudWatch Logs Insights can query it). */
interface IngestSummary {
  readonly eventId: string;
  readonly status: string;
  readonly runs: readonly unknown[];
  readonly duplicate: boolean;
  readonly errors: readonly unknown[];
}

/** An error retrying cannot fix: the event itself is unusable (not JSON, no name, too large). */
function isPermanent(error: unknown): boolean {
  return error instanceof SyntaxError || error instanceof StepJobsError;
}

/**
 * The SQS batch handler: each record is an EventBridge event as the rule delivered it. Returns the records to retry
 * (`batchItemFailures`, with `ReportBatchItemFailures` on the event source mapping), so one failing event never
 * makes the others run again.
 */
export function createIngestHandler(deps: IngestHandlerDeps) {
  const ingestRecord = async (record: SQSRecord): Promise<boolean> => {
    try {
      // Filters are matched on the event as the rules matched it (its detail as put), not on its normalized form.
      const delivered = JSON.parse(record.body) as BusEvent;
      const { record: stored, duplicate } = await ingestEvent(fromBusEvent(delivered), deps, delivered);
      const summary: IngestSummary = { eventId: stored.id, status: stored.status, runs: stored.runs, duplicate, errors: stored.errors };
      console.log(JSON.stringify(summary));
      return true;
    } catch (error) {
      const receives = Number(record.attributes.ApproximateReceiveCount ?? "1");
      if (!isPermanent(error) && receives < deps.maxReceiveCount) {
        console.error(JSON.stringify({ messageId: record.messageId, receives, retry: true, error: describe(error) }));
        return false;
      }
      try {
        await deps.deadLetter(record, error);
        console.error(JSON.stringify({ messageId: record.messageId, receives, deadLettered: true, error: describe(error) }));
        return true;
      } catch (dlqError) {
        // Could not dead-letter it either: leave it in the queue, whose redrive policy moves it on the next receive.
        console.error(
          JSON.stringify({ messageId: record.messageId, receives, deadLetterFailed: describe(dlqError), error: describe(error) }),
        );
        return false;
      }
    }
  };
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const done = await Promise.all(event.Records.map(ingestRecord));
    return { batchItemFailures: event.Records.filter((_, i) => !done[i]).map((r) => ({ itemIdentifier: r.messageId })) };
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Sends a message that could not be ingested to the dead-letter queue, with why, in the attributes EventBridge
 * itself gives dead-lettered events (ERROR_CODE, ERROR_MESSAGE), so `stepjobs dlq list` reads both alike.
 */
export function deadLetterTo(client: SendMessagePort, queueUrl: string) {
  return async (record: SQSRecord, error: unknown): Promise<void> => {
    const e = error instanceof Error ? error : new Error(String(error));
    const attribute = (value: string) => ({ DataType: "String", StringValue: value.slice(0, 1024) || "-" });
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: record.body,
        MessageAttributes: {
          ERROR_CODE: attribute(e instanceof StepJobsError ? e.code : e.name),
          ERROR_MESSAGE: attribute(e.message),
          SOURCE: attribute("ingest"),
          RECEIVE_COUNT: attribute(String(record.attributes.ApproximateReceiveCount ?? "1")),
        },
      }),
    );
  };
}

/** Reads an environment variable the `StepJobs` construct sets; a missing one is a deployment error. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: deploy the function with the StepJobs construct`);
  return value;
}

/**
 * Production wiring from the environment the `StepJobs` construct sets: TABLE_NAME, STATE_MACHINE_ARN_PREFIX (runs
 * start on `<prefix><jobId>:live`), DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT.
 */
export function ingestDepsFromEnv(jobs: readonly ValidatedJob[], validators: Validators): IngestHandlerDeps {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const prefix = required("STATE_MACHINE_ARN_PREFIX");
  const alias = required("STATE_MACHINE_ALIAS");
  return {
    jobs,
    validators,
    // 90 days: as long as Step Functions refuses to reuse an execution name, so dedupe windows match.
    events: new DynamoEventStore({ client, tableName: required("TABLE_NAME"), retentionSeconds: 90 * 24 * 3600 }),
    starter: stepFunctionsStarter(new SFNClient({}), (jobId) => `${prefix}${jobId}:${alias}`),
    deadLetter: deadLetterTo(new SQSClient({}), required("DEAD_LETTER_QUEUE_URL")),
    maxReceiveCount: Number(required("MAX_RECEIVE_COUNT")),
  };
}
