import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `stepjobs redrive <runId>` and `stepjobs cancel <runId>` against the running `stepjobs dev`: the local
 * equivalents of RedriveExecution and StopExecution (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html).
 */
function runControlCommand(action: "redrive" | "cancel", done: (runId: string, status: string) => string): CommandRun {
  return {
    run: reportingServerDown(async (args) => {
      const { positionals, values } = parseCommandArgs(
        { allowPositionals: true, options: { aws: { type: "boolean" }, stack: { type: "string" } } },
        args,
      );
      const [runId] = positionals;
      if (positionals.length !== 1 || runId === undefined) throw new UsageError(`${action} takes exactly one run id`);
      if (values.aws) {
        const aws = await import("./aws.ts");
        return aws.reportingAwsProblems(action, async () => {
          const clients = await aws.awsClients();
          const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
          const arn = await (action === "redrive" ? aws.redriveAwsRun : aws.cancelAwsRun)(clients, stack, runId);
          process.stdout.write(`${arn}: ${action === "redrive" ? "redriven (RedriveExecution)" : "stopped (StopExecution)"}\n`);
          return 0;
        });
      }
      const response = await ApiClient.fromEnv().request("POST", `/api/v1/runs/${encodeURIComponent(runId)}/${action}`);
      if (response.status !== 200 && response.status !== 202) {
        process.stderr.write(`stepjobs ${action}: ${apiErrorLine(response)}\n`);
        return 1;
      }
      process.stdout.write(`${runId}: ${done(runId, response.body.status as string)}\n`);
      return 0;
    }, action),
  };
}

/** `stepjobs redrive <runId>`: a FAILED or ABORTED run continues from its failed task. */
export const redriveCommand = runControlCommand(
  "redrive",
  (runId, status) => `redriven, ${status} (follow it with: stepjobs run ${runId} --follow)`,
);

/** `stepjobs cancel <runId>`: stops a RUNNING run; it ends ABORTED. */
export const cancelCommand = runControlCommand("cancel", (_runId, status) => status);

/**
 * `stepjobs continue <runId>`: after a code fix, a failed run goes on with the code deployed now. In AWS a new
 * execution `<runId>_c<n>` starts on the job's live alias from the failed run's state (finished tasks are not run
 * again); `redrive` would re-run the version the run started on. Locally `stepjobs dev` runs only the current code,
 * so there it is what `redrive` does.
 */
export const continueCommand: CommandRun = {
  run: reportingServerDown(async (args) => {
    const { positionals, values } = parseCommandArgs(
      { allowPositionals: true, options: { aws: { type: "boolean" }, stack: { type: "string" } } },
      args,
    );
    const [runId] = positionals;
    if (positionals.length !== 1 || runId === undefined) throw new UsageError("continue takes exactly one run id");
    if (values.aws) {
      const aws = await import("./aws.ts");
      return aws.reportingAwsProblems("continue", async () => {
        const clients = await aws.awsClients();
        const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
        const continued = await aws.continueAwsRun(clients, stack, runId);
        process.stdout.write(
          `${runId} continues as ${continued.runId} on the live version (StartExecution); follow it with: stepjobs run ${continued.runId} --aws\n`,
        );
        return 0;
      });
    }
    const response = await ApiClient.fromEnv().request("POST", `/api/v1/runs/${encodeURIComponent(runId)}/redrive`);
    if (response.status !== 200 && response.status !== 202) {
      process.stderr.write(`stepjobs continue: ${apiErrorLine(response)}\n`);
      return 1;
    }
    process.stdout.write(
      `${runId}: continued on the current code, ${response.body.status as string} (follow it with: stepjobs run ${runId} --follow)\n`,
    );
    return 0;
  }, "continue"),
};
