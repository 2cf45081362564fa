import { collectPages } from "../dashboard/view/collect-pages.ts";
import { formatDuration } from "../local/terminal.ts";
import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { StepJobsError } from "../sdk/errors.ts";
import { UsageError } from "./usage-error.ts";

/** Runs listed when neither `--limit` nor `--all` is given (the API's default page). */
export const DEFAULT_RUNS_LIMIT = 50;

/** A `--limit` value: a positive whole number; a usage error otherwise. */
function limitFrom(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, got "${text}"`);
  return limit;
}

/** The API answered something else than a page: its error, as one line. */
class ListRunsError extends StepJobsError {
  constructor(message: string) {
    super("LIST_RUNS", message);
    this.name = "ListRunsError";
  }
}

/**
 * `stepjobs runs [--job id] [--status s] [--limit N | --all]`: the newest runs, one line each. When more runs exist
 * than it lists, it says so on stderr (stdout stays one line per run).
 */
export const runsCommand: CommandRun = {
  run: reportingServerDown(async (args) => {
    const { values } = parseCommandArgs(
      {
        options: {
          job: { type: "string" },
          status: { type: "string" },
          limit: { type: "string" },
          all: { type: "boolean" },
          aws: { type: "boolean" },
          stack: { type: "string" },
        },
      },
      args,
    );
    if (values.all && values.limit !== undefined) throw new UsageError("pass --limit N or --all, not both");
    const wanted = values.all ? Infinity : limitFrom(values.limit ?? String(DEFAULT_RUNS_LIMIT));
    if (values.aws) {
      const aws = await import("./aws.ts");
      return aws.reportingAwsProblems("runs", async () => {
        const clients = await aws.awsClients();
        const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
        const { items, more } = await collectPages<RunLine>(async (limit, cursor) => {
          const page = await aws.listAwsRuns(clients, stack, { jobId: values.job, status: values.status?.toUpperCase(), limit, cursor });
          return { items: page.runs, nextCursor: page.nextCursor };
        }, wanted);
        printRuns(items, more);
        return 0;
      });
    }
    const query = new URLSearchParams();
    if (values.job) query.set("jobId", values.job);
    if (values.status) query.set("status", values.status.toUpperCase());
    const api = ApiClient.fromEnv();
    try {
      const { items, more } = await collectPages<RunLine>(async (limit, cursor) => {
        const page = new URLSearchParams(query);
        page.set("limit", String(limit));
        if (cursor) page.set("cursor", cursor);
        const response = await api.request("GET", `/api/v1/runs?${page}`);
        if (response.status !== 200) throw new ListRunsError(apiErrorLine(response));
        return { items: response.body.runs as RunLine[], nextCursor: response.body.nextCursor ?? null };
      }, wanted);
      printRuns(items, more);
      return 0;
    } catch (error) {
      if (!(error instanceof ListRunsError)) throw error;
      process.stderr.write(`stepjobs runs: ${error.message}\n`);
      return 1;
    }
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

/** One line per run, local or AWS alike; `more`: runs exist beyond these (said on stderr). */
function printRuns(runs: readonly RunLine[], more: boolean): void {
  if (runs.length === 0) process.stdout.write("no runs\n");
  for (const run of runs) {
    const took = run.completedAt ? formatDuration(Date.parse(run.completedAt) - Date.parse(run.startedAt)) : "";
    process.stdout.write(`${run.id}  ${run.jobId}  ${run.status.padEnd(9)}  ${run.startedAt}  ${took}\n`);
  }
  if (more) process.stderr.write(`stepjobs runs: these are the newest ${runs.length}; there are more (--limit N, or --all)\n`);
}
