import { setMaxListeners } from "node:events";
import type { Starter } from "../ingest/types.ts";
import { type RunInput, type RunState, toRunState } from "../runtime/run-state.ts";
import { redriveState } from "../runtime/redrive.ts";
import { StepJobsError } from "../sdk/errors.ts";
import type { AttemptRecord, RunRecord } from "../store/types.ts";
import type { ChangeFeed } from "./change-feed.ts";
import type { ExecutionOutcome } from "./execution-log.ts";
import type { ExecuteOptions } from "./job-machine.ts";
import type { PublishEvent } from "./put-events-binding.ts";
import type { RunObserver } from "./run-observer.ts";
import type { JobRegistry, LoadedJob } from "./job-registry.ts";
import { pendingStepKey, stepKeyOf } from "../history/step-states.ts";
import { countedAttempts, INTERRUPTED_ERROR, planResume, splitDoneBranches, type WaitMode } from "./resume.ts";
import type { LocalStores } from "./stores.ts";
import type { TerminalFormat } from "./terminal.ts";
import { releaseSlot } from "./slot-release.ts";
import type { SlotTable } from "./dynamodb-binding.ts";

/**
 * The dev runtime's `Starter` (what ingest calls, where the cloud calls StartExecution): records the run and
 * executes it on its job's {@link JobMachine} in the background, writing every attempt, log line and state to
 * the run store as it happens, and printing the terminal lines. On start it resumes runs left RUNNING.
 */

/** Options of {@link LocalRuntime}. */
export interface LocalRuntimeOptions {
  readonly stores: LocalStores;
  readonly registry: JobRegistry;
  readonly changes: ChangeFeed;
  /** Terminal output; silent when absent. */
  readonly print?: (line: string) => void;
  readonly format?: TerminalFormat;
  /** @default "real" */
  readonly waits?: WaitMode;
  readonly now?: () => Date;
  /** Reports a failure of the runtime itself (not of a job). */
  readonly onError?: (error: unknown) => void;
  /** The in-process bus `io.sendEvent` publishes to (ingest). */
  readonly publish?: PublishEvent;
  /** The table `concurrencyLimit`'s states use (dev's dynalite). @default none: a limited job's runs fail at AcquireSlot */
  readonly dynamo?: SlotTable;
}

/** Why a run cannot be redriven or cancelled (`code` as the API reports it; AWS: ExecutionNotRedrivable). */
export class RunActionError extends StepJobsError {
  constructor(code: "NOT_FOUND" | "NOT_REDRIVABLE" | "NOT_CANCELLABLE", message: string) {
    super(code, message);
    this.name = "RunActionError";
  }
}

/** Runs jobs in this process. */
export class LocalRuntime implements Starter {
  private readonly options: LocalRuntimeOptions;
  private readonly active = new Map<string, Promise<void>>();
  /** Aborts the execution of each run executing now (`cancel`). */
  private readonly controllers = new Map<string, AbortController>();
  /** Aborted by {@link suspend}: every execution stops after its invocations in flight. */
  private readonly suspension = new AbortController();
  /** Per-run chains of writes that must not interleave (a parallel batch's finished items). */
  private readonly writeChains = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(options: LocalRuntimeOptions) {
    this.options = options;
    // Every executing run listens to it (Node warns past 10 listeners on one signal, as if they leaked).
    setMaxListeners(0, this.suspension.signal);
    this.now = options.now ?? (() => new Date());
  }

  /** Starts a run unless it exists (in this process or in the store): exactly one run per id. */
  async startRun(jobId: string, runId: string, input: RunInput): Promise<"started" | "exists"> {
    if (this.active.has(runId)) return "exists";
    const loaded = this.options.registry.get(jobId);
    if (!loaded) throw new Error(`job "${jobId}" is not registered`);
    // Reserve the id before the first await, so concurrent starts of one run (duplicate events) see it.
    let release!: () => void;
    this.active.set(runId, new Promise<void>((resolve) => (release = resolve)));
    try {
      const record: RunRecord = {
        id: runId,
        jobId,
        jobVersion: loaded.compiled.plan.version,
        eventId: input.event.id,
        status: "RUNNING",
        startedAt: this.now().toISOString(),
        state: toRunState(input),
      };
      const { created } = await this.options.stores.runs.putRun(record);
      if (!created) {
        this.active.delete(runId);
        return "exists";
      }
      this.launch(loaded, record, toRunState(input), {});
      return "started";
    } finally {
      release();
    }
  }

