import "./polyfills.ts";
import { ExecutionError, type RunOptions, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { remainingRetriers } from "../compiler/asl-retry.ts";
import type { AslRetrier } from "../compiler/compile-retry.ts";
import type { CompiledJob } from "../compiler/compile-project.ts";
import type { AslDefinition } from "../compiler/render-state-machine.ts";
import { errorInfoOf } from "../runtime/error-info.ts";
import {
  type BranchOutcome,
  type ErrorInfo,
  normalizeCaughtError,
  type RunInput,
  type RunState,
  toRunState,
} from "../runtime/run-state.ts";
import type { Job } from "../sdk/client.ts";
import type { JsonValue } from "../sdk/types.ts";
import {
  allStates,
  localDefinition,
  putEventsStateNames,
  retriersOf,
  runnerStateNames,
  type StatesByName,
  zeroWaitOverrides,
} from "./asl-walk.ts";
import { AttemptCounter } from "./attempt-counter.ts";
import { type ExecutionLog, type ExecutionOutcome, joinLogs, readExecutionLog } from "./execution-log.ts";
import { type PublishEvent, putEventsHandler } from "./put-events-binding.ts";
import { type ResumePoint, type WaitMode, withDoneBranches } from "./resume.ts";
import type { RunObserver } from "./run-observer.ts";
import { RunnerBinding } from "./runner-binding.ts";
import { dynamoHandler, dynamoStates, type SlotTable } from "./dynamodb-binding.ts";
import { localExecutionArn } from "./slot-release.ts";

/**
 * The dev runtime's executor: runs a job's compiled ASL — the very JSON `cdk deploy` ships — with
 * aws-local-stepfunctions, its `lambda:invoke` Task states bound in-process to the runner (runner-binding.ts)
 * and its `PutEvents` states to the in-process bus (put-events-binding.ts).
 */

export type { WaitMode, ResumePoint, PublishEvent };

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
   * The highest attempt number already recorded per task key (a resumed or redriven run): this execution numbers
   * its attempts after them, in the record and in `ctx.attempt.number`, as the AWS runner's attempt counter does.
   */
  readonly attemptsBefore?: ReadonlyMap<string, number>;
  /** The table the DynamoDB states (`concurrencyLimit`) read and write: dev's dynalite. @default none (such a state fails) */
  readonly dynamo?: SlotTable;
}

/** Options of {@link JobMachine}. */
export interface JobMachineOptions {
  /** @default "real" */
  readonly waits?: WaitMode;
  /** Clock for attempt and log timestamps. @default () => new Date() */
  readonly now?: () => Date;
  /** Definitions validated before (`stepjobs dev` keeps them across starts); without it every machine is validated. */
  readonly validated?: { has(definition: unknown): boolean; add(definition: unknown): void };
}

/** How one execution on one machine ended: an outcome, or the hand-off of a resumed run to the unmodified machine. */
type Leg =
  | { readonly type: "ended"; readonly outcome: ExecutionOutcome }
  | { readonly type: "handoff"; readonly state: RunState; readonly log: ExecutionLog };

