import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { incomingFromOutgoing } from "../ingest/bus-event.ts";
import { ingestEvent, type IngestResult } from "../ingest/ingest-event.ts";
import type { IncomingEvent } from "../ingest/types.ts";
import type { OutgoingEvent } from "../runtime/run-state.ts";
import { startDynalite, createDocumentClient, createLocalClient } from "../store/dynalite.ts";
import type { SlotTable } from "./dynamodb-binding.ts";
import { STEPJOBS_TABLE } from "../store/table-definition.ts";
import { DynamoEventStore } from "../store/dynamo-event-store.ts";
import { DynamoRunStore } from "../store/dynamo-run-store.ts";
import { createTable } from "../store/table.ts";
import { ApiAuth } from "./auth.ts";
import { ChangeFeed } from "./change-feed.ts";
import { applyEnv, ensureEnvFile } from "./env-file.ts";
import type { WaitMode } from "./resume.ts";
import { JobRegistry, type LoadReport } from "./job-registry.ts";
import { LocalRuntime } from "./local-runtime.ts";
import { LocalScheduler } from "./scheduler.ts";
import { beyondLoopbackWarning, startServer } from "./server.ts";
import type { LocalStores } from "./stores.ts";
import { TerminalFormat } from "./terminal.ts";
import { ValidatedAslCache } from "./validated-asl-cache.ts";

/**
 * `stepjobs dev` assembled: `.env`, dynalite on the data dir, the jobs (compiled, imported, watched), the
 * runtime (resuming unfinished runs) and the HTTP server. The CLI command is a thin wrapper around this.
 */

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Project root: `.env`, the data dir and the jobs dir are relative to it. */
  readonly root: string;
  /** @default "src/jobs" */
  readonly jobsDir?: string;
  /** @default ".stepjobs" */
  readonly dataDir?: string;
  /** @default 8080 */
  readonly port?: number;
  /** @default "127.0.0.1" (only this machine; `--host 0.0.0.0` to share) */
  readonly host?: string;
  /** @default "real" */
  readonly waits?: WaitMode;
  /** Re-register edited jobs. @default true */
  readonly watch?: boolean;
  /** Where terminal lines go. */
  readonly print: (line: string) => void;
  readonly color: boolean;
}

/** A running dev server. */
export interface DevServer {
  readonly url: string;
  readonly registry: JobRegistry;
  readonly runtime: LocalRuntime;
  readonly stores: LocalStores;
  close(): Promise<void>;
}

/**
 * Prints what a (re)load did: one line per job, one per problem (which keeps the last good version). On a reload,
 * `before` holds the jobs registered until then: theirs are "re-registered", a new job is "registered".
 */
function printReport(report: LoadReport, format: TerminalFormat, print: (line: string) => void, before?: ReadonlySet<string>): void {
  const reload = before !== undefined;
  const verb = (id: string) => (!before ? "" : before.has(id) ? "re-registered " : "registered ");
  for (const warning of report.warnings) print(warning);
  for (const problem of report.problems) print(`${problem.message}${reload ? "  (keeping the last good version)" : ""}`);
  for (const file of report.fixed) print(`${file}: fixed, no errors now`);
  for (const job of report.loaded) print(`${verb(job.id)}${format.job(job.compiled.plan, job.file)}`);
  for (const id of report.removed) print(`job ${id} removed`);
}

/** How long `close()` lets tasks in flight finish before it stops anyway, s. */
export const DRAIN_SECONDS = 10;
/** A stop that takes longer than this says what it is waiting for, ms. */
const DRAIN_NOTICE_MS = 200;

/** Starts everything; resolves once the server listens. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const root = path.resolve(options.root);
  const { print } = options;
  const format = new TerminalFormat(options.color);
  const apiKey = readApiKey(root, print);
  const dataDir = path.resolve(root, options.dataDir ?? ".stepjobs");
  const { dynalite, stores, dynamo } = await openStore(dataDir, print);
  const registry = new JobRegistry({
    root,
    jobsDir: options.jobsDir ?? "src/jobs",
    waits: options.waits,
    validated: ValidatedAslCache.forProject(root),
  });
  printReport(await registry.load(), format, print);
  if (registry.list().length === 0)
    print(`no jobs in ${path.relative(root, registry.directory) || "."}: add a file that calls client.defineJob({...})`);

  const changes = new ChangeFeed();
  const onError = (error: unknown) => print(`stepjobs dev: internal error: ${(error as Error)?.stack ?? String(error)}`);
  const { ingest, runtime, scheduler, syncSchedules } = wireRuntime({
    registry,
    stores,
    changes,
    print,
    format,
    waits: options.waits,
    onError,
    dynamo,
  });
  const resumed = await runtime.resumeUnfinished();
  if (resumed > 0) print(`resuming ${resumed} unfinished run${resumed === 1 ? "" : "s"}`);

  const host = options.host ?? "127.0.0.1";
  const deps = {
    auth: new ApiAuth(apiKey),
    appId: registry.list()[0]?.job.client.id ?? path.basename(root),
    registry,
    stores,
    changes,
    onError,
    ingest,
  };
  const started = await startServer(
    { ...deps, nextFire: (jobId) => scheduler.next(jobId), runControl: runtime },
    { host, port: options.port ?? 8080 },
  ).catch(async (error: unknown) => {
    // Port taken: stop what already runs, so the process can exit with the message.
    scheduler.stop();
    await runtime.idle().catch(() => {});
    await dynalite.close();
    throw error;
  });
  print(
    `stepjobs dev: API and dashboard on ${started.url}  (data in ${path.relative(root, dataDir) || dataDir}, jobs in ${path.relative(root, registry.directory)})`,
  );
  if (started.beyondLoopback) print(`stepjobs dev: ${beyondLoopbackWarning(host, "the API key (TRIGGER_API_KEY in .env)")}`);
  const stopWatching = options.watch === false ? () => {} : watchJobs(registry, { format, print, changes, onError, syncSchedules });
  const close = async () => {
    stopWatching();
    scheduler.stop();
    await closeServer(started.server);
    await drain(runtime, print);
    await dynalite.close();
  };
  return { url: started.url, registry, runtime, stores, close };
}

/** The API key from the project's `.env`, written with a fresh key when there is none (and never printed). */
function readApiKey(root: string, print: (line: string) => void): string {
  const env = ensureEnvFile(root);
  if (env.generated.length > 0)
    print(`wrote ${env.generated.join(" and ")} to ${env.path} (the API key is read from there; it is never printed)`);
  applyEnv(env.values);
  const apiKey = process.env.TRIGGER_API_KEY;
  if (!apiKey) throw new Error(`TRIGGER_API_KEY is empty in ${env.path}`);
  return apiKey;
}

