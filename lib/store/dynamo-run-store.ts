import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { DynamoTable, KEY, isConditionalCheckFailed, listLimit, type DynamoStoreOptions, type Item } from "./dynamo-table.ts";
import { AttemptNotFoundError, RunNotFoundError } from "./errors.ts";
import type { AttemptRecord, AttemptUpdate, LogRecord, Page, RunQuery, RunRecord, RunStore, RunUpdate, StepRecord } from "./types.ts";

/**
 * The RunStore on DynamoDB (dynalite in `stepjobs dev`), and the attempt counter the cloud runner numbers attempts
 * with. A run and everything under it (attempts, steps, logs, attempt counters) share the partition `RUN#<id>`, so
 * one Query reads them.
 */

/** Item kind (list-index partition) of runs. */
const RUN_KIND = "RUN";

/**
 * How long an attempt counter is kept: as long as event records (an execution lasts at most a year; 90 days of
 * dedupe). Set on the first count, so a counter outlives its run's last attempt by at least that.
 */
export const ATTEMPT_COUNTER_TTL_SECONDS = 400 * 24 * 60 * 60;

/** Runs, attempts, steps, logs and attempt counters in the stepjobs table. */
export class DynamoRunStore implements RunStore {
  readonly #table: DynamoTable;
  /** Orders log lines written in the same millisecond by this process. */
  #logSequence = 0;

  constructor(options: DynamoStoreOptions) {
    this.#table = new DynamoTable(options);
  }

  async putRun(run: RunRecord): Promise<{ created: boolean; record: RunRecord }> {
    const { created, item } = await this.#table.putIfAbsent({ ...runItem(run), ...this.#table.expiry() });
    return { created, record: created ? run : runOf(item) };
  }

