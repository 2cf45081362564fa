import { nextRetry, retryDelaySeconds } from "../compiler/asl-retry.ts";
import { compileRetry } from "../compiler/compile-retry.ts";
import { NON_RETRIABLE_RETRIER } from "../compiler/render-state-machine.ts";
import type { StepSupport } from "../compiler/render-state-machine.ts";
import type { Job } from "../sdk/client.ts";
import { InvalidStepError, NonDeterminismError, TaskFailedError, TaskOutputTooLargeError, TooManyTasksError } from "../sdk/errors.ts";
import type {
  Context,
  IO,
  JsonValue,
  LogLevel,
  LogLine,
  RunTaskOptions,
  SendEventInput,
  SentEvent,
  TaskContext,
  WaitDuration,
} from "../sdk/types.ts";
import {
  type BranchOutcome,
  cloneJson,
  type ErrorInfo,
  type OutgoingEvent,
  type StepKind,
  jsonSize,
  type MemoEntry,
  type NextTask,
  normalizeCaughtError,
  type RunInput,
  type RunState,
  toRunState,
} from "./run-state.ts";
import { errorInfoOf, ThrownTaskError } from "./error-info.ts";

/**
 * What the state machine asks the runner to do:
 * - `plan`: replay to the first task not in the memo (after a `Catch`, first record the failure);
 * - `task`: replay, execute exactly `state.next`, then replay on to the next task;
 * - `retry`: after a `DynamicTask` failed, decide between another attempt (via `DynamicWait`) and failure;
 * - `fail`: the run failed (`RunFailed`): throw its error, so the execution fails at this state; when the
 *   execution was redriven since, continue it instead (see {@link redriveState}).
 */
export type StepMode = "plan" | "task" | "retry" | "fail";

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
  /**
   * The durable steps the job's machine has states for (the `steps` of the runner payload). Without
   * `parallel`, tasks reached together run one after another; a wait or send without its state fails the run.
   * @default all of them
   */
  readonly steps?: readonly StepSupport[];
  /** `$$.Execution.RedriveCount` for `fail` mode. @default 0 */
  readonly redriveCount?: number;
  /**
   * Counts one more attempt of task `key` in run `runId` and returns the count (1 on the first). In AWS this is a
   * DynamoDB `ADD` (see lambdas/runner.ts): `$$.State.RetryCount` also counts the retries of Lambda service errors
   * (throttles), in which the task never ran, so it would over-count. @default `(next.attempt ?? 1) + retryCount`
   */
  readonly countAttempt?: (runId: string, key: string) => Promise<number>;
}

/**
 * Most tasks one run may call: 25,000 history events per execution at about 7 events per task, with
 * room left for retries (3 events each) and the Plan/Route overhead.
 */
export const MAX_TASKS_PER_RUN = 3000;

/** Step Functions' state payload quota (256 KiB), minus headroom for the `lambda:invoke` envelope. */
export const DEFAULT_MAX_STATE_BYTES = 256 * 1024 - 8 * 1024;

type Halt =
  | { readonly type: "frontier"; readonly steps: readonly NextTask[] }
  | { readonly type: "wait"; readonly next: NextTask }
  | { readonly type: "branched"; readonly next: NextTask; readonly entry: MemoEntry }
  | { readonly type: "task-failed"; readonly error: unknown }
  | { readonly type: "run-failed"; readonly error: unknown }
  | { readonly type: "done"; readonly output: unknown };

const NEVER = new Promise<never>(() => {});

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
 * The run state after the steps replay stopped at. One task: `running` (Route sends it to its task state).
 * Several tasks reached in the same turn of the event loop (`Promise.all`): `parallel`, run by the Map state.
 * A wait or an event is never batched: the first step found goes alone, the others are found again after it.
 */
export function haltAt(steps: readonly NextTask[], parallel = true): Pick<RunState, "status" | "next" | "batch"> {
  const tasks = steps.filter((s) => (s.kind ?? "task") === "task");
  if (parallel && tasks.length > 1 && tasks.length === steps.length) return { status: "parallel", batch: steps };
  const first = steps[0];
  const status = first.kind === "wait" ? "sleeping" : first.kind === "event" ? "sending" : "running";
  return { status, next: first };
}

