import "./polyfills.ts";
import { ExecutionError, type RunOptions, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { AslRetrier } from "../compiler/compile-retry.ts";
import type { CompiledJob } from "../compiler/compile-project.ts";
import {
  type AslDefinition,
  type AslState,
  EVENT_BUS_VARIABLE,
  LAMBDA_INVOKE_RESOURCE,
  PARTITION_VARIABLE,
  PUT_EVENTS_RESOURCE,
  RUNNER_ARN_VARIABLE,
  substitute,
} from "../compiler/render-state-machine.ts";
import { errorInfoOf, lambdaErrorCause, ThrownTaskError } from "../runtime/error-info.ts";
import {
  type BranchOutcome,
  type ErrorInfo,
  isBranchItem,
  nextOf,
  normalizeCaughtError,
  type OutgoingEvent,
  type ParallelState,
  toRunState,
  type RunInput,
  type RunState,
} from "../runtime/run-state.ts";
import { handleRunnerEvent, isBranchOutcome, type RunnerEvent } from "../runtime/runner-event.ts";
import type { Job } from "../sdk/client.ts";
import type { JsonValue, LogLine } from "../sdk/types.ts";
import { decideRetry, remainingRetriers, type RetryDecision } from "../compiler/asl-retry.ts";
import { type AttemptStop, attemptStop } from "./attempt-stop.ts";

/**
 * The dev runtime's executor: runs a job's compiled ASL — the very JSON `cdk deploy` ships — with
 * aws-local-stepfunctions, its `lambda:invoke` Task states bound in-process to the runner core (`stepRun`).
 * The library has no `$$.State.RetryCount`, so the binding keeps it (see {@link RetryCounter}).
 */

/** Retry and Wait durations: as the ASL says (`real`, what `stepjobs dev` uses) or none (`zero`, tests). */
export type WaitMode = "real" | "zero";

/** One task attempt as it starts. */
export interface AttemptStart {
  readonly runId: string;
  readonly taskKey: string;
  readonly taskId: string;
  /** The ASL state executing it (a task state, or `DynamicTask`). */
  readonly stateName: string;
  /** 1 on the first attempt; what `ctx.attempt.number` is during it. */
  readonly number: number;
  readonly startedAt: string;
}

/** One task attempt as it ends; `retry` is what the state's `Retry` field does next (null: no retry, `stop` says why). */
export interface AttemptEnd extends AttemptStart {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly endedAt: string;
  readonly error: ErrorInfo | null;
  readonly retry: { readonly waitSeconds: number; readonly jitter: boolean } | null;
  /** Set on a failed attempt that its state does not retry. */
  readonly stop?: AttemptStop;
}

/**
 * Receives what happens inside an execution. Every callback is awaited before the state machine moves on,
 * so a store written here is never behind the execution (a restart resumes from the last written state).
 */
export interface RunObserver {
  attemptStarted?(attempt: AttemptStart): Promise<void> | void;
  attemptEnded?(attempt: AttemptEnd): Promise<void> | void;
  /** An `io.logger` line, attributed to its task and attempt when a task wrote it. */
  log?(runId: string, line: LogLine): Promise<void> | void;
  /** The state a runner invocation returned (written after every step: it is what a restart resumes from). */
  stepped?(runId: string, state: RunState, stateName: string): Promise<void> | void;
  /**
   * One item of a `Parallel` batch finished its task (before its attempt's end is reported): `state` is the
   * batch's state with every item finished so far in `branches`. The batch's result only reaches the run state
   * once every item is done, so this is what lets a restart (or a redrive after a cancel) keep the finished items.
   */
  branchFinished?(runId: string, outcome: BranchOutcome, state: RunState): Promise<void> | void;
  /**
   * A state was entered or exited, read from the engine's event log as it happens (states inside `Parallel`
   * included). Not awaited: the log is read beside the execution, which does not wait for it.
   */
  stateChanged?(runId: string, change: StateChange): void;
}

/** A state entered or exited, as the engine's event log reports it. */
export interface StateChange {
  readonly phase: "entered" | "exited";
  readonly stateName: string;
  /** ISO-8601, from the engine's clock. */
  readonly at: string;
  /** The state's input: for stepjobs' states, the run state. */
  readonly input: unknown;
}

/** A retry the library actually performed, read from its `eventLogs` (`StateFailed` then `StateRetried`). */
export interface ObservedRetry {
  readonly stateName: string;
  /** Milliseconds between the failure and the retry: the real wait. */
  readonly waitedMs: number;
}

/** How an execution ended. `final` is the last state the runner returned. */
export type ExecutionOutcome =
  | ({ readonly status: "SUCCEEDED"; readonly output: JsonValue; readonly final: RunState } & ExecutionLog)
  | ({ readonly status: "FAILED"; readonly error: ErrorInfo; readonly final: RunState } & ExecutionLog)
  | ({ readonly status: "ABORTED"; readonly final: RunState } & ExecutionLog)
  /** Stopped for a shutdown (`suspend`): the run is still RUNNING and resumes from `final` on the next start. */
  | ({ readonly status: "SUSPENDED"; readonly final: RunState } & ExecutionLog);

/** What the engine's `eventLogs` said about an execution. */
export interface ExecutionLog {
  readonly retries: readonly ObservedRetry[];
  /**
   * Every state entered, in order. With `retries`, this is what Standard workflows bill: one state transition
   * per state entered and per retry (https://aws.amazon.com/step-functions/pricing/).
   */
  readonly statesEntered: readonly string[];
}

/**
 * Where a resumed execution re-enters a task state that already had attempts: the retriers are reduced by
 * what those attempts used (see {@link remainingRetriers}) and attempt numbers continue after `priorAttempts`.
 */
export interface ResumePoint {
  readonly stateName: string;
  readonly priorAttempts: number;
  /** Retries used per retrier of that state, from {@link decideRetry}. */
  readonly used: readonly number[];
}

/** Options of {@link JobMachine.execute}. */
export interface ExecuteOptions {
  readonly observer?: RunObserver;
  readonly resume?: ResumePoint;
  /** Binds the `SendEvent` state. @default events are dropped with an error (no bus) */
  readonly publish?: PublishEvent;
  /** `$$.Execution.RedriveCount` of this execution (a local redrive). @default 0 */
  readonly redriveCount?: number;
  /** Stops the execution between states (`stepjobs cancel`, as StopExecution does); the outcome is ABORTED. */
  readonly signal?: AbortSignal;
  /**
   * A shutdown: the runner invocations in flight finish and are recorded, no further state starts, and the outcome
   * is SUSPENDED (the run stays RUNNING). A retry wait or a Wait state in progress stops at once.
   */
  readonly suspend?: AbortSignal;
  /**
   * Items of the input's `Parallel` batch that finished before a restart (the input's `batch` holds only the
   * others): they join the batch's result before `Plan` reads it, as if the Map state had run them.
   */
  readonly doneBranches?: readonly BranchOutcome[];
  /**
   * Attempts already made per task key before this execution (a redrive): the attempts it makes are numbered after
   * them, in the record and in `ctx.attempt.number`, as the AWS runner's attempt counter numbers them.
   */
  readonly attemptOffsets?: ReadonlyMap<string, number>;
}

/** Store writes of a finished step are retried this many times (about 40 s in all) before the run gives up. */
export const PERSIST_RETRIES = 10;
const PERSIST_BACKOFF_MS = 50;

/** Options of {@link JobMachine}. */
export interface JobMachineOptions {
  /** @default "real" */
  readonly waits?: WaitMode;
  /** Clock for attempt and log timestamps. @default () => new Date() */
  readonly now?: () => Date;
  /** Definitions validated before (`stepjobs dev` keeps them across starts); without it every machine is validated. */
  readonly validated?: { has(definition: unknown): boolean; add(definition: unknown): void };
}

/**
 * Where `io.sendEvent` events go in dev: the in-process bus (ingest, then the listening jobs' runs). Throws
 * when the event could not be accepted, which fails the `SendEvent` state as `EventBridge.FailedEntry` would.
 */
export type PublishEvent = (event: OutgoingEvent) => Promise<void>;

/**
 * Stands in for `$$.State.RetryCount`, per execution and per (state, step key): a `Parallel` item runs the
 * same state concurrently for different tasks, and each item has its own count in AWS. The count advances on
 * failure and is cleared when the state succeeds or its retriers give up (the `Catch` leads elsewhere, so a
 * later visit is a new one). A resumed run starts its first visit of the resumed state at the attempts already made.
 */
export class RetryCounter {
  private readonly visits = new Map<string, { count: number; errors: string[] }>();
  private offset: { state: string; count: number } | undefined;

  constructor(resume?: ResumePoint) {
    if (resume) this.offset = { state: resume.stateName, count: resume.priorAttempts };
  }

  private static id(state: string, key: string): string {
    return `${state}\u0000${key}`;
  }

  /** `$$.State.RetryCount` for an invocation of `state` for step `key` about to start (attempt number = this + 1). */
  retryCountFor(state: string, key = ""): number {
    const visit = this.visits.get(RetryCounter.id(state, key));
    if (visit) return visit.count;
    if (this.offset?.state === state) return this.offset.count;
    return 0;
  }

  /** Error names of the failures of this visit so far (what the `Retry` field has seen). */
  errorsOf(state: string, key = ""): string[] {
    return this.visits.get(RetryCounter.id(state, key))?.errors ?? [];
  }

  failed(state: string, errorName: string, key = ""): void {
    const errors = [...this.errorsOf(state, key), errorName];
    this.visits.set(RetryCounter.id(state, key), { count: this.retryCountFor(state, key) + 1, errors });
  }

  /** The visit is over: the state succeeded, or its retriers gave up and its `Catch` (or the run's end) follows. */
  ended(state: string, key = ""): void {
    if (this.offset?.state === state) this.offset = undefined;
    this.visits.delete(RetryCounter.id(state, key));
  }
}

/** Every state of a definition, those inside `Map` item processors included (names are unique machine-wide). */
export function allStates(definition: { readonly States: Record<string, AslState> }): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
    return [[name, state] as [string, AslState], ...(processor ? allStates(processor) : [])];
  });
}

