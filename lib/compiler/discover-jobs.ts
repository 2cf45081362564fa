import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import { formatLocation, JobDefinitionError } from "../sdk/errors.ts";
import { unwrap } from "./evaluate-literal.ts";
import type { CompilerWarning, JobPlan } from "./job-plan.ts";
import { ioParameterName, isCallOf, locate, objectProperty, runFunction, stringProperty } from "./read/ast.ts";
import { clientDefaults } from "./read/client-defaults.ts";
import { readConcurrency } from "./read/concurrency.ts";
import { readMode, readSteps } from "./read/steps.ts";
import { type PendingSchema, resolveModuleSchemas } from "./read/module-schema.ts";
import { readTasks } from "./read/tasks.ts";
import { readTrigger } from "./read/trigger.ts";
import { type DiscoverOptions, type Discovery, failed, type JobSource, mistake, type Read } from "./read/types.ts";
import { syntaxErrors } from "./syntax-errors.ts";

export type { DiscoverOptions, Discovery, JobSource };
export { EXPRESS_MAX_SECONDS } from "./read/steps.ts";

/**
 * Finds every `defineJob({...})` in `files` with the TypeScript compiler API (no type checking, so it
 * is fast and needs no tsconfig): its trigger (event name, schema, source) and every `io.runTask` call
 * inside `run` with its id and literal options. Errors carry `file:line:col`; one bad job does not hide
 * the others. A file with a syntax error yields its first one and no job (the parser would guess the rest).
 */
export function discoverJobs(files: readonly JobSource[], options: DiscoverOptions = {}): Discovery {
  const found: JobPlan[] = [];
  const errors: JobDefinitionError[] = [];
  const warnings: CompilerWarning[] = [];
  const pending: PendingSchema[] = [];
  const parsed = files.map((source) => ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  const broken = syntaxErrors(parsed);
  for (const file of parsed) {
    const syntaxError = broken.get(file.fileName);
    if (syntaxError) {
      errors.push(syntaxError);
      continue;
    }
    const visit = (node: TS.Node): void => {
      if (!isCallOf(node, "defineJob")) return void ts.forEachChild(node, visit);
      const job = readJob(file, node, options, warnings, pending);
      if (failed(job)) errors.push(...job.errors);
      else found.push(job.value);
    };
    visit(file);
  }
  const fromModules = resolveModuleSchemas(pending, options.moduleSchemas);
  errors.push(...fromModules.errors);
  const complete = found.flatMap((plan) => {
    const isPending = pending.some((p) => p.plan === plan);
    const resolved = fromModules.resolved.get(plan);
    return isPending ? (resolved ? [resolved] : []) : [plan];
  });
  const { plans, duplicates } = withoutDuplicateIds(complete, options.owners);
  return { plans, errors: [...errors, ...duplicates], warnings };
}

/**
 * One plan per job id. The definition kept is the one in the file `owners` names for the id (the version dev
 * runs), else the first in file order (synth and a first load); every other is an error at its own place
 * naming the one kept, so a file that copies an id never takes the job over.
 */
function withoutDuplicateIds(
  found: readonly JobPlan[],
  owners: ReadonlyMap<string, string> | undefined,
): { plans: JobPlan[]; duplicates: JobDefinitionError[] } {
  const kept = new Map<string, JobPlan>();
  for (const plan of found) {
    const current = kept.get(plan.id);
    const owner = owners?.get(plan.id);
    if (!current || (plan.location.file === owner && current.location.file !== owner)) kept.set(plan.id, plan);
  }
  const plans: JobPlan[] = [];
  const duplicates: JobDefinitionError[] = [];
  for (const plan of found) {
    const keeper = kept.get(plan.id) ?? plan;
    if (keeper === plan) plans.push(plan);
    else
      duplicates.push(
        new JobDefinitionError(plan.location, `duplicate job id "${plan.id}"; it is already defined at ${formatLocation(keeper.location)}`),
      );
  }
  return { plans, duplicates };
}

/**
 * One `defineJob({...})`: its plan, or its mistakes (the first among its fields, in the order they are read, or
 * every mistake of its tasks).
 */
export function readJob(
  file: TS.SourceFile,
  call: TS.CallExpression & { expression: TS.PropertyAccessExpression },
  options: DiscoverOptions,
  warnings: CompilerWarning[],
  pending: PendingSchema[] = [],
): Read<JobPlan> {
  const arg = call.arguments[0] && unwrap(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg))
    return mistake(locate(file, call), "defineJob takes an object literal { id, name, version, trigger, run }");
  const id = stringProperty(file, arg, "id", call);
  if (failed(id)) return id;
  const name = stringProperty(file, arg, "name", call);
  if (failed(name)) return name;
  const version = stringProperty(file, arg, "version", call);
  if (failed(version)) return version;
  const trigger = readTrigger(file, arg, id.value);
  if (failed(trigger)) return trigger;
  const run = runFunction(objectProperty(arg, "run"));
  if (!run) return mistake(locate(file, arg), `job "${id.value}" has no run function; add run: async (payload, io, ctx) => { ... }`);
  const clientExpr = call.expression.expression;
  const defaults = ts.isIdentifier(clientExpr) ? clientDefaults(file, clientExpr.text, options) : { value: undefined };
  if (failed(defaults)) return defaults;
  const tasks = readTasks(file, run, id.value, defaults.value, warnings);
  if (failed(tasks)) return tasks;
  const steps = readSteps(file, run, ioParameterName(run));
  const mode = readMode(file, arg, id.value, steps);
  if (failed(mode)) return mode;
  const concurrency = readConcurrency({
    file,
    jobObj: arg,
    jobId: id.value,
    schema: trigger.value.schemaNode ? undefined : trigger.value.plan.schema,
    mode: mode.value,
    options,
  });
  if (failed(concurrency)) return concurrency;
  const plan: JobPlan = {
    id: id.value,
    name: name.value,
    version: version.value,
    location: locate(file, call),
    trigger: trigger.value.plan,
    ...(defaults.value ? { defaults: defaults.value } : {}),
    tasks: tasks.value,
    ...(steps ? { steps } : {}),
    ...(mode.value ? { mode: mode.value } : {}),
    ...(concurrency.value ? { concurrency: concurrency.value } : {}),
  };
  const { schemaNode, optionsNode } = trigger.value;
  if (schemaNode && optionsNode) pending.push({ plan, file, schemaNode, optionsNode });
  return { value: plan };
}