/** RFC 3339 in whole seconds, rounded up (the form `TimestampPath` takes: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html). */
export function toWaitTimestamp(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Most one `Wait` may last: a Standard execution lasts at most one year (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
export const MAX_WAIT_SECONDS = 365 * 24 * 60 * 60;

/** Reads `io.wait`'s duration: `{ seconds }` (or a number), or `{ until }`; throws {@link InvalidStepError} naming what is wrong. */
export function readWait(key: string, duration: WaitDuration, nowMs: number): { seconds: number } | { wakeAtMs: number } {
  const invalid = (problem: string) => new InvalidStepError("io.wait", key, problem);
  if (typeof duration === "number" || (duration && typeof duration === "object" && "seconds" in duration)) {
    const seconds = typeof duration === "number" ? duration : duration.seconds;
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw invalid(`seconds must be a finite number >= 0, got ${JSON.stringify(seconds) ?? String(seconds)}`);
    }
    if (seconds > MAX_WAIT_SECONDS) throw invalid(`seconds is ${seconds}; a run lasts at most one year (${MAX_WAIT_SECONDS} s)`);
    return { seconds: Math.ceil(seconds) };
  }
  if (duration && typeof duration === "object" && "until" in duration) {
    const until = duration.until;
    const ms = until instanceof Date ? until.getTime() : typeof until === "string" ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(ms)) throw invalid(`until must be a Date or an ISO-8601 string, got ${JSON.stringify(until) ?? String(until)}`);
    if (ms - nowMs > MAX_WAIT_SECONDS * 1000) throw invalid(`until is more than a year away; a run lasts at most one year`);
    return { wakeAtMs: ms };
  }
  throw invalid(`duration must be a number of seconds, { seconds } or { until }, got ${JSON.stringify(duration) ?? String(duration)}`);
}

/** Most bytes of an event `io.sendEvent` puts on the bus: EventBridge's 256 KB entry limit (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * The memo entries a `Plan` invocation records before replaying: the `Catch` of a task's (or send's) last
 * attempt, a finished `Sleep`, a sent event, or the outcomes of a `Parallel` batch in call order.
 */
function stepsFinishedBefore(start: RunState): MemoEntry[] {
  const next = start.next;
  if (start.caught && next) {
    return [{ key: next.key, id: next.task, ...kindOf(next), ok: false, error: normalizeCaughtError(start.caught) }];
  }
  if (start.status === "sleeping" && next?.kind === "wait") return [{ key: next.key, id: next.task, kind: "wait", ok: true }];
  if (start.status === "sending" && next?.kind === "event" && next.event) {
    return [{ key: next.key, id: next.task, kind: "event", ok: true, result: { id: next.event.detail.id } }];
  }
  if (start.status === "parallel" && start.branches) {
    return [...start.branches]
      .sort((a, b) => a.next.index - b.next.index)
      .map((b) =>
        b.status === "branched" ? b.entry : { key: b.next.key, id: b.next.task, ok: false as const, error: normalizeCaughtError(b.caught) },
      );
  }
  return [];
}

function kindOf(step: NextTask): { kind?: "wait" | "event" } {
  return step.kind === "wait" || step.kind === "event" ? { kind: step.kind } : {};
}

/**
 * The state a redriven run continues from: the failed run's memo without its trailing failed steps (the task
 * whose error failed the run, or a parallel batch's failed items), so `Plan` replays the finished work and the
 * failed task runs again with its full retry policy. A run that failed between tasks replays as it is (with the
 * code deployed now). RedriveExecution semantics: https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 */
export function redriveState(state: RunState, redriveCount: number): RunState {
  const memo = [...state.memo];
  while (memo.length > 0 && !memo[memo.length - 1].ok) memo.pop();
  return { runId: state.runId, event: state.event, status: "running", memo, redrives: redriveCount };
}

