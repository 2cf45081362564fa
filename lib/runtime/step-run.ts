import { compileRetry, retryDelaySeconds } from "../compiler/compile-retry.ts";
import type { Job } from "../sdk/client.ts";
import { NonDeterminismError, TaskFailedError, TaskOutputTooLargeError, TooManyTasksError } from "../sdk/errors.ts";
import type { Context, IO, JsonValue, LogLevel, LogLine, RunTaskOptions, TaskContext } from "../sdk/types.ts";
import {
  type ErrorInfo,
  jsonSize,
  type MemoEntry,
  type NextTask,
  normalizeCaughtError,
  type RunInput,
  type RunState,
  toRunState,
} from "./run-state.ts";

/**
 * What the state machine asks the runner to do:
 * - `plan`: replay to the first task not in the memo (after a `Catch`, first record the failure);
 * - `task`: replay, execute exactly `state.next`, then replay on to the next task;
 * - `retry`: after a `DynamicTask` failed, decide between another attempt (via `DynamicWait`) and failure.
 */
export type StepMode = "plan" | "task" | "retry";

/** Ports and knobs of {@link stepRun}; all optional so the Lambda and the local runtime pass what they have. */
export interface StepRunOptions {
  /** Receives each `io.logger` line once (never during replay of finished work). */
  readonly onLog?: (line: LogLine) => void;
  /** Clock for log timestamps. @default () => new Date() */
  readonly now?: () => Date;
  /** Randomness for jittered waits of runner-driven retries. @default Math.random */
  readonly random?: () => number;
  /**
   * Largest state (bytes of JSON) a task may leave behind. Step Functions rejects larger states with
   * `States.DataLimitExceeded`; we fail the task first with a message naming the size.
   * @default 256 KiB minus 8 KiB of headroom for the Lambda invoke envelope
   */
  readonly maxStateBytes?: number;
}

/**
 * Most tasks one run may call: 25,000 history events per execution at about 7 events per task, with
 * room left for retries (3 events each) and the Plan/Route overhead.
 */
export const MAX_TASKS_PER_RUN = 3000;

/** Step Functions' state payload quota (256 KiB), minus headroom for the `lambda:invoke` envelope. */
export const DEFAULT_MAX_STATE_BYTES = 256 * 1024 - 8 * 1024;

type Halt =
  | { readonly type: "next"; readonly next: NextTask }
  | { readonly type: "wait"; readonly next: NextTask }
  | { readonly type: "task-failed"; readonly error: unknown }
  | { readonly type: "run-failed"; readonly error: unknown }
  | { readonly type: "done"; readonly output: unknown };

const NEVER = new Promise<never>(() => {});

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name || "Error", message: error.message };
  return { name: "Error", message: typeof error === "string" ? error : (JSON.stringify(error) ?? String(error)) };
}

/** JSON round trip: what the value becomes after a state transition (dates to strings, no functions). */
function toJson(value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}

/** The caller of `io.runTask`, as `file:line:col`, read from the stack (source-mapped where enabled). */
function callSite(error: Error): string | undefined {
  const lines = (error.stack ?? "").split("\n").slice(1);
  const frame = lines.find((l) => !l.includes("/lib/runtime/") && !l.includes("node:internal"));
  const match = frame?.match(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/);
  return match ? `${match[1].replace(/^file:\/\//, "")}:${match[2]}:${match[3]}` : undefined;
}

/**
 * Advances a run by one step: replays `job.run` against the memo (finished tasks return their recorded
 * result instantly and log nothing) and stops at the first task not in the memo. In `task` mode it first
 * executes `state.next` with `ctx.attempt.number = (next.attempt ?? 1) + retryCount`.
 *
 * Returns the next state. Throws only the task function's own error (with its `name`), so the task
 * state's native `Retry` sees it; every other failure (between tasks, nondeterminism) is returned as
 * `status: "failed"`, so no finished task ever runs again.
 */
