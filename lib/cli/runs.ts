import { formatDuration } from "../local/terminal.ts";
import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type Command, parseCommandArgs } from "./commands.ts";

/** `stepjobs runs [--job id] [--status s]`: the newest runs, one line each. */
export const runsCommand: Command = {
  summary: "list runs (newest first)",
  usage: "usage: stepjobs runs [--job job-id] [--status RUNNING|SUCCEEDED|FAILED|ABORTED]",
  run: reportingServerDown(async (args) => {
    const { values } = parseCommandArgs({ options: { job: { type: "string" }, status: { type: "string" } } }, args);
    const query = new URLSearchParams();
    if (values.job) query.set("jobId", values.job);
    if (values.status) query.set("status", values.status.toUpperCase());
    const response = await ApiClient.fromEnv().request("GET", `/api/v1/runs${query.size ? `?${query}` : ""}`);
    if (response.status !== 200) {
      process.stderr.write(`stepjobs runs: ${apiErrorLine(response)}\n`);
      return 1;
    }
    const runs = response.body.runs as { id: string; jobId: string; status: string; startedAt: string; completedAt: string | null }[];
    if (runs.length === 0) process.stdout.write("no runs\n");
    for (const run of runs) {
      const took = run.completedAt ? formatDuration(Date.parse(run.completedAt) - Date.parse(run.startedAt)) : "";
      process.stdout.write(`${run.id}  ${run.jobId}  ${run.status.padEnd(9)}  ${run.startedAt}  ${took}\n`);
    }
    return 0;
  }, "runs"),
};