/** {@link advanceRun} for a whole run's state (not one `Parallel` item), whose result is always a run state. */
export async function stepRun(
  job: Job<any>,
  input: RunInput | RunState,
  mode: StepMode,
  retryCount = 0,
  options: StepRunOptions = {},
): Promise<RunState> {
  const result = await advanceRun(job, input, mode, retryCount, options);
  if (isBranchOutcome(result)) throw new Error("stepRun returned a Parallel item's outcome; call advanceRun for branch states");
  return result;
}

/** Tells the result of one `Parallel` item from a run state. */
export function isBranchOutcome(value: RunState | BranchOutcome): value is BranchOutcome {
  return value.status === "branched" || value.status === "caught";
}

/**
 * Advances a run by one step: replays `job.run` against the memo (finished steps return their recorded
 * result instantly and log nothing) and stops at the first steps not in the memo. In `task` mode it first
 * executes `state.next` with `ctx.attempt.number = (next.attempt ?? 1) + retryCount`. On the state of one
 * `Parallel` item (`branch: true`) it executes that task only and returns a {@link BranchOutcome}.
 *
 * Returns the next state. Throws only the task function's own error (with its `name`), so the task
 * state's native `Retry` sees it; every other failure (between tasks, nondeterminism) is returned as
 * `status: "failed"`, so no finished task ever runs again.
 */
