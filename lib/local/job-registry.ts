import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compileProject, type CompiledJob } from "../compiler/compile-project.ts";
import { compileValidators, type Validators } from "../ingest/validate.ts";
import { type Job, registeredJobs } from "../sdk/client.ts";
import { JobDefinitionError } from "../sdk/errors.ts";
import { JobMachine, type JobMachineOptions, type WaitMode } from "./job-machine.ts";

/**
 * The jobs `stepjobs dev` serves: compiled from the jobs directory (the same `compileProject` as synth and
 * CDK, so the same ASL), their modules imported to register the runtime `Job`, one {@link JobMachine} and one
 * payload validator each. Reloading keeps the last good version of a job whose file no longer compiles or
 * imports, and re-imports a changed module under a cache-busting query (ESM has no cache to clear).
 */

/** One job version the dev runtime can run. */
export interface LoadedJob {
  readonly id: string;
  readonly compiled: CompiledJob;
  readonly job: Job<any>;
  readonly machine: JobMachine;
  /** The job file, relative to the project root. */
  readonly file: string;
  /** sha256 of the file text: what tells versions apart across reloads. */
  readonly hash: string;
}

/** A problem found while loading: one line, starting with `file:line:col` when the compiler knows it. */
export interface LoadProblem {
  readonly file: string;
  readonly message: string;
}

/** What a (re)load changed. */
export interface LoadReport {
  /** Jobs registered or replaced by this load. */
  readonly loaded: readonly LoadedJob[];
  /** Jobs whose file is gone or no longer defines them. */
  readonly removed: readonly string[];
  readonly problems: readonly LoadProblem[];
  readonly warnings: readonly string[];
  /** Files that had a problem at the previous load and load cleanly now. */
  readonly fixed: readonly string[];
}

/** Options of {@link JobRegistry}. */
export interface JobRegistryOptions {
  readonly root: string;
  readonly jobsDir: string;
  readonly waits?: WaitMode;
  /** Definitions validated before, so an unchanged job loads without validating its ASL again. */
  readonly validated?: JobMachineOptions["validated"];
}

function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The jobs of a project, kept current across edits. */
export class JobRegistry {
  private readonly root: string;
  private readonly jobsDir: string;
  private readonly waits: WaitMode;
  private readonly validated: JobMachineOptions["validated"];
  private readonly jobs = new Map<string, LoadedJob>();
  private validatorCache: Validators = {};
  private generation = 0;
  /** Files with a problem at the last load (what a later load reports as fixed). */
  private brokenAtLastLoad = new Set<string>();

  constructor(options: JobRegistryOptions) {
    this.root = path.resolve(options.root);
    this.jobsDir = options.jobsDir;
    this.waits = options.waits ?? "real";
    this.validated = options.validated;
  }

  /** The absolute jobs directory. */
  get directory(): string {
    return path.resolve(this.root, this.jobsDir);
  }

  get(id: string): LoadedJob | undefined {
    return this.jobs.get(id);
  }

