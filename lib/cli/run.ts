import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type Command, parseCommandArgs } from "./commands.ts";
import { type RunDetail, runHeadline, runTimelineLines } from "./run-timeline.ts";
import { UsageError } from "./usage-error.ts";

/** How often `--follow` polls. */
const FOLLOW_INTERVAL_MS = 500;

/** `stepjobs run <id> [--follow]`: a run's timeline; exit 1 when the run failed. */
export const runCommand: Command = {
  summary: "show a run: tasks, attempts, waits, errors, logs (--follow until it ends)",
  usage: "usage: stepjobs run <run-id> [--follow]",
  run: reportingServerDown(async (args) => {
    const { values, positionals } = parseCommandArgs(
      { options: { follow: { type: "boolean", short: "f" } }, allowPositionals: true },
      args,
    );
    const [id, ...extra] = positionals;
    if (!id) throw new UsageError("missing the run id");
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const api = ApiClient.fromEnv();
    const printed = new Set<string>();
    for (;;) {
      const response = await api.request<RunDetail>("GET", `/api/v1/runs/${encodeURIComponent(id)}`);
      if (response.status !== 200) {
        process.stderr.write(`stepjobs run: ${apiErrorLine(response)}\n`);
        return 1;
      }
      const run = response.body;
      const finished = run.status !== "RUNNING";
      if (!values.follow) {
        process.stdout.write([runHeadline(run), ...runTimelineLines(run)].join("\n") + "\n");
        return run.status === "FAILED" ? 1 : 0;
      }
      // Following: print each line once, as it appears; the headline when the run ends.
      for (const line of runTimelineLines(run)) {
        if (printed.has(line)) continue;
        printed.add(line);
        process.stdout.write(line + "\n");
      }
      if (finished) {
        process.stdout.write(runHeadline(run) + "\n");
        return run.status === "FAILED" ? 1 : 0;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
  }, "run"),
};