/**
 * The error the library sees for a failed runner invocation: the same name, and as message the `Cause` real Step
 * Functions records for a Lambda error (Lambda's JSON envelope), which the library passes to `Catch` as `Cause`.
 * So a `Catch` reads the task's stack and fields the same way locally and in AWS.
 */
function asLambdaError(error: unknown): Error {
  const thrown = error instanceof Error ? error : new ThrownTaskError(errorInfoOf(error));
  return Object.assign(new Error(lambdaErrorCause(thrown)), { name: thrown.name });
}

/** What the dev runtime binds the substitution variables to (the partition is the commercial one, `aws`). */
const LOCAL_SUBSTITUTIONS = { [RUNNER_ARN_VARIABLE]: "local", [EVENT_BUS_VARIABLE]: "local", [PARTITION_VARIABLE]: "aws" };

/** A resource ARN as it reads in the local copy of a definition. */
function localResource(resource: string): string {
  return resource.replace(`\${${PARTITION_VARIABLE}}`, LOCAL_SUBSTITUTIONS[PARTITION_VARIABLE]);
}

/** The ASL Task states bound to the runner: every `lambda:invoke` state (Plan, DynamicTask, DynamicRetry, tasks, their `Parallel` copies). */
export function runnerStateNames(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, s]) => s.Type === "Task" && s.Resource === localResource(LAMBDA_INVOKE_RESOURCE))
    .map(([name]) => name);
}

