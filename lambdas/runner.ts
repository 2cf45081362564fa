import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { BranchOutcome, RunState } from "../lib/runtime/run-state.ts";
import { handleRunnerEvent, type RunnerEvent } from "../lib/runtime/runner-event.ts";
import { registeredJobs } from "../lib/sdk/client.ts";
import { STEPJOBS_TABLE } from "../lib/store/table-definition.ts";

export type { RunnerEvent };

/**
 * The runner Lambda of one job: its bundle imports the job module (which registers the job) and exports
 * `createRunnerHandler(jobId)`. It returns the next run state (the `lambda:invoke` result's `Payload`) and
 * throws only the task function's own error, so the task state's native `Retry` sees its name
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). `io.logger` lines go to
 * CloudWatch as one JSON object per line with the run id.
 */
export function createRunnerHandler(
  jobId: string,
  countAttempt: ((runId: string, key: string) => Promise<number>) | undefined = attemptCounterFromEnv(),
) {
  return async (event: RunnerEvent): Promise<RunState | BranchOutcome> => {
    const job = registeredJobs().get(jobId);
    if (!job) throw new Error(`the runner bundle did not register job "${jobId}"; its module must call client.defineJob`);
    const runId = event.state.runId;
    return handleRunnerEvent(job, event, {
      onLog: (line) => console.log(JSON.stringify({ runId, jobId, ...line })),
      ...(countAttempt ? { countAttempt } : {}),
    });
  };
}

/** How long an attempt counter is kept: as long as event records (an execution lasts at most a year; 90 days of dedupe). */
const COUNTER_TTL_SECONDS = 400 * 24 * 60 * 60;

/**
 * `ctx.attempt.number` from a per-(run, task key) counter in the app's table: one `UpdateItem ADD` per attempt,
 * made only when the task function is about to run, so throttled invocations (retried by the Lambda service
 * retrier, never reaching the function) are not counted. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
 */
export function dynamoAttemptCounter(client: DynamoDBDocumentClient, tableName: string, now: () => number = Date.now) {
  return async (runId: string, key: string): Promise<number> => {
    const { UpdateCommand } = await import("@aws-sdk/lib-dynamodb");
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [STEPJOBS_TABLE.partitionKey.name]: `RUN#${runId}`, [STEPJOBS_TABLE.sortKey.name]: `ATTEMPTS#${key}` },
        UpdateExpression: "ADD #attempts :one SET #ttl = if_not_exists(#ttl, :ttl)",
        ExpressionAttributeNames: { "#attempts": "attempts", "#ttl": STEPJOBS_TABLE.ttlAttribute },
        ExpressionAttributeValues: { ":one": 1, ":ttl": Math.floor(now() / 1000) + COUNTER_TTL_SECONDS },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.attempts ?? 1);
  };
}

/**
 * The counter when the function was deployed with the table (`TABLE_NAME`); otherwise `$$.State.RetryCount` decides.
 * The DynamoDB client is loaded on the first attempt, not at init: `Plan` invocations and cold starts do not pay for it.
 */
function attemptCounterFromEnv(): ((runId: string, key: string) => Promise<number>) | undefined {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) return undefined;
  let counter: Promise<(runId: string, key: string) => Promise<number>> | undefined;
  return async (runId, key) => {
    counter ??= Promise.all([import("@aws-sdk/client-dynamodb"), import("@aws-sdk/lib-dynamodb")]).then(([ddb, lib]) =>
      dynamoAttemptCounter(lib.DynamoDBDocumentClient.from(new ddb.DynamoDBClient({})), tableName),
    );
    return (await counter)(runId, key);
  };
}
