import path from "node:path";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { CompiledJob } from "../compiler/compile-project.ts";
import { generateKey } from "../local/env-file.ts";
import { ApiAuth } from "../local/auth.ts";
import { ChangeFeed } from "../local/change-feed.ts";
import type { LoadedJob } from "../local/job-registry.ts";
import { ApiError, beyondLoopbackWarning, type StartedServer, startServer } from "../local/server.ts";
import { DynamoEventStore } from "../store/dynamo-event-store.ts";
import { compileProject } from "../compiler/compile-project.ts";
import {
  type AwsClients,
  AwsCliError,
  awsProblem,
  awsClients,
  awsRunDetail,
  listAwsRuns,
  readStack,
  reportingAwsProblems,
  stackApiSender,
  type StackResources,
  stackNameFrom,
} from "./aws.ts";
import { type CommandRun, parseCommandArgs, portFrom } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `stepjobs dashboard --aws`: the dashboard, read-only, over a deployed stack. The same UI and the same API routes
 * as `stepjobs dev`; runs come from Step Functions (ListExecutions, GetExecutionHistory through the shared timeline
 * model), events from the stack's table, jobs from the project's compiled sources; Send Event posts to the stack's
 * HTTP API with the key from Secrets Manager. Other writes answer 405 with the CLI command to use. Bound to 127.0.0.1 by
 * default; the page's session cookie authorizes its fetches. Its own key is made at start: bound beyond loopback,
 * the command prints it, since other machines' browsers are asked for it.
 */

/** How often open pages refetch runs and events from AWS. */
const AWS_REFRESH_MS = 5000;

/** Options of {@link startAwsDashboard}. */
export interface AwsDashboardOptions {
  readonly clients: AwsClients;
  readonly stack: StackResources;
  /** The project's compiled jobs (what the stack was deployed from). */
  readonly jobs: readonly CompiledJob[];
  readonly root: string;
  readonly host: string;
  readonly port: number;
}

/** A running `dashboard --aws`. */
export interface AwsDashboard extends StartedServer {
  /** The key its login form asks for (a client that is not on loopback). */
  readonly key: string;
}

/** Starts the read-only dashboard; resolves once it listens. */
export async function startAwsDashboard(options: AwsDashboardOptions): Promise<AwsDashboard> {
  const { clients, stack } = options;
  if (!stack.tableName) throw new AwsCliError(`stack ${stack.stackName} has no TableName output; deploy it with this version of stepjobs`);
  const loaded = new Map(
    options.jobs.map((compiled) => [
      compiled.plan.id,
      { id: compiled.plan.id, compiled, file: path.relative(options.root, compiled.entry) } as LoadedJob,
    ]),
  );
  const send = stack.apiUrl && stack.apiKeySecretArn ? stackApiSender(clients, stack) : undefined;
  const events = new DynamoEventStore({ client: clients.dynamodb as unknown as DynamoDBDocumentClient, tableName: stack.tableName });
  // Step Functions pushes nothing here, so open pages refetch every few seconds: each refresh is one ListExecutions
  // per job (well inside its default quota, a bucket of 100 refilling at 2 per second:
  // https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-api-action-throttling-general).
  const changes = new ChangeFeed();
  const refresh = setInterval(() => changes.emit({ type: "event", id: "*" }), AWS_REFRESH_MS);
  refresh.unref();
  const key = generateKey("tr_dash_");
  const started = await startServer(
    {
      auth: new ApiAuth(key, "the key `stepjobs dashboard --aws` printed when it started"),
      appId: stack.stackName,
      registry: { list: () => [...loaded.values()], get: (id: string) => loaded.get(id) },
      // Never read: runSource answers every run route, and the writes that would touch runs answer 405 first.
      stores: { events, runs: undefined as never },
      changes,
      // Never called either: a POST of an event is forwarded by runSource.sendEvent, or refused read-only first.
      ingest: async () => {
        throw new ApiError(405, "READ_ONLY", "send events with `stepjobs send --aws`");
      },
      runSource: {
        readOnlyHint: "use `stepjobs redrive|cancel --aws` to change it",
        // Send Event goes through the stack's HTTP API, so the deployed schemas judge it, as they judge the app's.
        sendEvent: send
          ? async (incoming) => {
              try {
                return await send(incoming);
              } catch (error) {
                const problem = awsProblem(error) ?? (error as Error).message;
                throw new ApiError(502, "STACK_API_UNREACHABLE", `could not send through ${stack.apiUrl}: ${problem}`);
              }
            }
          : undefined,
        listRuns: (query) => listAwsRuns(clients, stack, query),
        getRun: async (id) => {
          try {
            return await awsRunDetail(clients, stack, id);
          } catch (error) {
            const name = (error as { name?: string }).name;
            if (name === "ExecutionDoesNotExist" || error instanceof AwsCliError) return undefined;
            throw error;
          }
        },
      },
    },
    { host: options.host, port: options.port },
  );
  started.server.once("close", () => clearInterval(refresh));
  return { ...started, key };
}

/** `stepjobs dashboard --aws [--stack name] [--port 8081] [--host 127.0.0.1] [--jobs src/jobs]`. */
export const dashboardCommand: CommandRun = {
  async run(args) {
    const { values } = parseCommandArgs(
      {
        options: {
          aws: { type: "boolean" },
          stack: { type: "string" },
          port: { type: "string", default: "8081" },
          host: { type: "string", default: "127.0.0.1" },
          jobs: { type: "string", default: "src/jobs" },
        },
      },
      args,
    );
    if (!values.aws) throw new UsageError("dashboard serves a deployed stack: add --aws (the local dashboard is part of `stepjobs dev`)");
    const port = portFrom(values.port!);
    return reportingAwsProblems("dashboard", async () => {
      const clients = await awsClients();
      const stack = await readStack(clients, stackNameFrom(values.stack));
      const root = process.cwd();
      const project = compileProject({ root, jobsDir: values.jobs! });
      const dashboard = await startAwsDashboard({ clients, stack, jobs: project.jobs, root, host: values.host!, port });
      process.stdout.write(`stepjobs dashboard: ${stack.stackName} (read-only) on ${dashboard.url}  (Ctrl-C to stop)\n`);
      if (dashboard.beyondLoopback)
        process.stdout.write(
          `stepjobs dashboard: ${beyondLoopbackWarning(values.host!, `this key, made for this run: ${dashboard.key}`)}\n`,
        );
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      return 0;
    });
  },
};