  /** Resumes every run the store has as RUNNING (after a restart); returns how many. */
  async resumeUnfinished(): Promise<number> {
    const runs = await this.options.stores.runs.listUnfinishedRuns();
    let resumed = 0;
    for (const run of runs) {
      if (this.active.has(run.id)) continue;
      const loaded = this.options.registry.get(run.jobId);
      if (!loaded) {
        this.options.print?.(`run ${run.id}: job "${run.jobId}" is no longer defined; the run stays RUNNING until it is`);
        continue;
      }
      await this.resume(loaded, run);
      resumed++;
    }
    return resumed;
  }

  private async resume(loaded: LoadedJob, run: RunRecord): Promise<void> {
    const { runs } = this.options.stores;
    let attempts = await runs.listAttempts(run.id);
    const endedAt = this.now().toISOString();
    // An attempt left RUNNING either finished (its result is in the saved state: the process died before writing
    // the attempt's end) or was interrupted (it will run again: tasks are at-least-once).
    const finished = new Set([
      ...(run.state?.memo ?? []).filter((entry) => entry.ok).map((entry) => entry.key),
      ...(run.state?.status === "parallel" ? (run.state.branches ?? []) : []).filter((b) => b.status === "branched").map((b) => b.next.key),
    ]);
    const cut: AttemptRecord[] = [];
    for (const a of attempts.filter((a) => a.status === "RUNNING")) {
      const update = finished.has(a.taskKey)
        ? { status: "SUCCEEDED" as const, endedAt, error: null }
        : { status: "FAILED" as const, endedAt, error: { ...INTERRUPTED_ERROR } };
      await runs.updateAttempt(run.id, a.taskKey, a.number, update);
      if (update.status === "FAILED") cut.push(a);
    }
    attempts = await runs.listAttempts(run.id);
    const { print, format } = this.options;
    for (const a of cut) {
      const counts = countedAttempts(attempts.filter((other) => other.taskKey === a.taskKey)).some((c) => c.number === a.number);
      if (print && format) print(format.interrupted(loaded.id, run.id, a.taskId, a.number, counts));
    }
    const plan = planResume(
      run,
      attempts,
      { plan: loaded.compiled.plan, retriersOf: (s) => loaded.machine.retriersOf(s) },
      {
        now: this.now(),
        waits: this.options.waits ?? "real",
      },
    );
    if (plan.kind === "abandon") {
      await this.finish(loaded.id, run.id, Date.parse(run.startedAt), {
        status: "FAILED",
        error: { name: "ResumeError", message: "no saved state to resume from" },
      });
      return;
    }
    if (plan.kind === "finish") {
      const s = plan.state;
      await this.finish(
        loaded.id,
        run.id,
        Date.parse(run.startedAt),
        s.status === "succeeded" ? { status: "SUCCEEDED", output: s.output, state: s } : { status: "FAILED", error: s.error, state: s },
      );
      return;
    }
    // Attempts go on counting after the recorded ones (the interrupted ones stay in the record).
    this.active.set(run.id, Promise.resolve());
    this.launch(loaded, run, plan.input, {
      resume: plan.resume,
      waitMs: plan.waitMs,
      resumed: true,
      doneBranches: plan.doneBranches,
      attemptsBefore: highestAttempts(attempts),
    });
  }