  async updateRun(id: string, update: RunUpdate): Promise<RunRecord> {
    const fields: Item = {
      status: update.status,
      completedAt: update.completedAt,
      stateJson: jsonOrUndefined(update.state),
      outputJson: update.output === undefined ? undefined : JSON.stringify(update.output),
      errorJson: jsonOrUndefined(update.error),
      statesEnteredJson: jsonOrUndefined(update.statesEntered),
    };
    const attribute = { completedAt: "completedAt", error: "errorJson", output: "outputJson" } as const;
    const item = await this.#update(
      runPk(id),
      RUN_KIND,
      fields,
      (update.clear ?? []).map((f) => attribute[f]),
    );
    if (!item) throw new RunNotFoundError(id);
    return runOf(item);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const item = await this.#table.get(runPk(id), RUN_KIND);
    return item && runOf(item);
  }

  /** Newest first by `startedAt`; `limit` defaults to 50. */
  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    return (await this.listRunsPage(query)).items;
  }

  /** One page, newest first by `startedAt`, after `query.cursor`; `limit` defaults to 50. */
  async listRunsPage(query: RunQuery = {}): Promise<Page<RunRecord>> {
    const filter = { jobId: query.jobId, status: query.status };
    const page = await this.#table.queryNewestPage(RUN_KIND, filter, listLimit(query.limit), query.cursor, "runs");
    return { ...page, items: page.items.map(runOf) };
  }

  /**
   * Runs RUNNING, from the list index. Locally the index is exact at start: a data dir a killed process left has
   * its indexes rebuilt from the table before dynalite opens it (lib/store/dynalite-recovery.ts).
   */
  async listUnfinishedRuns(): Promise<RunRecord[]> {
    return (await this.#table.queryNewest(RUN_KIND, { status: "RUNNING" }, Infinity)).map(runOf);
  }

  async putAttempt(attempt: AttemptRecord): Promise<{ created: boolean; record: AttemptRecord }> {
    const { created, item } = await this.#table.putIfAbsent({ ...attemptItem(attempt), ...this.#table.expiry() });
    return { created, record: created ? attempt : attemptOf(item) };
  }

  async updateAttempt(runId: string, taskKey: string, number: number, update: AttemptUpdate): Promise<AttemptRecord> {
    const fields: Item = { status: update.status, endedAt: update.endedAt, errorJson: jsonOrUndefined(update.error) };
    const item = await this.#update(runPk(runId), attemptSk(taskKey, number), fields);
    if (!item) throw new AttemptNotFoundError(runId, taskKey, number);
    return attemptOf(item);
  }

  /** In start order (ties: attempt number). */
  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    const attempts = (await this.#table.queryPartition(runPk(runId), "ATTEMPT#")).map(attemptOf);
    return attempts.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.number - b.number));
  }

  async putStep(step: StepRecord): Promise<void> {
    await this.#table.putIfAbsent({ ...stepItem(step), ...this.#table.expiry() });
  }

  async endStep(runId: string, key: string, endedAt: string): Promise<void> {
    await this.#update(runPk(runId), stepSk(key), { endedAt });
  }

  /** In start order. */
  async listSteps(runId: string): Promise<StepRecord[]> {
    const steps = (await this.#table.queryPartition(runPk(runId), "STEP#")).map(stepOf);
    return steps.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  async appendLog(log: LogRecord): Promise<void> {
    // Time, then a per-process sequence, then randomness: ordered within a process, unique across processes.
    const sequence = String(++this.#logSequence).padStart(10, "0");
    const unique = globalThis.crypto.randomUUID().slice(0, 8);
    await this.#table.put({
      [KEY.pk]: runPk(log.runId),
      [KEY.sk]: `LOG#${log.at}#${sequence}#${unique}`,
      log: JSON.stringify(log),
      ...this.#table.expiry(),
    });
  }

  /** In the order written (by `at`, then by write order within this process). */
  async listLogs(runId: string): Promise<LogRecord[]> {
    const items = await this.#table.queryPartition(runPk(runId), "LOG#");
    return items.map((item) => JSON.parse(item.log as string) as LogRecord);
  }

  /**
   * Counts one more attempt of task `taskKey` in run `runId` and returns the count (1 on the first): the cloud
   * runner's `countAttempt` port, one `UpdateItem ADD` made right before the task function runs, so Lambda throttles
   * (which `$$.State.RetryCount` counts, though the function never ran) do not inflate `ctx.attempt.number`.
   */
  async countAttempt(runId: string, taskKey: string): Promise<number> {
    return this.#table.increment(runPk(runId), attemptCounterSk(taskKey), "attempts", ATTEMPT_COUNTER_TTL_SECONDS);
  }

  /**
   * SETs the defined `fields` of an existing item (`attribute_exists(pk)`) and returns it after the change,
   * or undefined when there is no such item. UpdateItem: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
   */
  async #update(pk: string, sk: string, fields: Item, remove: readonly string[] = []): Promise<Item | undefined> {
    const defined = Object.entries(fields).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { "#pk": KEY.pk };
    const values: Record<string, unknown> = {};
    const sets = defined.map(([name, value], index) => {
      names[`#u${index}`] = name;
      values[`:u${index}`] = value;
      return `#u${index} = :u${index}`;
    });
    const removes = remove.map((name, index) => {
      names[`#r${index}`] = name;
      return `#r${index}`;
    });
    // Nothing to change: still answer whether the item exists, as the caller expects.
    if (sets.length === 0 && removes.length === 0) return this.#table.get(pk, sk);
    const expression = [sets.length > 0 ? `SET ${sets.join(", ")}` : "", removes.length > 0 ? `REMOVE ${removes.join(", ")}` : ""]
      .filter(Boolean)
      .join(" ");
    try {
      const { Attributes } = await this.#table.client.send(
        new UpdateCommand({
          TableName: this.#table.tableName,
          Key: { [KEY.pk]: pk, [KEY.sk]: sk },
          UpdateExpression: expression,
          ConditionExpression: "attribute_exists(#pk)",
          ExpressionAttributeNames: names,
          ...(sets.length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}

function runPk(id: string): string {
  return `RUN#${id}`;
}

/** Zero-padded so attempts of a task sort by number (ASL allows up to 99999999 retries). */
function attemptSk(taskKey: string, number: number): string {
  return `ATTEMPT#${taskKey}#${String(number).padStart(8, "0")}`;
}

function stepSk(key: string): string {
  return `STEP#${key}`;
}

/** The cloud runner's attempt counter of a task key (kept as first deployed: `ATTEMPTS#`, not an attempt's `ATTEMPT#`). */
function attemptCounterSk(taskKey: string): string {
  return `ATTEMPTS#${taskKey}`;
}

function jsonOrUndefined(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** User-shaped fields (state, output, error) are JSON strings; the rest are native for filters and updates. */
function runItem(run: RunRecord): Item {
  return {
    [KEY.pk]: runPk(run.id),
    [KEY.sk]: RUN_KIND,
    [KEY.listPk]: RUN_KIND,
    [KEY.listSk]: `${run.startedAt}#${run.id}`,
    id: run.id,
    jobId: run.jobId,
    jobVersion: run.jobVersion,
    eventId: run.eventId,
    status: run.status,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    outputJson: run.output === undefined ? undefined : JSON.stringify(run.output),
    errorJson: jsonOrUndefined(run.error),
    stateJson: jsonOrUndefined(run.state),
    statesEnteredJson: jsonOrUndefined(run.statesEntered),
  };
}

function runOf(item: Item): RunRecord {
  return {
    id: item.id as string,
    jobId: item.jobId as string,
    jobVersion: item.jobVersion as string,
    eventId: item.eventId as string,
    status: item.status as RunRecord["status"],
    startedAt: item.startedAt as string,
    ...(item.completedAt === undefined ? {} : { completedAt: item.completedAt as string }),
    ...(item.outputJson === undefined ? {} : { output: JSON.parse(item.outputJson as string) }),
    ...(item.errorJson === undefined ? {} : { error: JSON.parse(item.errorJson as string) }),
    ...(item.stateJson === undefined ? {} : { state: JSON.parse(item.stateJson as string) }),
    ...(item.statesEnteredJson === undefined ? {} : { statesEntered: JSON.parse(item.statesEnteredJson as string) }),
  };
}

function attemptItem(attempt: AttemptRecord): Item {
  return {
    [KEY.pk]: runPk(attempt.runId),
    [KEY.sk]: attemptSk(attempt.taskKey, attempt.number),
    runId: attempt.runId,
    taskKey: attempt.taskKey,
    taskId: attempt.taskId,
    number: attempt.number,
    status: attempt.status,
    startedAt: attempt.startedAt,
    endedAt: attempt.endedAt,
    errorJson: JSON.stringify(attempt.error),
    stateName: attempt.stateName,
  };
}

function attemptOf(item: Item): AttemptRecord {
  return {
    runId: item.runId as string,
    taskKey: item.taskKey as string,
    taskId: item.taskId as string,
    number: item.number as number,
    status: item.status as AttemptRecord["status"],
    startedAt: item.startedAt as string,
    ...(item.endedAt === undefined ? {} : { endedAt: item.endedAt as string }),
    error: JSON.parse((item.errorJson as string | undefined) ?? "null") as AttemptRecord["error"],
    ...(item.stateName === undefined ? {} : { stateName: item.stateName as string }),
  };
}

function stepItem(step: StepRecord): Item {
  return {
    [KEY.pk]: runPk(step.runId),
    [KEY.sk]: stepSk(step.key),
    runId: step.runId,
    key: step.key,
    stateName: step.stateName,
    startedAt: step.startedAt,
    endedAt: step.endedAt,
  };
}

function stepOf(item: Item): StepRecord {
  return {
    runId: item.runId as string,
    key: item.key as string,
    stateName: item.stateName as string,
    startedAt: item.startedAt as string,
    ...(item.endedAt === undefined ? {} : { endedAt: item.endedAt as string }),
  };
}