/** The `PutEvents` states (`io.sendEvent`), bound to the dev runtime's in-process bus. */
export function putEventsStateNames(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, s]) => s.Type === "Task" && s.Resource === localResource(PUT_EVENTS_RESOURCE))
    .map(([name]) => name);
}

/** Overrides that make every retry and Wait state take no time (tests), keyed by state name as the library wants. */
export function zeroWaitOverrides(definition: AslDefinition): {
  retryIntervalOverrides: Record<string, number>;
  waitTimeOverrides: Record<string, number>;
} {
  const entries = allStates(definition);
  return {
    retryIntervalOverrides: Object.fromEntries(entries.filter(([, s]) => Array.isArray(s.Retry)).map(([n]) => [n, 0])),
    waitTimeOverrides: Object.fromEntries(entries.filter(([, s]) => s.Type === "Wait").map(([n]) => [n, 0])),
  };
}

/**
 * aws-local-stepfunctions times a Task state out after 60 s when it has no `TimeoutSeconds`; AWS's default is
 * 99999999 s, and what bounds a task in the cloud is its Lambda's timeout (at most 900 s). The local copy
 * gets that bound, so a slow task is not failed (and retried while still running) only in dev.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
export const LOCAL_TASK_TIMEOUT_SECONDS = 900;

/** The definition as the dev executor runs it: ARNs and the bus substituted, Task timeouts as in the cloud. */
export function localDefinition(definition: AslDefinition): AslDefinition {
  const substituted = substitute(definition, LOCAL_SUBSTITUTIONS);
  return { ...substituted, States: withLocalTimeouts(substituted.States) };
}