export async function advanceRun(
  job: Job<any>,
  input: RunInput | RunState,
  mode: StepMode,
  retryCount = 0,
  options: StepRunOptions = {},
): Promise<RunState | BranchOutcome> {
  if (mode === "fail") {
    const failed = toRunState(input);
    const redriveCount = options.redriveCount ?? 0;
    if ((failed.redrives ?? 0) >= redriveCount) {
      throw new ThrownTaskError(failed.error ?? { name: "RunFailed", message: "the run failed" });
    }
    return advanceRun(job, redriveState(failed, redriveCount), "plan", 0, options);
  }
  const now = options.now ?? (() => new Date());
  const maxStateBytes = options.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
  const start = toRunState(input);
  const inBranch = start.branch === true;
  const memo: MemoEntry[] = [...start.memo];
  const next = start.next;
  let caught: ErrorInfo | undefined;
  if (mode === "plan") {
    memo.push(...stepsFinishedBefore(start));
  } else if (start.caught && mode === "retry") {
    caught = normalizeCaughtError(start.caught);
  }

  let halt!: (h: Halt) => void;
  const halted = new Promise<Halt>((resolve) => (halt = resolve));
  const occurrences = new Map<string, number>();
  let callIndex = 0;
  let passed = 0;
  // Code before this many replayed steps already ran (and logged) in an earlier invocation.
  const reachedBefore = Math.max(next ? next.index + 1 : 0, ...(start.batch ?? []).map((b) => b.index + 1));
  const liveFrom = inBranch ? Number.POSITIVE_INFINITY : mode === "plan" ? Math.max(memo.length, reachedBefore) : reachedBefore;
  let executing: { id: string; attempt: number } | undefined;
  let attemptNumber = 1;
  let lastResult: JsonValue | undefined;
  let frontierOpen = mode !== "plan" && next !== undefined;

  // Steps reached but not in the memo, collected until the job's promises settle (a `Promise.all` reaches
  // all of its tasks in one turn of the event loop); never while a task function is still running.
  const frontier: NextTask[] = [];
  let running = 0;
  let flushScheduled = false;
  const scheduleFlush = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      if (running === 0 && frontier.length > 0) halt({ type: "frontier", steps: [...frontier] });
    });
  };

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
      if (!entry.kind) lastResult = entry.result;
      // A copy: the job may change what it gets, but not the memo the next state carries.
      return Promise.resolve(cloneJson(entry.result));
    }
    return Promise.reject(new TaskFailedError(entry.id, entry.key, entry.error));
  };

  /** Records a step that finished in this invocation and lets the job go on past it. */
  const finish = (entry: MemoEntry, index: number, step: NextTask): Promise<any> => {
    if (inBranch) {
      halt({ type: "branched", next: step, entry });
      return NEVER;
    }
    memo.push(entry);
    frontierOpen = false;
    return returnRecorded(entry, index);
  };

  async function execute(step: NextTask, fn: Function, taskPayload: unknown): Promise<any> {
    const { task: id, key, index } = step;
    const attempt = options.countAttempt ? await options.countAttempt(start.runId, key) : (next?.attempt ?? 1) + retryCount;
    attemptNumber = attempt;
    executing = { id, attempt };
    const task: TaskContext = { id, key, idempotencyKey: `${start.runId}:${key}`, attempt: { number: attempt } };
    let result: JsonValue | undefined;
    running++;
    try {
      result = toJson(await fn(toJson(taskPayload), task));
    } catch (error) {
      halt({ type: "task-failed", error });
      return NEVER;
    } finally {
      executing = undefined;
      running--;
      if (frontier.length > 0) scheduleFlush();
    }
    const entry: MemoEntry = result === undefined ? { key, id, ok: true } : { key, id, ok: true, result };
    const size = jsonSize({ ...start, memo: [...memo, entry] });
    if (size > maxStateBytes) {
      halt({ type: "task-failed", error: new TaskOutputTooLargeError(key, jsonSize(result ?? null), maxStateBytes, size) });
      return NEVER;
    }
    return finish(entry, index, step);
  }

  function decideRetry(step: NextTask, taskOptions: RunTaskOptions | undefined): Promise<any> {
    const failure = caught ?? { name: "Error", message: "unknown failure" };
    const { retrier } = compileRetry(taskOptions, job.client.options.defaults?.retry);
    const made = (next?.attempt ?? 1) + retryCount;
    // The task state's Retry as rendered (non-retriable errors first), with the retries made so far.
    const decision = nextRetry([NON_RETRIABLE_RETRIER, retrier], [0, made - 1], failure.name);
    if (decision.retry) {
      const waitSeconds = retryDelaySeconds(retrier, made, options.random);
      halt({ type: "wait", next: { key: step.key, task: step.task, index: step.index, attempt: made + 1, waitSeconds } });
      return NEVER;
    }
    return finish({ key: step.key, id: step.task, ok: false, error: failure }, step.index, step);
  }

  /**
   * Where replay stands at a durable call: a recorded step returns its result; the step `state.next` names
   * is executed (`task`/`retry` modes); any other new step joins the frontier and never resolves here.
   */
  function reach(
    kind: StepKind,
    id: string,
    onFrontier: (step: NextTask) => Promise<any> | undefined,
    onNext?: (step: NextTask) => Promise<any>,
  ): Promise<any> {
    const index = callIndex++;
    if (index >= MAX_TASKS_PER_RUN) return fail(new TooManyTasksError(MAX_TASKS_PER_RUN));
    const name = kind === "task" ? id : `${kind}:${id}`;
    const occurrence = occurrences.get(name) ?? 0;
    occurrences.set(name, occurrence + 1);
    const key = `${name}#${occurrence}`;
    const recorded = memo[index];
    if (recorded) {
      if (recorded.key !== key) return fail(new NonDeterminismError(recorded.key, key, callSite(new Error())));
      return returnRecorded(recorded, index);
    }
    const step: NextTask = { key, task: id, index, ...(kind === "task" ? {} : { kind }) };
    if (frontierOpen && next) {
      if (next.index === index && next.key === key && onNext) return onNext(step);
      // In one Parallel item, the other items' tasks are reached too: they run in their own items.
      if (inBranch && next.index !== index) return NEVER;
      return fail(new NonDeterminismError(next.key, key, callSite(new Error())));
    }
    const immediate = onFrontier(step);
    if (immediate) return immediate;
    return NEVER;
  }

  const io: IO = {
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    runTask(id: string, fn: Function, ...rest: unknown[]): Promise<any> {
      return reach(
        "task",
        id,
        (step) => {
          frontier.push(step);
          scheduleFlush();
          return undefined;
        },
        (step) =>
          mode === "retry"
            ? decideRetry(step, rest[1] as RunTaskOptions | undefined)
            : execute(step, fn, rest.length >= 1 ? rest[0] : lastResult),
      );
    },
    wait(key: string, duration: WaitDuration): Promise<void> {
      return reach("wait", key, (step) => {
        const nowMs = now().getTime();
        let wait: ReturnType<typeof readWait>;
        try {
          wait = readWait(key, duration, nowMs);
        } catch (error) {
          return fail(error);
        }
        const seconds = "seconds" in wait ? wait.seconds : Math.ceil((wait.wakeAtMs - nowMs) / 1000);
        // Nothing to wait for: recorded at once, no state transition spent.
        if (seconds <= 0) return finish({ key: step.key, id: key, kind: "wait", ok: true }, step.index, step);
        // `wakeAt` also for `{ seconds }`: the Sleep state counts from its own entry, but a restarted dev
        // runtime needs the absolute time to wait only what is left.
        const wakeAt = toWaitTimestamp("seconds" in wait ? nowMs + seconds * 1000 : wait.wakeAtMs);
        frontier.push("seconds" in wait ? { ...step, seconds, wakeAt } : { ...step, wakeAt });
        scheduleFlush();
        return undefined;
      });
    },
    sendEvent(key: string, event: SendEventInput): Promise<SentEvent> {
      return reach("event", key, (step) => {
        const invalid = (problem: string) => fail(new InvalidStepError("io.sendEvent", key, problem));
        if (!event || typeof event !== "object") return invalid("the event must be an object { name, payload }");
        if (typeof event.name !== "string" || event.name.trim() === "") return invalid("name must be a non-empty string");
        if (event.id !== undefined && (typeof event.id !== "string" || event.id === "")) return invalid("id must be a non-empty string");
        const outgoing: OutgoingEvent = {
          name: event.name,
          source: typeof event.source === "string" && event.source !== "" ? event.source : "stepjobs",
          detail: { id: event.id ?? `${start.runId}:${step.key}`, timestamp: now().toISOString(), payload: toJson(event.payload) ?? null },
        };
        const size = jsonSize(outgoing.detail);
        if (size > MAX_EVENT_BYTES) return invalid(`the event is ${size} bytes of JSON; EventBridge takes at most ${MAX_EVENT_BYTES}`);
        frontier.push({ ...step, event: outgoing });
        scheduleFlush();
        return undefined;
      });
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

  const base = { runId: start.runId, event: start.event, memo, ...(start.redrives ? { redrives: start.redrives } : {}) };
  switch (outcome.type) {
    case "task-failed":
      // Named as the user expects `retryOn` to see it (the class name when `name` was left "Error"), with the
      // stack and fields in the form Lambda's error envelope carries into the `Catch`.
      throw new ThrownTaskError(errorInfoOf(outcome.error));
    case "branched":
      return { status: "branched", next: outcome.next, entry: outcome.entry };
    case "frontier": {
      const supported = options.steps ?? ["wait", "sendEvent", "parallel"];
      const halt = haltAt(outcome.steps, supported.includes("parallel"));
      const missing = halt.next?.kind === "wait" ? "wait" : halt.next?.kind === "event" ? "sendEvent" : undefined;
      if (missing && !supported.includes(missing)) {
        const error = new InvalidStepError(
          `io.${missing}`,
          halt.next!.task,
          `the job's state machine has no ${missing === "wait" ? "Wait" : "SendEvent"} state because synth found no io.${missing} call in the job's file; call it there (not from a helper in another file)`,
        );
        return { ...base, status: "failed", error: errorInfoOf(error) };
      }
      return { ...base, ...halt };
    }
    case "wait":
      return { ...base, ...(inBranch ? { branch: true } : {}), status: "waiting", next: outcome.next };
    case "done": {
      if (frontierOpen && next) {
        const error = new NonDeterminismError(next.key, "(end of run)", undefined);
        return { ...base, status: "failed", error: errorInfoOf(error) };
      }
      const output = toJson(outcome.output);
      return { ...base, status: "succeeded", output: output === undefined ? null : output };
    }
    case "run-failed":
      return { ...base, status: "failed", error: errorInfoOf(outcome.error) };
  }
}