  /** Resolves when no run is executing (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  /**
   * Shutdown: runner invocations in flight finish and are recorded, no run starts another step, and every run stays
   * RUNNING, to resume on the next start. Resolves once every run has stopped, or after `timeoutMs` (a task still
   * running then is recorded Interrupted on the next start). Returns how many runs were still executing.
   */
  async suspend(timeoutMs: number): Promise<number> {
    this.suspension.abort();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.idle(), timeout]);
    clearTimeout(timer);
    return this.active.size;
  }

  /** Run ids executing now. */
  get activeRuns(): string[] {
    return [...this.active.keys()];
  }

  /**
   * `stepjobs redrive`: continues a FAILED or ABORTED run the way RedriveExecution does: finished tasks are not
   * run again, the failed task runs again with its full retry policy (attempt numbers go on in the store), the
   * same run id. Throws {@link RunActionError} when the run cannot be redriven.
   */
  async redrive(runId: string): Promise<RunRecord> {
    const run = await this.options.stores.runs.getRun(runId);
    if (!run) throw new RunActionError("NOT_FOUND", `no run with id "${runId}"`);
    if (this.active.has(runId) || run.status === "RUNNING") {
      throw new RunActionError("NOT_REDRIVABLE", `run ${runId} is RUNNING and cannot be redriven; cancel it first`);
    }
    if (run.status === "SUCCEEDED") throw new RunActionError("NOT_REDRIVABLE", `run ${runId} SUCCEEDED and cannot be redriven`);
    const loaded = this.options.registry.get(run.jobId);
    if (!loaded) throw new RunActionError("NOT_REDRIVABLE", `run ${runId}: job "${run.jobId}" is no longer defined`);
    if (!run.state) throw new RunActionError("NOT_REDRIVABLE", `run ${runId} has no saved state to continue from`);
    const redriveCount = (run.state.redrives ?? 0) + 1;
    // A failed run continues from its failed task; an aborted one from where it stopped (in a batch, with the
    // items that had finished kept).
    const saved = run.state.status === "failed" ? redriveState(run.state, redriveCount) : { ...run.state, redrives: redriveCount };
    const split = splitDoneBranches(saved);
    // Attempts go on counting after the ones already made.
    const attemptsBefore = highestAttempts(await this.options.stores.runs.listAttempts(runId));
    const input = split.input;
    // The saved state keeps a batch's finished items: a stop before the Map ends must not lose them.
    const updated = await this.options.stores.runs.updateRun(runId, {
      status: "RUNNING",
      state: saved,
      clear: ["completedAt", "error", "output"],
    });
    this.options.print?.(`run ${runId} redriven (redrive ${redriveCount})`);
    // An aborted wait goes on for what is left of it (a Wait state redriven waits again).
    const wakeAt = input.status === "sleeping" && input.next?.wakeAt ? Date.parse(input.next.wakeAt) : undefined;
    const waitMs = wakeAt === undefined || this.options.waits === "zero" ? 0 : Math.max(0, wakeAt - this.now().getTime());
    this.active.set(runId, Promise.resolve());
    this.launch(loaded, updated, input, { redriveCount, waitMs, doneBranches: split.doneBranches, attemptsBefore });
    return updated;
  }

  /**
   * `stepjobs cancel`: stops a RUNNING run between states, as StopExecution does; it ends ABORTED (and can be
   * redriven). A task function already running finishes, but its result is not recorded.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const run = await this.options.stores.runs.getRun(runId);
    if (!run) throw new RunActionError("NOT_FOUND", `no run with id "${runId}"`);
    const controller = this.controllers.get(runId);
    if (controller) {
      controller.abort();
      await this.active.get(runId);
      return (await this.options.stores.runs.getRun(runId))!;
    }
    if (run.status !== "RUNNING") throw new RunActionError("NOT_CANCELLABLE", `run ${runId} is ${run.status} and cannot be cancelled`);
    // RUNNING in the store but not executing here (its job is not loaded): stop it where it is.
    await this.finish(run.jobId, runId, Date.parse(run.startedAt), { status: "ABORTED" });
    return (await this.options.stores.runs.getRun(runId))!;
  }

  private launch(loaded: LoadedJob, run: RunRecord, input: RunState, how: Launch): void {
    const done = this.drive(loaded, run, input, how)
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => this.active.delete(run.id));
    this.active.set(run.id, done);
  }

  private async drive(loaded: LoadedJob, run: RunRecord, input: RunState, how: Launch): Promise<void> {
    const { print, format, changes } = this.options;
    const controller = new AbortController();
    this.controllers.set(run.id, controller);
    if (print && format) print(format.runStarted(loaded.id, run.id, input.event.name, how.resumed === true));
    changes.emit({ type: "run", id: run.id });
    if (how.waitMs && how.waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          controller.signal.removeEventListener("abort", done);
          this.suspension.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, how.waitMs);
        controller.signal.addEventListener("abort", done, { once: true });
        this.suspension.signal.addEventListener("abort", done, { once: true });
      });
    }
    let start = input;
    // Stopped between the runner's "send this" and the SendEvent state's answer: the execution restarts at
    // Plan, so publish here first (the event id is fixed, so a second delivery is a duplicate ingest ignores).
    if (how.resumed && input.status === "sending" && input.next?.event && input.sent === undefined && this.options.publish) {
      await this.options.publish(input.next.event);
      start = { ...input, sent: { eventId: input.next.event.detail.id } };
    }
    // A wait (or a send) the run was in when it stopped ends here, not in a Sleep state: the execution starts at Plan.
    const unfinishedStep = pendingStepKey(input);
    if (unfinishedStep !== undefined && !controller.signal.aborted && !this.suspension.signal.aborted)
      await this.options.stores.runs.endStep(run.id, unfinishedStep, this.now().toISOString());
    const entered = new Set(run.statesEntered ?? []);
    const outcome: ExecutionOutcome = controller.signal.aborted
      ? { status: "ABORTED", final: start, retries: [], statesEntered: [] }
      : await loaded.machine.execute(start, {
          observer: this.observerFor(loaded.id, entered),
          resume: how.resume,
          publish: this.options.publish,
          redriveCount: how.redriveCount,
          signal: controller.signal,
          suspend: this.suspension.signal,
          doneBranches: how.doneBranches,
          attemptsBefore: how.attemptsBefore,
          dynamo: this.options.dynamo,
        });
    this.controllers.delete(run.id);
    // The step records of the last states are written before the run ends (and before a stop closes the store).
    await this.writeChains.get(run.id)?.catch(() => {});
    // Shutting down: the run stays RUNNING with its last saved state; the next start resumes it.
    if (outcome.status === "SUSPENDED") return;
    const statesEntered = [...entered];
    await this.finish(
      loaded.id,
      run.id,
      Date.parse(run.startedAt),
      outcome.status === "SUCCEEDED"
        ? { status: "SUCCEEDED", output: outcome.output, state: outcome.final, statesEntered }
        : outcome.status === "FAILED"
          ? { status: "FAILED", error: outcome.error, state: outcome.final, statesEntered }
          : { status: "ABORTED", state: outcome.final, statesEntered },
    );
  }

  private async finish(
    jobId: string,
    runId: string,
    startedMs: number,
    end: (
      | { status: "SUCCEEDED"; output: unknown; state?: RunState }
      | { status: "FAILED"; error: { name: string; message: string }; state?: RunState }
      | { status: "ABORTED"; state?: RunState }
    ) & { statesEntered?: readonly string[] },
  ): Promise<void> {
    await this.releaseSlot(jobId, runId, end.state);
    const completedAt = this.now();
    await this.options.stores.runs.updateRun(runId, { ...end, completedAt: completedAt.toISOString() });
    const { print, format } = this.options;
    if (print && format)
      print(format.runEnded(jobId, runId, end.status, completedAt.getTime() - startedMs, end.status === "FAILED" ? end.error : undefined));
    this.options.changes.emit({ type: "run", id: runId });
  }

  /**
   * A limited job's slot, after any end of a run: what the stack's status-change rule does (slot-release.ts). Before the
   * run is recorded as ended, so a run that reads as ended holds no slot. A failure is reported, not thrown: the run
   * still ends, and its slot stays taken (docs/limits.md says how to give it back).
   */
  private async releaseSlot(jobId: string, runId: string, state: RunState | undefined): Promise<void> {
    const plan = this.options.registry.get(jobId)?.compiled.plan.concurrency;
    const dynamo = this.options.dynamo;
    if (!plan || !dynamo) return;
    const event = state?.event ?? (await this.options.stores.runs.getRun(runId))?.state?.event;
    if (!event) return;
    await releaseSlot({ plan, jobId, runId, event, dynamo, waits: this.options.waits ?? "real" }).catch((error: unknown) =>
      this.options.onError?.(error),
    );
  }

  /** Runs `write` after the run's previous serialized write (parallel items finish concurrently). */
  private serialized(runId: string, write: () => Promise<void>): Promise<void> {
    const previous = this.writeChains.get(runId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(write);
    this.writeChains.set(runId, next);
    const cleanup = () => {
      if (this.writeChains.get(runId) === next) this.writeChains.delete(runId);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  /**
   * Writes what an execution does to the run store, the terminal and the change feed, in order. `entered` collects
   * the states entered (seeded with the run's earlier ones); every write of the run's state carries it.
   */
  private observerFor(jobId: string, entered: Set<string>): RunObserver {
    const { stores, print, format, changes } = this.options;
    return {
      attemptStarted: async (a) => {
        await stores.runs.putAttempt({
          runId: a.runId,
          taskKey: a.taskKey,
          taskId: a.taskId,
          number: a.number,
          status: "RUNNING",
          startedAt: a.startedAt,
          error: null,
          stateName: a.stateName,
        });
        changes.emit({ type: "run", id: a.runId });
      },
      attemptEnded: async (a) => {
        await stores.runs.updateAttempt(a.runId, a.taskKey, a.number, { status: a.status, endedAt: a.endedAt, error: a.error });
        if (print && format) print(format.attempt(jobId, a));
        changes.emit({ type: "run", id: a.runId });
      },
      log: async (runId, line) => {
        if (print && format) print(format.log(jobId, runId, line));
        await stores.runs.appendLog({ runId, ...line });
      },
      stepped: async (runId, state) => {
        await stores.runs.updateRun(runId, { state, statesEntered: [...entered] });
        changes.emit({ type: "run", id: runId });
      },
      // The saved state is the batch's (status `parallel`); each finished item is added to its `branches`, one
      // write at a time per run, so a restart runs only the items that had not finished.
      branchFinished: (runId, _outcome, state) =>
        this.serialized(runId, () => stores.runs.updateRun(runId, { state, statesEntered: [...entered] }).then(() => {})),
      // A Wait or SendEvent state has no runner step to carry its record: its start and end are written as they
      // happen (a wait can be long: its start and the states entered are kept while it lasts).
      stateChanged: (runId, change) => {
        if (change.phase === "entered") entered.add(change.stateName);
        const key = stepKeyOf(change.stateName, change.input);
        if (key === undefined) return;
        const write =
          change.phase === "entered"
            ? async () => {
                await stores.runs.putStep({ runId, key, stateName: change.stateName, startedAt: change.at });
                await stores.runs.updateRun(runId, { statesEntered: [...entered] });
              }
            : () => stores.runs.endStep(runId, key, change.at);
        this.serialized(runId, write).then(
          () => changes.emit({ type: "run", id: runId }),
          (error: unknown) => this.options.onError?.(error),
        );
      },
    };
  }
}

/** How a run's execution starts (`launch`, `drive`): the executor's options it passes on, and what comes first. */
interface Launch extends Pick<ExecuteOptions, "resume" | "redriveCount" | "doneBranches" | "attemptsBefore"> {
  /** Waited before the execution starts (the rest of a retry wait or a Wait state). */
  readonly waitMs?: number;
  /** Resumed after a restart (the terminal says so). */
  readonly resumed?: boolean;
}

/** The highest attempt number recorded per task key. */
function highestAttempts(attempts: readonly { readonly taskKey: string; readonly number: number }[]): Map<string, number> {
  const highest = new Map<string, number>();
  for (const a of attempts) highest.set(a.taskKey, Math.max(highest.get(a.taskKey) ?? 0, a.number));
  return highest;
}
