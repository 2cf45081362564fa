import fs from "node:fs";
import path from "node:path";
import { type DiscoverOptions, discoverJobs, type Discovery } from "./discover-jobs.ts";
import type { JobPlan } from "./job-plan.ts";
import { importClosure } from "./import-closure.ts";
import { listJobFiles } from "./job-files.ts";
import { readModuleSchemas } from "./module-schemas.ts";
import type { ModuleSchemasPort } from "./read/module-schema.ts";
import { RUN_FAILED_STATE } from "./state-names.ts";
import { withConcurrencySlot } from "./concurrency-limit.ts";
import { type AslDefinition, renderStateMachine } from "./render-state-machine.ts";

/** A compiled job: its plan, its ASL and the module that defines it (what the runner bundle imports). */
export interface CompiledJob {
  readonly plan: JobPlan;
  readonly definition: AslDefinition;
  /** Absolute path of the job's source file. */
  readonly entry: string;
}

/** The result of {@link compileProject}: compiled jobs plus every error and warning with its location. */
export interface CompiledProject extends Omit<Discovery, "plans"> {
  readonly jobs: readonly CompiledJob[];
}

/**
 * Compiles every job in `jobsDir` (paths in messages are relative to `root`): the one entry point shared
 * by `stepjobs synth`, the CDK app and `stepjobs dev`, so all three see the same ASL.
 */
export function compileProject(options: {
  readonly root: string;
  readonly jobsDir: string;
  /** The file (relative to `root`) each running job is defined in: see {@link DiscoverOptions.owners}. */
  readonly owners?: DiscoverOptions["owners"];
  /** Reads a file the jobs import (path relative to `root`; undefined when there is none). @default from disk */
  readonly readFile?: (rel: string) => string | undefined;
}): CompiledProject {
  const root = path.resolve(options.root);
  const files = listJobFiles(path.resolve(root, options.jobsDir)).map((abs) => ({
    path: path.relative(root, abs),
    text: fs.readFileSync(abs, "utf8"),
  }));
  const readFile =
    options.readFile ??
    ((rel: string): string | undefined => {
      const abs = path.resolve(root, rel);
      return fs.existsSync(abs) ? fs.readFileSync(abs, "utf8") : undefined;
    });
  const moduleSchemas: ModuleSchemasPort = (requests) => {
    // What the schemas depend on, read through `readFile` so that a caller caching the compile (stepjobs/testing)
    // sees every input: the job files' local imports and the zod that converts them.
    for (const request of requests) importClosure(request.file, readFile);
    readFile("node_modules/zod/package.json");
    return readModuleSchemas(
      root,
      requests.map((request) => ({ ...request, absolutePath: path.resolve(root, request.file) })),
    );
  };
  const discovery = discoverJobs(files, { readFile, moduleSchemas, ...(options.owners ? { owners: options.owners } : {}) });
  return {
    errors: discovery.errors,
    warnings: discovery.warnings,
    jobs: discovery.plans.map((plan) => ({
      plan,
      definition: renderJobMachine(plan),
      entry: path.resolve(root, plan.location.file),
    })),
  };
}

/** The job's state machine: the renderer's, with the concurrency slot around it when the job has a limit. */
export function renderJobMachine(plan: JobPlan): AslDefinition {
  const machine = renderStateMachine(plan);
  return plan.concurrency ? withConcurrencySlot(machine, plan.concurrency, { runEnding: [RUN_FAILED_STATE] }) : machine;
}

export { listJobFiles } from "./job-files.ts";
