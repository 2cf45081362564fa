import path from "node:path";
import { pathToFileURL } from "node:url";
import type { CompiledJob } from "../compiler/compile-project.ts";
import { normalizeEvent, validateEvent } from "../ingest/ingest-event.ts";
import { runIdFor } from "../ingest/run-id.ts";
import { compileValidators, type Validators } from "../ingest/validate.ts";
import { toValidationIssues } from "../ingest/validation-issues.ts";
import { JobMachine } from "../local/job-machine.ts";
import { ValidatedAslCache } from "../local/validated-asl-cache.ts";
import type { RunInput } from "../runtime/run-state.ts";
import { type Job, registeredJobs } from "../sdk/client.ts";
import { EventValidationError, StepJobsError } from "../sdk/errors.ts";
import { compileProjectCached } from "./compiled-cache.ts";
import { type Mocks, withMocks } from "./mocks.ts";
import { type TestRun, TestRunRecorder } from "./test-run.ts";

/** Options of {@link testJobs}. */
export interface TestJobsOptions {
  /**
   * Where the job files are, relative to `root`.
   * @default "src/jobs"
   */
  readonly jobsDir?: string;
  /**
   * The project root (where tsconfig.json is).
   * @default process.cwd()
   */
  readonly root?: string;
}

/** Options of one test run. */
export interface TestRunOptions {
  /** Task mocks by task id or memo key; tasks without one run their real callback. */
  readonly mocks?: Mocks;
  /** The triggering event's id (the run id derives from it, as in AWS). @default a fixed test id per call */
  readonly eventId?: string;
  /** The event's time (ISO-8601). @default now */
  readonly timestamp?: string;
}

/** A job file or job could not be loaded for testing; the message names it. */
export class TestSetupError extends StepJobsError {
  constructor(message: string) {
    super("TEST_SETUP", message);
    this.name = "TestSetupError";
  }
}

interface LoadedTestJob {
  readonly compiled: CompiledJob;
  readonly job: Job<any>;
}

let runs = 0;

/**
 * Runs jobs in a test: each on its compiled state machine (the ASL `stepjobs synth` prints and `cdk deploy` ships),
 * in this process, with the runner protocol `stepjobs dev` and the Lambda use, and nothing durable (no store, no
 * server). Retry intervals and `io.wait`s take no time; each result says how long the real machine would have waited.
 */
export class JobTester {
  private readonly jobs: ReadonlyMap<string, LoadedTestJob>;
  private readonly validators: Validators;
  private readonly validated: ValidatedAslCache;

  constructor(jobs: ReadonlyMap<string, LoadedTestJob>, validators: Validators, validated: ValidatedAslCache) {
    this.jobs = jobs;
    this.validators = validators;
    this.validated = validated;
  }

  /** The ids of the jobs found. */
  get jobIds(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * Runs job `jobId` with `payload`, validated first against its trigger's schema as ingest validates it (an
   * {@link EventValidationError} lists every violation with its JSON pointer).
   */
  async run(jobId: string, payload: unknown, options: TestRunOptions = {}): Promise<TestRun> {
    const loaded = this.jobs.get(jobId);
    if (!loaded) throw new TestSetupError(`no job "${jobId}" (found: ${this.jobIds.join(", ") || "none"})`);
    const validate = this.validators[jobId];
    if (validate && !validate(payload))
      throw new EventValidationError(loaded.compiled.plan.trigger.event, toValidationIssues(jobId, validate.errors));
    const eventId = options.eventId ?? `test-${++runs}`;
    const input: RunInput = {
      runId: runIdFor(jobId, eventId),
      event: { id: eventId, name: loaded.compiled.plan.trigger.event, timestamp: options.timestamp ?? new Date().toISOString(), payload },
    };
    return this.execute(loaded, input, options.mocks ?? {});
  }

  /**
   * Sends an event as a client would: validated against every listening job's schema, then one run per listening job
   * (none when no job listens), in the order of the jobs.
   */
  async send(
    event: { readonly name: string; readonly payload: unknown; readonly id?: string; readonly source?: string },
    options: TestRunOptions = {},
  ): Promise<TestRun[]> {
    const normalized = normalizeEvent({ ...event, id: event.id ?? options.eventId ?? `test-${++runs}` }, new Date());
    const verdict = validateEvent(
      normalized,
      [...this.jobs.values()].map((j) => j.compiled.plan),
      this.validators,
    );
    if (verdict.status === "REJECTED") throw new EventValidationError(normalized.name, verdict.errors);
    const results: TestRun[] = [];
    for (const run of verdict.runs) {
      const input: RunInput = {
        runId: run.id,
        event: { id: normalized.id, name: normalized.name, timestamp: normalized.timestamp, payload: normalized.payload },
      };
      results.push(await this.execute(this.jobs.get(run.jobId)!, input, options.mocks ?? {}));
    }
    return results;
  }

  private async execute(loaded: LoadedTestJob, input: RunInput, mocks: Mocks): Promise<TestRun> {
    const clock = () => new Date();
    const machine = new JobMachine(withMocks(loaded.job, mocks), loaded.compiled, { waits: "zero", now: clock, validated: this.validated });
    const recorder = new TestRunRecorder(clock);
    const outcome = await machine.execute(input, {
      observer: recorder.observer,
      publish: async (event) => {
        recorder.sentEvents.push(event);
      },
    });
    return recorder.result(input.runId, loaded.compiled.plan.id, outcome);
  }
}

/**
 * Compiles the jobs of a project for testing and loads them: a job already defined in this process (its module
 * imported by the test) is used as it is; otherwise its file is imported (which needs a TypeScript-aware runner:
 * vitest, `node --import tsx`, jest with a TS transform).
 */
export async function testJobs(options: TestJobsOptions = {}): Promise<JobTester> {
  const root = path.resolve(options.root ?? process.cwd());
  const project = await compileProjectCached(root, options.jobsDir ?? "src/jobs");
  if (project.errors.length > 0) throw new TestSetupError(`the jobs have errors:\n${project.errors.map((e) => e.message).join("\n")}`);
  const jobs = new Map<string, LoadedTestJob>();
  for (const compiled of project.jobs) {
    let job = registeredJobs().get(compiled.plan.id);
    if (!job) {
      try {
        await import(pathToFileURL(compiled.entry).href);
      } catch (error) {
        throw new TestSetupError(
          `could not import ${path.relative(root, compiled.entry)} (${(error as Error).message}); import the job's module in the test before calling testJobs`,
        );
      }
      job = registeredJobs().get(compiled.plan.id);
    }
    if (!job) throw new TestSetupError(`${path.relative(root, compiled.entry)} did not define job "${compiled.plan.id}"`);
    jobs.set(compiled.plan.id, { compiled, job });
  }
  return new JobTester(jobs, compileValidators(project.jobs.map((j) => j.plan)), ValidatedAslCache.forProject(root));
}