/** dynalite on the data dir, on a worker thread (the store gets a core of its own: about 1.4x the runs per second on two cores, bench/). */
async function openStore(dataDir: string, print: (line: string) => void) {
  fs.mkdirSync(dataDir, { recursive: true });
  const dynalite = await startDynalite({ path: dataDir, thread: true });
  const fixed = dynalite.repair ? dynalite.repair.put + dynalite.repair.deleted : 0;
  if (fixed > 0) print(`the last stepjobs dev was stopped mid-write: rebuilt the store's indexes from its table (${fixed} entries fixed)`);
  const client = createDocumentClient(dynalite.endpoint);
  await createTable(client);
  const stores: LocalStores = { events: new DynamoEventStore({ client }), runs: new DynamoRunStore({ client }) };
  return { dynalite, stores, dynamo: { client: createLocalClient(dynalite.endpoint), tableName: STEPJOBS_TABLE.defaultName } };
}

/** What runs jobs: ingest (the API's and `io.sendEvent`'s, the in-process bus), the runtime it starts runs on, the scheduler. */
function wireRuntime(deps: {
  readonly registry: JobRegistry;
  readonly stores: LocalStores;
  readonly changes: ChangeFeed;
  readonly print: (line: string) => void;
  readonly format: TerminalFormat;
  readonly waits: WaitMode | undefined;
  readonly onError: (error: unknown) => void;
  readonly dynamo: SlotTable;
}) {
  const { registry, stores, changes, onError } = deps;
  const ingest = async (incoming: IncomingEvent): Promise<IngestResult> => {
    const jobs = registry.list().map((j) => j.compiled.plan);
    const result = await ingestEvent(incoming, { jobs, validators: registry.validators, events: stores.events, starter: runtime });
    if (!result.duplicate) changes.emit({ type: "event", id: result.record.id });
    return result;
  };
  const publish = async (event: OutgoingEvent): Promise<void> => void (await ingest(incomingFromOutgoing(event)));
  const runtime = new LocalRuntime({ ...deps, publish });
  const scheduler = new LocalScheduler({ fire: async (event) => void (await ingest(event)), onError });
  const syncSchedules = () => scheduler.sync(registry.list().map((j) => j.compiled.plan));
  syncSchedules();
  return { ingest, runtime, scheduler, syncSchedules };
}

/** Re-registers edited jobs, one reload at a time (an edit during a reload triggers another after it); returns the stop. */
function watchJobs(
  registry: JobRegistry,
  how: {
    readonly format: TerminalFormat;
    readonly print: (line: string) => void;
    readonly changes: ChangeFeed;
    readonly onError: (error: unknown) => void;
    readonly syncSchedules: () => void;
  },
): () => void {
  let reloading: Promise<void> = Promise.resolve();
  return registry.watch(() => {
    reloading = reloading
      .then(async () => {
        const before = new Set(registry.list().map((job) => job.id));
        const report = await registry.load();
        printReport(report, how.format, how.print, before);
        how.syncSchedules();
        for (const job of report.loaded) how.changes.emit({ type: "job", id: job.id });
      })
      .catch(how.onError);
  });
}

/**
 * Runs in a retry wait or a Wait state stop at once; a task in flight gets a moment to finish and be recorded, so a
 * stop does not use one of its attempts (an attempt cut short counts as failed on the next start).
 */
async function drain(runtime: LocalRuntime, print: (line: string) => void): Promise<void> {
  const executing = await runtime.suspend(DRAIN_NOTICE_MS);
  if (executing === 0) return;
  const runs = `${executing} run${executing === 1 ? "" : "s"}`;
  print(`stepjobs dev: letting ${runs} finish the task in flight (up to ${DRAIN_SECONDS} s; Ctrl+C again to stop now)`);
  const left = await runtime.suspend(DRAIN_SECONDS * 1000);
  if (left > 0)
    print(`stepjobs dev: ${left} run${left === 1 ? "" : "s"} still in a task; the next start counts it as an interrupted attempt`);
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // SSE streams stay open forever; end them so close() completes.
    server.closeAllConnections();
  });
}
