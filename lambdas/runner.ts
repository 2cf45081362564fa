import type { BranchOutcome, RunState } from "../lib/runtime/run-state.ts";
import { handleRunnerEvent, type RunnerEvent } from "../lib/runtime/runner-event.ts";
import { registeredJobs } from "../lib/sdk/client.ts";

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

/**
 * `ctx.attempt.number` from the attempt counter in the app's table (DynamoRunStore.countAttempt) when the function
 * was deployed with it (`TABLE_NAME`); otherwise `$$.State.RetryCount` decides. The DynamoDB client and the store are
 * loaded on the first attempt, not at init: `Plan` invocations and cold starts do not pay for them.
 */
function attemptCounterFromEnv(): ((runId: string, key: string) => Promise<number>) | undefined {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) return undefined;
  let store: Promise<{ countAttempt(runId: string, key: string): Promise<number> }> | undefined;
  return async (runId, key) => {
    store ??= Promise.all([
      import("@aws-sdk/client-dynamodb"),
      import("@aws-sdk/lib-dynamodb"),
      import("../lib/store/dynamo-run-store.ts"),
    ]).then(
      ([ddb, lib, { DynamoRunStore }]) =>
        new DynamoRunStore({ client: lib.DynamoDBDocumentClient.from(new ddb.DynamoDBClient({})), tableName }),
    );
    return (await store).countAttempt(runId, key);
  };
}
