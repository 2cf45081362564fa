import { formatDuration } from "../local/terminal.ts";
import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";

/** `stepjobs runs [--job id] [--status s]`: the newest runs, one line each. */
export const runsCommand: CommandRun = {
  run: reportingServerDown(async (args) => {
    const { values } = parseCommandArgs(
      { options: { job: { type: "string" }, status: { type: "string" }, aws: { type: "boolean" }, stack: { type: "string" } } },
      args,
    );
    if (values.aws) {
      const aws = await import("./aws.ts");
      return aws.reportingAwsProblems("runs", async () => {
        const clients = await aws.awsClients();
        const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
        printRuns(await aws.listAwsRuns(clients, stack, { jobId: values.job, status: values.status?.toUpperCase() }));
        return 0;
      });
    }
    const query = new URLSearchParams();
    if (values.job) query.set("jobId", values.job);
    if (values.status) query.set("status", values.status.toUpperCase());
    const response = await ApiClient.fromEnv().request("GET", `/api/v1/runs${query.size ? `?${query}` : ""}`);
    if (response.status !== 200) {
      process.stderr.write(`stepjobs runs: ${apiErrorLine(response)}\n`);
      return 1;
    }
    printRuns(response.body.runs as RunLine[]);
    return 0;
  }, "runs"),
};

/** What one line of `stepjobs runs` shows. */
interface RunLine {
  readonly id: string;
  readonly jobId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly completedAt: string | null;
}

/** One line per run, local or AWS alike. */
function printRuns(runs: readonly RunLine[]): void {
  if (runs.length === 0) process.stdout.write("no runs\n");
  for (const run of runs) {
    const took = run.completedAt ? formatDuration(Date.parse(run.completedAt) - Date.parse(run.startedAt)) : "";
    process.stdout.write(`${run.id}  ${run.jobId}  ${run.status.padEnd(9)}  ${run.startedAt}  ${took}\n`);
  }
}