function withLocalTimeouts(states: Record<string, AslState>): Record<string, AslState> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      const processor = state.ItemProcessor as { States: Record<string, AslState> } | undefined;
      if (processor) return [name, { ...state, ItemProcessor: { ...processor, States: withLocalTimeouts(processor.States) } }];
      return state.Type === "Task" && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined
        ? [name, { ...state, TimeoutSeconds: LOCAL_TASK_TIMEOUT_SECONDS }]
        : [name, state];
    }),
  );
}

/**
 * One job version, ready to execute: the compiled ASL with the runner ARN substituted, validated once by
 * the library (~180 ms per job; skipped for a definition `validated` already holds), reused by every run of it.
 */
export class JobMachine {
  readonly job: Job<any>;
  readonly compiled: CompiledJob;
  readonly definition: AslDefinition;
  private readonly machine: StateMachine;
  private readonly variants = new Map<string, StateMachine>();
  /** Every state by name, those inside `Parallel` included. */
  private readonly states: ReadonlyMap<string, AslState>;
  private readonly waits: WaitMode;
  private readonly now: () => Date;

  constructor(job: Job<any>, compiled: CompiledJob, options: JobMachineOptions = {}) {
    this.job = job;
    this.compiled = compiled;
    this.definition = localDefinition(compiled.definition);
    this.states = new Map(allStates(this.definition));
    if (options.validated?.has(this.definition)) {
      this.machine = new StateMachine(this.definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
    } else {
      // asl-validator writes its defaults (QueryLanguage) into the object it checks: it gets a copy, so what is
      // recorded is the definition as compiled, the one the next start looks up.
      this.machine = new StateMachine(structuredClone(this.definition) as unknown as StateMachineDefinition);
      options.validated?.add(this.definition);
    }
    this.waits = options.waits ?? "real";
    this.now = options.now ?? (() => new Date());
  }

  /** The `Retry` field of a state (empty when it has none). */
  retriersOf(stateName: string): AslRetrier[] {
    const state = this.states.get(stateName);
    return Array.isArray(state?.Retry) ? (state.Retry as AslRetrier[]) : [];
  }

  /**
   * The machine a resumed run uses: the same ASL with the resumed state's retriers reduced by what the
   * interrupted execution used. Built without re-validation (only numbers changed in a validated definition).
   */
  private machineFor(resume: ResumePoint | undefined): StateMachine {
    if (!resume || resume.used.every((n) => n === 0)) return this.machine;
    const key = JSON.stringify([resume.stateName, resume.used]);
    let machine = this.variants.get(key);
    if (!machine) {
      const state = this.definition.States[resume.stateName];
      const variant: AslDefinition = {
        ...this.definition,
        States: {
          ...this.definition.States,
          [resume.stateName]: { ...state, Retry: remainingRetriers(this.retriersOf(resume.stateName), resume.used) },
        },
      };
      machine = new StateMachine(variant as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
      this.variants.set(key, machine);
    }
    return machine;
  }

  /** Runs one execution from `input` (an execution input, or a saved state to resume from) to its end. */
  async execute(input: RunInput | RunState, options: ExecuteOptions = {}): Promise<ExecutionOutcome> {
    const observer = options.observer ?? {};
    const counter = new RetryCounter(options.resume);
    // The library reads `$$` from this object (shallow-copied, so `State` stays ours): keep it in step.
    const context = { State: { RetryCount: 0 }, Execution: { RedriveCount: options.redriveCount ?? 0 } };
    // The last state a restart could resume from: the input, or (re-entering a batch) the batch with the items
    // that had finished.
    const start = toRunState(input);
    let final: RunState =
      options.doneBranches?.length && start.status === "parallel" ? withDoneBranches(start, options.doneBranches) : start;
    const runId = input.runId;

    // A resumed execution runs on a machine whose resumed state has reduced retriers; once that visit is
    // over, the run hands off to a fresh execution of the unmodified machine (later visits get the full policy).
    let resumedVisited = false;
    let doneBranches = options.doneBranches?.length ? options.doneBranches : undefined;
    let handoff: RunState | undefined;
    let abort = () => {};
    // Runner invocations in progress: a suspend stops the execution once none is (and at once if none is).
    let inFlight = 0;
    const suspended = () => options.suspend?.aborted === true;

    const bind =
      (stateName: string) =>
      async (parameters: unknown): Promise<unknown> => {
        const payload = (parameters as { Payload: RunnerEvent }).Payload;
        // Shutting down: this state does not start (the library stops right after it; the saved state is unchanged).
        if (suspended()) {
          abort();
          return { Payload: payload.state };
        }
        inFlight++;
        try {
          return await invoke(stateName, payload);
        } finally {
          if (--inFlight === 0 && suspended()) abort();
        }
      };

    const invoke = async (stateName: string, payload: RunnerEvent): Promise<unknown> => {
      if (options.resume) {
        if (stateName === options.resume.stateName) resumedVisited = true;
        else if (resumedVisited) {
          // Aborted first, so the library stops right after this state (it checks the signal between states).
          handoff = payload.state as RunState;
          abort();
          return { Payload: payload.state };
        }
      }
      let state = payload.state as RunState;
      if (doneBranches && payload.mode === "plan" && state.status === "parallel") {
        // Re-entering the batch: the saved state already says what Plan would (the remaining items), so it goes
        // straight to the Map. After the Map, the finished items join its result before Plan records them.
        if (!Array.isArray(state.branches)) return { Payload: state };
        state = withDoneBranches(state, doneBranches);
        payload = { ...payload, state };
        doneBranches = undefined;
      }
      const next = nextOf(state);
      const key = next?.key ?? "";
      const retryCount = counter.retryCountFor(stateName, key);
      // One Parallel item: its result is the item's, not the run's state.
      const inBranch = isBranchItem(state);
      const attempt: AttemptStart | undefined =
        payload.mode === "task" && next
          ? {
              runId,
              taskKey: next.key,
              taskId: next.task,
              stateName,
              number: (next.attempt ?? 1) + retryCount + (options.attemptOffsets?.get(next.key) ?? 0),
              startedAt: this.now().toISOString(),
            }
          : undefined;
      if (attempt) await observer.attemptStarted?.(attempt);
      // Log lines are written in order, and all of them before the step is reported done.
      let logs: Promise<void> = Promise.resolve();
      const onLog = (line: LogLine) => {
        logs = logs.then(() => observer.log?.(runId, line));
      };
      try {
        const result = await handleRunnerEvent(
          this.job,
          { ...payload, retryCount },
          { onLog, now: this.now, ...(attempt ? { countAttempt: async () => attempt.number } : {}) },
        );
        await logs;
        counter.ended(stateName, key);
        context.State.RetryCount = 0;
        const endedAt = this.now().toISOString();
        // The state first: once it holds the task's result the task is complete, whatever happens next. A crash
        // before the attempt's end is written leaves it RUNNING, and resume reconciles it from the state.
        // After a cancel the result is not recorded (StopExecution discards it too): a redrive runs the step again.
        if (options.signal?.aborted) {
          // the run already ended ABORTED with the state it had
        } else if (!inBranch && !isBranchOutcome(result)) {
          final = result;
          await this.persisting(() => observer.stepped?.(runId, result, stateName));
        } else if (isBranchOutcome(result) && final.status === "parallel") {
          const batchState = (final = withDoneBranches(final, [result]));
          // Only with an observer: an extra await would reorder the attempt ends a test observer collects.
          if (observer.branchFinished) await this.persisting(() => observer.branchFinished?.(runId, result, batchState));
        }
        if (attempt)
          await this.persisting(() => observer.attemptEnded?.({ ...attempt, status: "SUCCEEDED", endedAt, error: null, retry: null }));
        return { Payload: result };
      } catch (error) {
        await logs;
        const info = errorInfoOf(error);
        counter.failed(stateName, info.name, key);
        context.State.RetryCount = counter.retryCountFor(stateName, key);
        const decision: RetryDecision = decideRetry(this.currentRetriers(stateName, options.resume), counter.errorsOf(stateName, key));
        if (!decision.retry) counter.ended(stateName, key);
        if (attempt) {
          await observer.attemptEnded?.({
            ...attempt,
            status: "FAILED",
            endedAt: this.now().toISOString(),
            error: info,
            retry: decision.retry ? { waitSeconds: this.waits === "zero" ? 0 : decision.waitSeconds, jitter: decision.jitter } : null,
            // The compiled retriers, not a resumed visit's reduced ones: a used-up policy must not read as "no retries".
            ...(decision.retry ? {} : { stop: attemptStop(this.retriersOf(stateName), decision, this.retriedByRunner(stateName)) }),
          });
        }
        throw asLambdaError(error);
      }
    };

    type Handlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;
    // PutEvents in the shape EventBridge answers; a refused event fails the state like a failed entry would.
    const publish = async (parameters: unknown): Promise<unknown> => {
      const [entry] = (parameters as { Entries: { Source: string; DetailType: string; Detail: OutgoingEvent["detail"] }[] }).Entries;
      if (!options.publish) throw Object.assign(new Error("no event bus is bound to this execution"), { name: "EventBridge.FailedEntry" });
      try {
        await options.publish({ name: entry.DetailType, source: entry.Source, detail: entry.Detail });
      } catch (error) {
        throw Object.assign(new Error(errorInfoOf(error).message), { name: "EventBridge.FailedEntry" });
      }
      return { Entries: [{ EventId: entry.Detail.id }], FailedEntryCount: 0 };
    };
    const handlers = Object.fromEntries([
      ...runnerStateNames(this.definition).map((name) => [name, bind(name)]),
      ...putEventsStateNames(this.definition).map((name) => [name, publish]),
    ]) as Handlers;
    const execution = this.machineFor(options.resume).run(input as unknown as Parameters<StateMachine["run"]>[0], {
      context,
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(this.waits === "zero" ? zeroWaitOverrides(this.definition) : {}),
      },
    });
    abort = execution.abort;
    const onAbort = () => execution.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const onSuspend = () => {
      if (inFlight === 0) execution.abort();
    };
    options.suspend?.addEventListener("abort", onSuspend, { once: true });
    // A signal aborted before this line does not fire its listeners: an execution started during a shutdown stops now.
    if (suspended()) onSuspend();
    const log = readExecutionLog(execution.eventLogs, (change) => observer.stateChanged?.(runId, change));
    try {
      const output = (await execution.result) as JsonValue;
      if (options.signal?.aborted) return { status: "ABORTED", final, ...(await log) };
      // Even when the last step ended the run: the library may have stopped before the end state, and the next
      // start finishes a run whose saved state says it ended (planResume's "finish").
      if (suspended()) return { status: "SUSPENDED", final, ...(await log) };
      if (handoff) {
        // Everything but the resume point, which was this execution's: the bus, the cancel signal, the counters.
        const rest = await this.execute(handoff, { ...options, resume: undefined, doneBranches: undefined });
        const first = await log;
        return { ...rest, retries: [...first.retries, ...rest.retries], statesEntered: [...first.statesEntered, ...rest.statesEntered] };
      }
      return { status: "SUCCEEDED", output: output ?? null, final, ...(await log) };
    } catch (error) {
      // A Fail state rejects with ExecutionError whose cause carries the ASL Error and Cause.
      if (options.signal?.aborted) return { status: "ABORTED", final, ...(await log) };
      const cause = error instanceof ExecutionError ? (error as Error).cause : error;
      // A runner state's error carries Lambda's envelope (asLambdaError); a Fail state's cause is a plain message.
      const failure = cause instanceof Error ? normalizeCaughtError({ Error: cause.name, Cause: cause.message }) : errorInfoOf(cause);
      return { status: "FAILED", error: failure, final, ...(await log) };
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      options.suspend?.removeEventListener("abort", onSuspend);
    }
  }

  /**
   * Runs a store write of a step that already happened, retrying with backoff while the store fails: a task that
   * succeeded must not fail its state (its `Retry` would run it again) because its result could not be written yet.
   * After the last try the error propagates and the run stays where its last saved state says (resumed on restart).
   */
  private async persisting(write: () => Promise<void> | void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= PERSIST_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(PERSIST_BACKOFF_MS * 2 ** attempt, 5000)));
      }
    }
  }

  /** True for a state whose `Catch` leads to the runner's `retry` mode (`DynamicTask`): its retries are the runner's. */
  private retriedByRunner(stateName: string): boolean {
    const catchers = (this.states.get(stateName)?.Catch ?? []) as { Next?: string }[];
    return catchers.some((c) => {
      const parameters = c.Next ? (this.states.get(c.Next)?.Parameters as { Payload?: { mode?: unknown } } | undefined) : undefined;
      return parameters?.Payload?.mode === "retry";
    });
  }

  /** The retriers the library applies to `stateName` in this execution (reduced on the resumed visit). */
  private currentRetriers(stateName: string, resume: ResumePoint | undefined): AslRetrier[] {
    const retriers = this.retriersOf(stateName);
    return resume && resume.stateName === stateName ? remainingRetriers(retriers, resume.used) : retriers;
  }
}

