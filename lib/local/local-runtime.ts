import type { Starter } from "../ingest/types.ts";
import { type RunInput, type RunState, toRunState } from "../runtime/run-state.ts";
import type { RunRecord } from "../store/types.ts";
import type { ChangeFeed } from "./change-feed.ts";
import type { ExecutionOutcome, PublishEvent, ResumePoint, RunObserver, WaitMode } from "./executor.ts";
import type { JobRegistry, LoadedJob } from "./job-registry.ts";
import { INTERRUPTED_ERROR, planResume } from "./resume.ts";
import type { LocalStores } from "./stores.ts";
import type { TerminalFormat } from "./terminal.ts";

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
}

/** Runs jobs in this process. */
export class LocalRuntime implements Starter {
  private readonly options: LocalRuntimeOptions;
  private readonly active = new Map<string, Promise<void>>();
  private readonly now: () => Date;

  constructor(options: LocalRuntimeOptions) {
    this.options = options;
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
    for (const a of attempts.filter((a) => a.status === "RUNNING")) {
      await runs.updateAttempt(run.id, a.taskKey, a.number, { status: "FAILED", endedAt, error: { ...INTERRUPTED_ERROR } });
    }
    attempts = await runs.listAttempts(run.id);
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
        s.status === "succeeded"
          ? { status: "SUCCEEDED", output: s.output ?? null, state: s }
          : { status: "FAILED", error: s.error ?? { name: "Error", message: "run failed" }, state: s },
      );
      return;
    }
    this.active.set(run.id, Promise.resolve());
    this.launch(loaded, run, plan.input, { resume: plan.resume, waitMs: plan.waitMs, resumed: true });
  }

  /** Resolves when no run is executing (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  /** Run ids executing now. */
  get activeRuns(): string[] {
    return [...this.active.keys()];
  }

  private launch(
    loaded: LoadedJob,
    run: RunRecord,
    input: RunState,
    how: { resume?: ResumePoint; waitMs?: number; resumed?: boolean },
  ): void {
    const done = this.drive(loaded, run, input, how)
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => this.active.delete(run.id));
    this.active.set(run.id, done);
  }

  private async drive(
    loaded: LoadedJob,
    run: RunRecord,
    input: RunState,
    how: { resume?: ResumePoint; waitMs?: number; resumed?: boolean },
  ): Promise<void> {
    const { print, format, changes } = this.options;
    if (print && format) print(format.runStarted(loaded.id, run.id, input.event.name, how.resumed === true));
    changes.emit({ type: "run", id: run.id });
    if (how.waitMs && how.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, how.waitMs));
    let start = input;
    // Stopped between the runner's "send this" and the SendEvent state's answer: the execution restarts at
    // Plan, so publish here first (the event id is fixed, so a second delivery is a duplicate ingest ignores).
    if (how.resumed && input.status === "sending" && input.next?.event && input.sent === undefined && this.options.publish) {
      await this.options.publish(input.next.event);
      start = { ...input, sent: { eventId: input.next.event.detail.id } };
    }
    const outcome: ExecutionOutcome = await loaded.machine.execute(start, {
      observer: this.observerFor(loaded.id),
      resume: how.resume,
      publish: this.options.publish,
    });
    await this.finish(
      loaded.id,
      run.id,
      Date.parse(run.startedAt),
      outcome.status === "SUCCEEDED"
        ? { status: "SUCCEEDED", output: outcome.output, state: outcome.final }
        : { status: "FAILED", error: outcome.error, state: outcome.final },
    );
  }

  private async finish(
    jobId: string,
    runId: string,
    startedMs: number,
    end:
      | { status: "SUCCEEDED"; output: unknown; state?: RunState }
      | { status: "FAILED"; error: { name: string; message: string }; state?: RunState },
  ): Promise<void> {
    const completedAt = this.now();
    await this.options.stores.runs.updateRun(runId, { ...end, completedAt: completedAt.toISOString() });
    const { print, format } = this.options;
    if (print && format)
      print(format.runEnded(jobId, runId, end.status, completedAt.getTime() - startedMs, end.status === "FAILED" ? end.error : undefined));
    this.options.changes.emit({ type: "run", id: runId });
  }

  /** Writes what an execution does to the run store, the terminal and the change feed, in order. */
  private observerFor(jobId: string): RunObserver {
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
        await stores.runs.updateRun(runId, { state });
        changes.emit({ type: "run", id: runId });
      },
    };
  }
}
