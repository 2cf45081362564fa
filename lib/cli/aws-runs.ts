import { OUTPUT_KEYS } from "../constructs/outputs.ts";
import { InvalidCursorError } from "../store/errors.ts";
import type { AwsClients, StackResources } from "./aws.ts";
import { AwsCliError } from "./aws.ts";

/**
 * `runs --aws` and `dashboard --aws`'s run list, newest first and paged: a merge of one source per job
 * (ListExecutions, whose pages are the job's runs newest first; `nextToken` marks where a page starts), plus the
 * Express jobs' runs from the event table. The cursor says, per source, on which page its next unread run is and how
 * many of that page were read, so a page costs a ListExecutions per job and nothing is listed twice or skipped.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */

/** One line per run. */
export interface AwsRunSummary {
  readonly id: string;
  readonly jobId: string;
  readonly status: string;
  readonly startedAt: string;
  readonly completedAt: string | null;
}

/**
 * What `runs --aws` says of an Express run: it started (ingest recorded it); its outcome is in the state machine's
 * log group, since Express workflows keep no execution history for ListExecutions or DescribeExecution
 * (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html).
 */
export const EXPRESS_STATUS = "STARTED";

/** The most runs one page lists (ListExecutions' own maximum page). */
const MAX_LIMIT = 1000;

/** Where one source stands: the token of the page its next unread run is on, and how many of that page were read. */
interface Position {
  readonly token?: string;
  readonly skip: number;
  readonly done?: boolean;
}

/** One page of a source, from a position: its runs and the token of the page after it. */
type ReadPage = (token: string | undefined, max: number) => Promise<{ runs: AwsRunSummary[]; next?: string }>;

/** What was read of a source ahead of the merge: its runs, each with where it is, and where the source stands after them. */
interface ReadAhead {
  readonly runs: AwsRunSummary[];
  readonly at: Position[];
  readonly end: Position;
}

/** Reads at least `need` runs of a source from `position` (or all it has left). */
async function readAhead(read: ReadPage, position: Position, need: number): Promise<ReadAhead> {
  const runs: AwsRunSummary[] = [];
  const at: Position[] = [];
  if (position.done) return { runs, at, end: position };
  let token = position.token;
  let skip = position.skip;
  for (;;) {
    const page = await read(token, Math.min(MAX_LIMIT, need - runs.length + skip));
    page.runs.slice(skip).forEach((run, i) => {
      runs.push(run);
      at.push({ ...(token ? { token } : {}), skip: skip + i });
    });
    if (!page.next) return { runs, at, end: { skip: 0, done: true } };
    token = page.next;
    skip = 0;
    if (runs.length >= need) return { runs, at, end: { token, skip: 0 } };
  }
}

/** Step Functions execution status to the run status the CLI shows (TIMED_OUT is a failure). */
function runStatus(status: string | undefined): string {
  if (status === "TIMED_OUT") return "FAILED";
  if (status === "PENDING_REDRIVE") return "RUNNING";
  return status ?? "RUNNING";
}

/** The cursor of the next page, or null when every source is done. */
function encodeCursor(positions: Readonly<Record<string, Position>>): string | null {
  if (Object.values(positions).every((p) => p.done)) return null;
  return Buffer.from(JSON.stringify(positions)).toString("base64url");
}

function decodeCursor(cursor: string): Record<string, Position> {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, Position>;
  } catch {
    // below
  }
  throw new InvalidCursorError("runs");
}

/** The source key of the Express jobs' runs (job ids never contain a space). */
const EXPRESS_SOURCE = "express runs";