/**
 * A batch's state with `done` items added to its `branches` (and to its `batch`, where missing), in call order;
 * an item already there is replaced. Used for the items finished before a restart and for each item finishing.
 */
export function withDoneBranches(state: ParallelState, done: readonly BranchOutcome[]): ParallelState {
  const keys = new Set(done.map((b) => b.next.key));
  const branches = [...(state.branches ?? []).filter((b) => !keys.has(b.next.key)), ...done].sort((a, b) => a.next.index - b.next.index);
  const batch = [...(state.batch ?? []).filter((t) => !keys.has(t.key)), ...done.map((b) => b.next)].sort((a, b) => a.index - b.index);
  return { ...state, batch, branches };
}

/**
 * Reads the library's event log to the end, pairing each `StateFailed` with the `StateRetried` after its wait and
 * passing each state's entry and exit to `onState` as it is read.
 */
async function readExecutionLog(
  events: AsyncGenerator<{ type: string; timestamp: number; state?: { name: string; input?: unknown } }>,
  onState: (change: StateChange) => void,
): Promise<ExecutionLog> {
  const retries: ObservedRetry[] = [];
  const statesEntered: string[] = [];
  const failedAt = new Map<string, number>();
  for await (const event of events) {
    if (event.type === "StateEntered" && event.state) statesEntered.push(event.state.name);
    if ((event.type === "StateEntered" || event.type === "StateExited") && event.state) {
      const phase = event.type === "StateEntered" ? "entered" : "exited";
      onState({ phase, stateName: event.state.name, at: new Date(event.timestamp).toISOString(), input: event.state.input });
    }
    if (event.type === "StateFailed" && event.state) failedAt.set(event.state.name, event.timestamp);
    if (event.type === "StateRetried" && event.state) {
      retries.push({ stateName: event.state.name, waitedMs: event.timestamp - (failedAt.get(event.state.name) ?? event.timestamp) });
    }
  }
  return { retries, statesEntered };
}
