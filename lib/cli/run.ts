import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { type RunDetail, runHeadline, runTimelineLines } from "./run-timeline.ts";
import { UsageError } from "./usage-error.ts";

/** How often `--follow` polls (the local API; the AWS history is polled less often). */
const FOLLOW_INTERVAL_MS = 500;
const AWS_FOLLOW_INTERVAL_MS = 2000;

/**
 * Prints a run's timeline, once or (`follow`) line by line until it ends; exit 1 when the run failed. `load`
 * answers the run detail or a one-line problem. Local and AWS runs print the same way (one view model).
 */
export async function showRun(load: () => Promise<RunDetail | string>, follow: boolean, intervalMs: number): Promise<number> {
  const printed = new Set<string>();
  for (;;) {
    const run = await load();
    if (typeof run === "string") {
      process.stderr.write(`stepjobs run: ${run}\n`);
      return 1;
    }
    if (!follow) {
      process.stdout.write([runHeadline(run), ...runTimelineLines(run)].join("\n") + "\n");
      return run.status === "FAILED" ? 1 : 0;
    }
    // Following: print each line once, as it appears; the headline when the run ends.
    for (const line of runTimelineLines(run)) {
      if (printed.has(line)) continue;
      printed.add(line);
      process.stdout.write(line + "\n");
    }
    if (run.status !== "RUNNING") {
      process.stdout.write(runHeadline(run) + "\n");
      return run.status === "FAILED" ? 1 : 0;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `stepjobs run <id> [--follow] [--aws [--stack name]]`: a run's timeline; exit 1 when the run failed. */
export const runCommand: CommandRun = {
  run: reportingServerDown(async (args) => {
    const { values, positionals } = parseCommandArgs(
      {
        options: { follow: { type: "boolean", short: "f" }, aws: { type: "boolean" }, stack: { type: "string" } },
        allowPositionals: true,
      },
      args,
    );
    const [id, ...extra] = positionals;
    if (!id) throw new UsageError("missing the run id");
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.aws) {
      const aws = await import("./aws.ts");
      return aws.reportingAwsProblems("run", async () => {
        const clients = await aws.awsClients();
        const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
        return showRun(() => aws.awsRunDetail(clients, stack, id), values.follow === true, AWS_FOLLOW_INTERVAL_MS);
      });
    }
    const api = ApiClient.fromEnv();
    return showRun(
      async () => {
        const response = await api.request<RunDetail>("GET", `/api/v1/runs/${encodeURIComponent(id)}`);
        return response.status === 200 ? response.body : apiErrorLine(response);
      },
      values.follow === true,
      FOLLOW_INTERVAL_MS,
    );
  }, "run"),
};
