import { JobDefinitionError, type SourceLocation } from "../../sdk/errors.ts";
import type { JobPlan } from "../job-plan.ts";
import type { CompilerWarning } from "../job-plan.ts";
import type { ModuleSchemasPort } from "./module-schema.ts";

/** A job source file: its path (printed in errors, relative to the project) and text. */
export interface JobSource {
  readonly path: string;
  readonly text: string;
}

/** What `discoverJobs` found: plans for the valid jobs, and every error and warning with its location. */
export interface Discovery {
  readonly plans: readonly JobPlan[];
  readonly errors: readonly JobDefinitionError[];
  readonly warnings: readonly CompilerWarning[];
}

/** Options of `discoverJobs`. */
export interface DiscoverOptions {
  /** Reads an imported module (e.g. `src/trigger.ts`) to find the client's retry defaults. @default none are read */
  readonly readFile?: (path: string) => string | undefined;
  /**
   * The file each job id is defined in now (`stepjobs dev`'s running versions): a duplicate id elsewhere is the
   * other file's error, whatever the file order. @default none: the first definition in file order is kept
   */
  readonly owners?: ReadonlyMap<string, string>;
  /**
   * Imports job modules to read the trigger schemas that are not literal JSON (zod schemas), as `compileProject` does
   * in a child process. @default none: such a schema is a mistake
   */
  readonly moduleSchemas?: ModuleSchemasPort;
}

/**
 * What a reader found: the value, or every mistake with its `file:line:col` (a verdict, not a throw, in the manner
 * of cdk-nag's rules), so one job's mistakes are all reported and never hide another job.
 */
export type Read<T> = { readonly value: T } | { readonly errors: readonly JobDefinitionError[] };

/** The one mistake at `location`. */
export function mistake(location: SourceLocation, message: string): { readonly errors: readonly JobDefinitionError[] } {
  return { errors: [new JobDefinitionError(location, message)] };
}

/** Whether a read failed. */
export function failed<T>(read: Read<T>): read is { readonly errors: readonly JobDefinitionError[] } {
  return "errors" in read;
}
