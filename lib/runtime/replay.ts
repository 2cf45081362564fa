import type { Job } from "../sdk/client.ts";
import { NonDeterminismError, TaskFailedError, TooManyTasksError } from "../sdk/errors.ts";
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
import { callSite } from "./error-info.ts";
import { cloneJson, toJson } from "./json.ts";
import type { MemoEntry, NextTask, RunEvent } from "./run-state.ts";
import { newStep, type StepCall, stepName } from "./steps.ts";

/**
 * Replay: runs `job.run` against the memo. A finished step returns its recorded result at once (and logs
 * nothing); the step this invocation runs (the `target`, in `task` and `retry` modes) is handed to the mode; the
 * first steps not in the memo halt the run. The result is data, a {@link ReplayOutcome} tagged by `type`, which
 * next-state.ts turns into the next run state: replay itself decides nothing about modes.
 */

/**
 * Most tasks one run may call: 25,000 history events per execution at about 7 events per task, with
 * room left for retries (3 events each) and the Plan/Route overhead.
 */
export const MAX_TASKS_PER_RUN = 3000;

/** How replay stopped. */
export type ReplayOutcome =
  /** New steps reached together (all of a `Promise.all`'s tasks in one turn of the event loop), in call order. */
  | { readonly type: "steps-found"; readonly steps: readonly [NextTask, ...NextTask[]] }
  /** `run` returned. */
  | { readonly type: "run-resolved"; readonly output: unknown }
  /** `run` threw, or replay failed it (nondeterminism, a step called wrongly): the run fails, no task re-runs. */
  | { readonly type: "run-rejected"; readonly error: unknown }
  /** The target task's function threw: the invocation throws it, for the task state's native `Retry`. */
  | { readonly type: "task-failed"; readonly error: unknown }
  /** A dynamic task gets another attempt after `next.waitSeconds` (runner-driven retry). */
  | { readonly type: "retry-later"; readonly next: NextTask }
  /** One `Parallel` item's target finished (or failed for good): the item's result. */
  | { readonly type: "branched"; readonly next: NextTask; readonly entry: MemoEntry };

/** The job's call of the target step, as the mode sees it. */
export interface TargetCall {
  readonly step: NextTask;
  readonly options: RunTaskOptions | undefined;
  /** The memo so far (what the state carries if the step finishes now). */
  readonly memo: readonly MemoEntry[];
  /**
   * Runs the task function as attempt `number` (what `ctx.attempt.number` and its log lines say) and resolves to
   * its result as JSON; rejects with what the function threw.
   */
  attempt(number: number): Promise<JsonValue | undefined>;
}

/** What running the target did: a step the job goes on past (`recorded`), or where the invocation stops. */
export type TargetOutcome =
  { readonly type: "recorded"; readonly entry: MemoEntry } | { readonly type: "stop"; readonly outcome: ReplayOutcome };

/** The step an invocation runs and how (`task`: execute it; `retry`: decide another attempt). */
export interface ReplayTarget {
  readonly step: NextTask;
  run(call: TargetCall): Promise<TargetOutcome> | TargetOutcome;
}

/** What one replay needs. */
export interface ReplayInput {
  readonly runId: string;
  readonly event: RunEvent;
  /** The finished steps, in call order: the determinism check. */
  readonly memo: readonly MemoEntry[];
  readonly target?: ReplayTarget;
  /** Code before this many durable calls already ran, and logged, in an earlier invocation: its log lines are dropped. */
  readonly liveFrom: number;
  /** One `Parallel` item: the target's end is the item's result, and the other items' steps are not this item's. */
  readonly inBranch: boolean;
  readonly onLog?: (line: LogLine) => void;
  readonly now: () => Date;
}

/** Where replay stopped, and the memo it leaves (the finished target appended). */
export interface Replayed {
  readonly outcome: ReplayOutcome;
  readonly memo: readonly MemoEntry[];
}

/** Replays `job` (see the module comment). */
export function replay(job: Job<any>, input: ReplayInput): Promise<Replayed> {
  return new Replay(job, input).run();
}

/** A step the job waits on forever: the invocation has halted, so the job never gets past it. */
const NEVER = new Promise<never>(() => {});

class Replay {
  private readonly memo: MemoEntry[];
  private readonly occurrences = new Map<string, number>();
  private readonly frontier: NextTask[] = [];
  private readonly halted: Promise<ReplayOutcome>;
  private halt: (outcome: ReplayOutcome) => void = () => {};
  private callIndex = 0;
  /** Durable calls replay has passed: log lines are live once past `liveFrom`. */
  private passed = 0;
  private lastResult: JsonValue | undefined;
  /** The target is reached next (until it finishes): any other new step is not this invocation's. */
  private targetOpen: boolean;
  /** Task functions running: new steps are collected until none is. */
  private running = 0;
  private flushScheduled = false;
  private executing: { readonly id: string; readonly attempt: number } | undefined;
  private attemptNumber = 1;

  constructor(
    private readonly job: Job<any>,
    private readonly input: ReplayInput,
  ) {
    this.memo = [...input.memo];
    this.targetOpen = input.target !== undefined;
    this.halted = new Promise<ReplayOutcome>((resolve) => (this.halt = resolve));
  }

  async run(): Promise<Replayed> {
    const { job, input } = this;
    Promise.resolve()
      .then(() => job.run(toJson(input.event.payload), this.io(), this.context()))
      .then(
        (output) => this.halt({ type: "run-resolved", output }),
        (error) => this.halt({ type: "run-rejected", error }),
      );
    const outcome = await this.halted;
    // `run` returned without reaching the target: the code changed under the run.
    const target = this.input.target;
    if (outcome.type === "run-resolved" && this.targetOpen && target) {
      return {
        outcome: { type: "run-rejected", error: new NonDeterminismError(target.step.key, "(end of run)", undefined) },
        memo: this.memo,
      };
    }
    return { outcome, memo: this.memo };
  }

