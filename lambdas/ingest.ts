import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type BusEvent, fromBusEvent } from "../lib/ingest/bus-event.ts";
import { ingestEvent } from "../lib/ingest/ingest-event.ts";
import type { EventStore, Starter } from "../lib/ingest/types.ts";
import type { ValidatedJob, Validators } from "../lib/ingest/validate.ts";
import { DynamoEventStore } from "../lib/store/dynamo-event-store.ts";

/** The part of the Step Functions client the starter uses: one `send`, so tests pass a recording client. */
export interface StartExecutionPort {
  send(command: StartExecutionCommand): Promise<unknown>;
}

/**
 * Starts a run as a Step Functions execution named after the run id. A name already used by this state
 * machine means the run already started: `ExecutionAlreadyExists` is success ("exists"), which makes the
 * start idempotent for 90 days (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 * Any other error propagates, so EventBridge retries the target and finally dead-letters it.
 */
export function stepFunctionsStarter(client: StartExecutionPort, stateMachineArns: Readonly<Record<string, string>>): Starter {
  return {
    async startRun(jobId, runId, input) {
      const stateMachineArn = stateMachineArns[jobId];
      if (!stateMachineArn) throw new Error(`no state machine ARN for job "${jobId}" in STATE_MACHINE_ARNS`);
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify(input) }));
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
}

/**
 * The EventBridge rule target: validates `detail.payload` with the job's standalone ajv validator, records
 * the event (accepted or rejected with JSON pointers) and starts one execution per listening job. Throws on
 * any failure except a duplicate start, so EventBridge's retry policy and DLQ apply.
 */
export function createIngestHandler(deps: IngestHandlerDeps) {
  return async (event: BusEvent) => {
    const { record, duplicate } = await ingestEvent(fromBusEvent(event), deps);
    const summary = { eventId: record.id, status: record.status, runs: record.runs, duplicate, errors: record.errors };
    console.log(JSON.stringify(summary));
    return summary;
  };
}

/** Production wiring from the environment the `StepJobs` construct sets (TABLE_NAME, STATE_MACHINE_ARNS). */
export function ingestDepsFromEnv(jobs: readonly ValidatedJob[], validators: Validators): IngestHandlerDeps {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) throw new Error("TABLE_NAME is not set");
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return {
    jobs,
    validators,
    // 90 days: as long as Step Functions refuses to reuse an execution name, so dedupe windows match.
    events: new DynamoEventStore({ client, tableName, retentionSeconds: 90 * 24 * 3600 }),
    starter: stepFunctionsStarter(new SFNClient({}), JSON.parse(process.env.STATE_MACHINE_ARNS ?? "{}") as Record<string, string>),
  };
}