type Handlers = NonNullable<NonNullable<RunOptions["overrides"]>["taskResourceLocalHandlers"]>;

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
  private readonly states: StatesByName;
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
    return retriersOf(this.states, stateName);
  }

  /**
   * Runs one execution from `input` (an execution input, or a saved state to resume from) to its end. A resumed
   * run's first leg runs on a machine whose resumed state has reduced retriers; once that visit is over, the run
   * continues on the unmodified machine (later visits get the full policy), with every other option kept.
   */
  async execute(input: RunInput | RunState, options: ExecuteOptions = {}): Promise<ExecutionOutcome> {
    const attempts = new AttemptCounter(options.attemptsBefore);
    const logs: ExecutionLog[] = [];
    let leg = await this.runLeg(toRunState(input), options, attempts);
    while (leg.type === "handoff") {
      logs.push(leg.log);
      leg = await this.runLeg(leg.state, { ...options, resume: undefined, doneBranches: undefined }, attempts);
    }
    return logs.length === 0 ? leg.outcome : { ...leg.outcome, ...joinLogs([...logs, leg.outcome]) };
  }

  /** One execution of the library, from `start` to its end or to the resumed visit's hand-off. */
  private async runLeg(start: RunState, options: ExecuteOptions, attempts: AttemptCounter): Promise<Leg> {
    const observer = options.observer ?? {};
    const runId = start.runId;
    // The library reads `$$` from this object (shallow-copied, so `State` stays ours): the binding keeps it in step.
    const context = {
      State: { RetryCount: 0 },
      Execution: { Id: localExecutionArn(this.job.id, runId), RedriveCount: options.redriveCount ?? 0 },
    };
    const binding = new RunnerBinding({
      ...options,
      job: this.job,
      runId,
      states: this.states,
      observer,
      attempts,
      now: this.now,
      waits: this.waits,
      context,
      // The last state a restart could resume from: the input, or (re-entering a batch) the batch with the items that had finished.
      start: options.doneBranches?.length && start.status === "parallel" ? withDoneBranches(start, options.doneBranches) : start,
    });
    const execution = this.machineFor(options.resume).run(start as unknown as Parameters<StateMachine["run"]>[0], {
      context,
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: this.handlers(binding, options.publish, options.dynamo),
        ...(this.waits === "zero" ? zeroWaitOverrides(this.definition) : {}),
      },
    });
    binding.attach(execution.abort);
    const stopListening = listen(options, execution.abort, () => binding.suspendNow());
    const log = readExecutionLog(execution.eventLogs, (change) => observer.stateChanged?.(runId, change));
    try {
      const ended = await settle(execution.result, options, binding);
      if (ended.status === "HANDOFF") return { type: "handoff", state: ended.state, log: await log };
      return { type: "ended", outcome: { ...ended, final: binding.final, ...(await log) } };
    } finally {
      stopListening();
    }
  }

  /** The library's task handlers: every runner state to the binding, every `PutEvents` state to the bus. */
  private handlers(binding: RunnerBinding, publish: PublishEvent | undefined, dynamo: SlotTable | undefined): Handlers {
    const putEvents = putEventsHandler(publish);
    return Object.fromEntries([
      ...runnerStateNames(this.definition).map((name) => [name, binding.handler(name)]),
      ...putEventsStateNames(this.definition).map((name) => [name, putEvents]),
      ...dynamoStates(this.definition).map(([name, action]) => [name, dynamo ? dynamoHandler(dynamo, action) : noTable]),
    ]) as Handlers;
  }

  /**
   * The machine a resumed run uses: the same ASL with the resumed state's retriers reduced by what the
   * interrupted execution used. Built without re-validation (only numbers changed in a validated definition).
   */
  private machineFor(resume: ResumePoint | undefined): StateMachine {
    const state = resume && this.definition.States[resume.stateName];
    if (!resume || !state || resume.used.every((n) => n === 0)) return this.machine;
    const key = JSON.stringify([resume.stateName, resume.used]);
    let machine = this.variants.get(key);
    if (!machine) {
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
}

/** A DynamoDB state of an execution given no table (a caller that does not pass `dynamo`). */
async function noTable(): Promise<never> {
  throw Object.assign(new Error("no DynamoDB table is bound to this execution (concurrencyLimit needs dev's store)"), {
    name: "DynamoDB.ResourceNotFoundException",
  });
}

/** How the library's execution ended, before its log is joined; `HANDOFF`: stopped to continue from `state`. */
type Ended =
  | { readonly status: "SUCCEEDED"; readonly output: JsonValue }
  | { readonly status: "FAILED"; readonly error: ErrorInfo }
  | { readonly status: "ABORTED" | "SUSPENDED" }
  | { readonly status: "HANDOFF"; readonly state: RunState };

/** Reads the library's result: a cancel and a shutdown win over how the execution itself ended. */
async function settle(result: Promise<unknown>, options: ExecuteOptions, binding: RunnerBinding): Promise<Ended> {
  try {
    const output = (await result) as JsonValue | undefined;
    if (options.signal?.aborted) return { status: "ABORTED" };
    // Even when the last step ended the run: the library may have stopped before the end state, and the next
    // start finishes a run whose saved state says it ended (planResume's "finish").
    if (binding.suspended) return { status: "SUSPENDED" };
    if (binding.handoff) return { status: "HANDOFF", state: binding.handoff };
    return { status: "SUCCEEDED", output: output ?? null };
  } catch (error) {
    if (options.signal?.aborted) return { status: "ABORTED" };
    // A Fail state rejects with ExecutionError whose cause carries the ASL Error and Cause; a runner state's error
    // carries Lambda's envelope (runner-binding.ts); a Fail state's cause is a plain message.
    const cause = error instanceof ExecutionError ? (error as Error).cause : error;
    return {
      status: "FAILED",
      error: cause instanceof Error ? normalizeCaughtError({ Error: cause.name, Cause: cause.message }) : errorInfoOf(cause),
    };
  }
}

/** Aborts the execution on a cancel, and on a shutdown once no invocation is in flight; returns the unsubscribe. */
function listen(options: ExecuteOptions, abort: () => void, suspend: () => void): () => void {
  options.signal?.addEventListener("abort", abort, { once: true });
  options.suspend?.addEventListener("abort", suspend, { once: true });
  // A signal aborted before this line does not fire its listeners: an execution started during a shutdown stops now.
  if (options.suspend?.aborted) suspend();
  return () => {
    options.signal?.removeEventListener("abort", abort);
    options.suspend?.removeEventListener("abort", suspend);
  };
}