  /**
   * Where replay stands at a durable call: a recorded step returns its result; the target goes to the mode; any
   * other new step halts the run (or finishes at once, or fails it) and never resolves here.
   */
  private reach(call: StepCall): Promise<any> {
    const index = this.callIndex++;
    if (index >= MAX_TASKS_PER_RUN) return this.fail(new TooManyTasksError(MAX_TASKS_PER_RUN));
    const name = stepName(call);
    const occurrence = this.occurrences.get(name) ?? 0;
    this.occurrences.set(name, occurrence + 1);
    const key = `${name}#${occurrence}`;
    const recorded = this.memo[index];
    if (recorded) {
      if (recorded.key !== key) return this.fail(new NonDeterminismError(recorded.key, key, callSite(new Error())));
      return this.returnRecorded(recorded, index);
    }
    const step: NextTask = { key, task: call.id, index, ...(call.kind === "task" ? {} : { kind: call.kind }) };
    const target = this.input.target;
    if (this.targetOpen && target) {
      if (call.kind === "task" && target.step.index === index && target.step.key === key) return this.runTarget(target, call, step);
      // In one Parallel item, the other items' tasks are reached too: they run in their own items.
      if (this.input.inBranch && target.step.index !== index) return NEVER;
      return this.fail(new NonDeterminismError(target.step.key, key, callSite(new Error())));
    }
    const found = newStep(call, step, this.input.now, this.input.runId);
    if (found.type === "invalid") return this.fail(found.error);
    if (found.type === "done") return this.record(found.entry, step);
    this.frontier.push(found.step);
    this.scheduleFlush();
    return NEVER;
  }

  private async runTarget(target: ReplayTarget, call: Extract<StepCall, { kind: "task" }>, step: NextTask): Promise<any> {
    const outcome = await target.run({ step, options: call.options, memo: this.memo, attempt: (n) => this.attempt(call, step, n) });
    if (outcome.type === "stop") {
      this.halt(outcome.outcome);
      return NEVER;
    }
    return this.record(outcome.entry, step);
  }

  private async attempt(call: Extract<StepCall, { kind: "task" }>, step: NextTask, number: number): Promise<JsonValue | undefined> {
    this.attemptNumber = number;
    this.executing = { id: step.task, attempt: number };
    const task: TaskContext = { id: step.task, key: step.key, idempotencyKey: `${this.input.runId}:${step.key}`, attempt: { number } };
    // Called as a plain function, not as a method of `call`: the frame in the task's stack reads as the user wrote it.
    const fn = call.fn;
    this.running++;
    try {
      return toJson(await fn(toJson(call.payload), task));
    } finally {
      this.executing = undefined;
      this.running--;
      if (this.frontier.length > 0) this.scheduleFlush();
    }
  }

  /** Records a step that finished in this invocation and lets the job go on past it (one Parallel item ends there). */
  private record(entry: MemoEntry, step: NextTask): Promise<any> {
    if (this.input.inBranch) {
      this.halt({ type: "branched", next: step, entry });
      return NEVER;
    }
    this.memo.push(entry);
    this.targetOpen = false;
    return this.returnRecorded(entry, step.index);
  }

  private returnRecorded(entry: MemoEntry, index: number): Promise<any> {
    this.passed = index + 1;
    if (entry.ok) {
      if (!entry.kind) this.lastResult = entry.result;
      // A copy: the job may change what it gets, but not the memo the next state carries.
      return Promise.resolve(cloneJson(entry.result));
    }
    return Promise.reject(new TaskFailedError(entry.id, entry.key, entry.error));
  }

  private fail(error: unknown): Promise<never> {
    this.halt({ type: "run-rejected", error });
    return NEVER;
  }

  /**
   * New steps are collected until the job's promises settle (a `Promise.all` reaches all of its tasks in one turn
   * of the event loop), never while a task function is still running.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const [first, ...rest] = this.frontier;
      if (this.running === 0 && first) this.halt({ type: "steps-found", steps: [first, ...rest] });
    });
  }

  private io(): IO {
    const log = this.log.bind(this);
    return {
      logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
      runTask: (id: string, fn: Function, ...rest: unknown[]) =>
        this.reach({
          kind: "task",
          id,
          fn,
          payload: rest.length >= 1 ? rest[0] : this.lastResult,
          options: rest[1] as RunTaskOptions | undefined,
        }),
      wait: (id: string, duration: WaitDuration): Promise<void> => this.reach({ kind: "wait", id, duration }),
      sendEvent: (id: string, event: SendEventInput): Promise<SentEvent> => this.reach({ kind: "event", id, event }),
    } as IO;
  }

  private log(level: LogLevel) {
    return (message: string, data?: unknown): void => {
      const { onLog, liveFrom, now } = this.input;
      if (!onLog || (!this.executing && this.passed < liveFrom)) return;
      const executing = this.executing;
      onLog({
        level,
        message: String(message),
        ...(data === undefined ? {} : { data: toJson(data) }),
        ...(executing ? { taskId: executing.id, attempt: executing.attempt } : {}),
        at: now().toISOString(),
      });
    };
  }

  private context(): Context {
    const { job, input } = this;
    const attemptNumber = () => this.attemptNumber;
    return {
      job: { id: job.id, version: job.version },
      run: { id: input.runId },
      event: { id: input.event.id, name: input.event.name, timestamp: input.event.timestamp },
      attempt: {
        get number() {
          return attemptNumber();
        },
      },
    };
  }
}