/** A page of runs of the stack (or of one job), newest first; `cursor` is the previous page's `nextCursor`. */
export async function listAwsRuns(
  clients: AwsClients,
  stack: StackResources,
  query: { jobId?: string; status?: string; limit?: number; cursor?: string },
): Promise<{ runs: AwsRunSummary[]; nextCursor: string | null }> {
  if (query.jobId && !stack.jobs.has(query.jobId)) throw new AwsCliError(`stack ${stack.stackName} has no job "${query.jobId}"`);
  const limit = Math.min(MAX_LIMIT, query.limit ?? 50);
  const jobs = query.jobId ? [[query.jobId, stack.jobs.get(query.jobId)!] as const] : [...stack.jobs];
  const sources = new Map<string, ReadPage>();
  for (const [jobId, arn] of jobs) {
    // ListExecutions is not supported for Express state machines: their runs come from the event table.
    if (!stack.expressJobs.has(jobId)) sources.set(jobId, await executionsOf(clients, jobId, arn, query.status));
  }
  const express = jobs.filter(([jobId]) => stack.expressJobs.has(jobId)).map(([jobId]) => jobId);
  if (express.length > 0 && (!query.status || query.status === EXPRESS_STATUS))
    sources.set(EXPRESS_SOURCE, await expressRunsOf(clients, stack, express));

  const positions = query.cursor ? decodeCursor(query.cursor) : {};
  const read = await Promise.all(
    [...sources].map(async ([key, page]) => [key, await readAhead(page, positions[key] ?? { skip: 0 }, limit)] as const),
  );
  const merged = read
    .flatMap(([key, ahead]) => ahead.runs.map((run, i) => ({ key, run, i })))
    .sort((a, b) => b.run.startedAt.localeCompare(a.run.startedAt))
    .slice(0, limit);
  const taken = new Map<string, number>();
  for (const m of merged) taken.set(m.key, (taken.get(m.key) ?? 0) + 1);
  const next: Record<string, Position> = {};
  for (const [key, ahead] of read) {
    const n = taken.get(key) ?? 0;
    next[key] = ahead.at[n] ?? ahead.end;
  }
  return { runs: merged.map((m) => m.run), nextCursor: encodeCursor(next) };
}

/** One job's executions, a page at a time (ListExecutions). */
async function executionsOf(clients: AwsClients, jobId: string, stateMachineArn: string, status: string | undefined): Promise<ReadPage> {
  const { ListExecutionsCommand } = await import("@aws-sdk/client-sfn");
  return async (token, max) => {
    const answer = await clients.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: max,
        ...(status ? { statusFilter: status as never } : {}),
        ...(token ? { nextToken: token } : {}),
      }),
    );
    return {
      runs: (answer.executions ?? []).map((e: { name: string; status?: string; startDate: Date; stopDate?: Date }) => ({
        id: e.name,
        jobId,
        status: runStatus(e.status),
        startedAt: new Date(e.startDate).toISOString(),
        completedAt: e.stopDate ? new Date(e.stopDate).toISOString() : null,
      })),
      ...(answer.nextToken ? { next: answer.nextToken as string } : {}),
    };
  };
}

/** The runs of Express jobs, from the event records ingest keeps in the stack's table, a page of events at a time. */
async function expressRunsOf(clients: AwsClients, stack: StackResources, jobIds: readonly string[]): Promise<ReadPage> {
  if (!stack.tableName) throw new AwsCliError(`stack ${stack.stackName} has no ${OUTPUT_KEYS.table} output`);
  const { DynamoEventStore } = await import("../store/dynamo-event-store.ts");
  const events = new DynamoEventStore({ client: clients.dynamodb as never, tableName: stack.tableName });
  const wanted = new Set(jobIds);
  return async (token, max) => {
    const page = await events.listEventsPage({ limit: max, ...(token ? { cursor: token } : {}) });
    return {
      runs: page.items.flatMap((event) =>
        event.runs
          .filter((run) => wanted.has(run.jobId))
          .map((run) => ({ id: run.id, jobId: run.jobId, status: EXPRESS_STATUS, startedAt: event.receivedAt, completedAt: null })),
      ),
      ...(page.cursor ? { next: page.cursor } : {}),
    };
  };
}