  list(): LoadedJob[] {
    return [...this.jobs.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Payload validators of the current versions, by job id. */
  get validators(): Validators {
    return this.validatorCache;
  }

  /**
   * Compiles the jobs directory and (re)imports every job whose file changed. A file with a compile or
   * import error keeps its jobs' previous versions; a file that compiles but is gone or no longer defines a
   * job removes it.
   */
  async load(): Promise<LoadReport> {
    const generation = ++this.generation;
    // A job id defined in a second file stays with the file that defines the running version.
    const owners = new Map([...this.jobs.values()].map((job) => [job.id, job.file]));
    const project = compileProject({ root: this.root, jobsDir: this.jobsDir, owners });
    const problems: LoadProblem[] = project.errors.map((e) => ({ file: fileOf(e), message: e.message }));
    const warnings = project.warnings.map((w) => `${w.location.file}:${w.location.line}:${w.location.column}: warning: ${w.message}`);
    const brokenFiles = new Set(problems.map((p) => p.file));
    const loaded: LoadedJob[] = [];
    const seen = new Set<string>();
    const imported = new Set<string>();

    for (const compiled of project.jobs) {
      const file = path.relative(this.root, compiled.entry);
      if (brokenFiles.has(file)) continue;
      seen.add(compiled.plan.id);
      const hash = hashText(fs.readFileSync(compiled.entry, "utf8"));
      const current = this.jobs.get(compiled.plan.id);
      if (current && current.hash === hash && JSON.stringify(current.compiled.definition) === JSON.stringify(compiled.definition)) continue;
      try {
        const job = await this.importJob(compiled, generation === 1 ? undefined : `${generation}`, imported);
        const validators = compileValidators([compiled.plan]);
        const machine = new JobMachine(job, compiled, { waits: this.waits, validated: this.validated });
        const entry: LoadedJob = { id: compiled.plan.id, compiled, job, machine, file, hash };
        this.jobs.set(entry.id, entry);
        this.validatorCache = { ...this.validatorCache, ...validators };
        loaded.push(entry);
      } catch (error) {
        problems.push({ file, message: importProblem(file, this.root, error) });
        brokenFiles.add(file);
      }
    }

    const removed: string[] = [];
    for (const [id, job] of this.jobs) {
      if (seen.has(id) || brokenFiles.has(job.file)) continue;
      this.jobs.delete(id);
      const { [id]: _gone, ...rest } = this.validatorCache;
      this.validatorCache = rest;
      removed.push(id);
    }
    const fixed = [...this.brokenAtLastLoad].filter((file) => !brokenFiles.has(file) && fs.existsSync(path.resolve(this.root, file)));
    this.brokenAtLastLoad = brokenFiles;
    return { loaded, removed, problems, warnings, fixed };
  }

  /**
   * Imports a job module and returns the job it registered. `bust` adds a query so Node's ESM loader (and
   * tsx) evaluate the edited file again; modules it imports are not re-evaluated (an edit to a helper needs
   * an edit to the job file, or a restart).
   */
  private async importJob(compiled: CompiledJob, bust: string | undefined, imported: Set<string>): Promise<Job<any>> {
    const url = pathToFileURL(compiled.entry).href + (bust ? `?v=${bust}` : "");
    const before = registeredJobs().get(compiled.plan.id);
    // A file defining several jobs is evaluated once per load.
    const evaluatedNow = !imported.has(url);
    if (evaluatedNow) {
      imported.add(url);
      await import(url);
    }
    const job = registeredJobs().get(compiled.plan.id);
    if (!job || (evaluatedNow && bust && job === before)) throw new Error(`importing it did not define job "${compiled.plan.id}"`);
    return job;
  }

  /**
   * Watches the jobs directory and calls `onChange` after a burst of edits settles (editors write a file in
   * several steps). Returns a function that stops watching.
   */
  watch(onChange: () => void, debounceMs = 150): () => void {
    let timer: NodeJS.Timeout | undefined;
    const watcher = fs.watch(this.directory, { recursive: true }, (_event, name) => {
      if (name && !/\.(ts|mts)$/.test(String(name))) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }
}

/**
 * One line for a job module that compiled but failed to import. tsx (esbuild) words a transform failure as
 * `Transform failed with 1 error:` and puts `<absolute path>:<line>:<col>: ERROR: <reason>` (0-based column) on
 * the next line: that line becomes `file:line:col: reason`, with the path relative and the column 1-based as
 * the compiler's. Any other error keeps its first line.
 */
export function importProblem(file: string, root: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const located = /^(.+?):(\d+):(\d+): (?:ERROR: )?(.+)$/m.exec(message.split("\n").slice(1).join("\n"));
  if (located) {
    const [, where = "", line, column, reason] = located;
    return `${path.relative(root, where)}:${line}:${Number(column) + 1}: ${reason}`;
  }
  return `${file}: ${message.split("\n")[0]}`;
}

function fileOf(error: JobDefinitionError): string {
  return error instanceof JobDefinitionError ? error.location.file : "";
}