export async function stepRun(
  job: Job<any>,
  input: RunInput | RunState,
  mode: StepMode,
  retryCount = 0,
  options: StepRunOptions = {},
): Promise<RunState> {
  const now = options.now ?? (() => new Date());
  const maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  const start = toRunState(input);
  const memo: MemoEntry[] = [...start.memo];
  const next = start.next;
  let caught: ErrorInfo | undefined;
  if (start.caught && next && mode === "plan") {
    memo.push({ key: next.key, id: next.task, ok: false, error: normalizeCaughtError(start.caught) });
  } else if (start.caught && mode === "retry") {
    caught = normalizeCaughtError(start.caught);
  }

  let halt!: (h: Halt) => void;
  const halted = new Promise<Halt>((resolve) => (halt = resolve));
  const occurrences = new Map<string, number>();
  let callIndex = 0;
  let passed = 0;
  const liveFrom = next ? next.index + 1 : 0;
  let executing: { id: string; attempt: number } | undefined;
  let attemptNumber = 1;
  let lastResult: JsonValue | undefined;
  let frontierOpen = mode !== "plan" && next !== undefined;

  const log =
    (level: LogLevel) =>
    (message: string, data?: unknown): void => {
      if (!executing && passed < liveFrom) return;
      options.onLog?.({
        level,
        message: String(message),
        ...(data === undefined ? {} : { data: toJson(data) }),
        ...(executing ? { taskId: executing.id, attempt: executing.attempt } : {}),
        at: now().toISOString(),
      });
    };

  const ctx: Context = {
    job: { id: job.id, version: job.version },
    run: { id: start.runId },
    event: { id: start.event.id, name: start.event.name, timestamp: start.event.timestamp },
    attempt: {
      get number() {
        return attemptNumber;
      },
    },
  };

  const returnRecorded = (entry: MemoEntry, index: number): Promise<any> => {
    passed = index + 1;
    if (entry.ok) {
      lastResult = entry.result;
      return Promise.resolve(toJson(entry.result));
    }
    return Promise.reject(new TaskFailedError(entry.id, entry.key, entry.error.name, entry.error.message));
  };

  async function execute(id: string, key: string, index: number, fn: Function, taskPayload: unknown): Promise<any> {
    const attempt = (next?.attempt ?? 1) + retryCount;
    attemptNumber = attempt;
    executing = { id, attempt };
    const task: TaskContext = { id, key, idempotencyKey: `${start.runId}:${key}`, attempt: { number: attempt } };
    let result: JsonValue | undefined;
    try {
      result = toJson(await fn(toJson(taskPayload), task));
    } catch (error) {
      halt({ type: "task-failed", error });
      return NEVER;
    } finally {
      executing = undefined;
    }
    const entry: MemoEntry = result === undefined ? { key, id, ok: true } : { key, id, ok: true, result };
    const size = jsonSize({ ...start, memo: [...memo, entry] });
    if (size > maxStateBytes) {
      halt({ type: "task-failed", error: new TaskOutputTooLargeError(key, size, maxStateBytes) });
      return NEVER;
    }
    memo.push(entry);
    frontierOpen = false;
    return returnRecorded(entry, index);
  }

  function decideRetry(id: string, key: string, index: number, taskOptions: RunTaskOptions | undefined): Promise<any> {
    const failure = caught ?? { name: "Error", message: "unknown failure" };
    const { retrier, maxAttempts } = compileRetry(taskOptions, job.client.options.defaults?.retry);
    const made = (next?.attempt ?? 1) + retryCount;
    const retriable =
      failure.name !== "NonRetriableError" &&
      failure.name !== "TaskOutputTooLargeError" &&
      (retrier.ErrorEquals.includes("States.ALL") || retrier.ErrorEquals.includes(failure.name));
    if (retriable && made < maxAttempts) {
      const waitSeconds = retryDelaySeconds(retrier, made, options.random);
      halt({ type: "wait", next: { key, task: id, index, attempt: made + 1, waitSeconds } });
      return NEVER;
    }
    const entry: MemoEntry = { key, id, ok: false, error: failure };
    memo.push(entry);
    frontierOpen = false;
    return returnRecorded(entry, index);
  }

  const io: IO = {
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    runTask(id: string, fn: Function, ...rest: unknown[]): Promise<any> {
      const index = callIndex++;
      if (index >= MAX_TASKS_PER_RUN) return fail(new TooManyTasksError(MAX_TASKS_PER_RUN));
      const occurrence = occurrences.get(id) ?? 0;
      occurrences.set(id, occurrence + 1);
      const key = `${id}#${occurrence}`;
      const recorded = memo[index];
      if (recorded) {
        if (recorded.key !== key) return fail(new NonDeterminismError(recorded.key, key, callSite(new Error())));
        return returnRecorded(recorded, index);
      }
      if (frontierOpen && next) {
        if (next.key !== key || next.index !== index) {
          return fail(new NonDeterminismError(next.key, key, callSite(new Error())));
        }
        const taskOptions = rest[1] as RunTaskOptions | undefined;
        if (mode === "retry") return decideRetry(id, key, index, taskOptions);
        return execute(id, key, index, fn, rest.length >= 1 ? rest[0] : lastResult);
      }
      halt({ type: "next", next: { key, task: id, index } });
      return NEVER;
    },
  } as IO;

  function fail(error: unknown): Promise<never> {
    halt({ type: "run-failed", error });
    return NEVER;
  }

  Promise.resolve()
    .then(() => job.run(toJson(start.event.payload), io, ctx))
    .then(
      (output) => halt({ type: "done", output }),
      (error) => halt({ type: "run-failed", error }),
    );
  const outcome = await halted;

  const base = { runId: start.runId, event: start.event, memo };
  switch (outcome.type) {
    case "task-failed":
      throw outcome.error instanceof Error ? outcome.error : Object.assign(new Error(errorInfo(outcome.error).message));
    case "next":
      return { ...base, status: "running", next: outcome.next };
    case "wait":
      return { ...base, status: "waiting", next: outcome.next };
    case "done": {
      if (frontierOpen && next) {
        const error = new NonDeterminismError(next.key, "(end of run)", undefined);
        return { ...base, status: "failed", error: errorInfo(error) };
      }
      const output = toJson(outcome.output);
      return { ...base, status: "succeeded", output: output === undefined ? null : output };
    }
    case "run-failed":
      return { ...base, status: "failed", error: errorInfo(outcome.error) };
  }
}
