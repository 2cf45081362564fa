import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import { JobDefinitionError, RetryOptionsError } from "../../sdk/errors.ts";
import type { RetryOptions, RunTaskOptions } from "../../sdk/types.ts";
import { compileRetry } from "../compile-retry.ts";
import { evaluateLiteral, propertyName, unwrap } from "../evaluate-literal.ts";
import type { CompilerWarning, TaskPlan } from "../job-plan.ts";
import { stateNameFor } from "../state-names.ts";
import { fieldLocation, ioParameterName, isCallOf, locate } from "./ast.ts";
import { failed, mistake, type Read } from "./types.ts";

/**
 * The tasks of a job: every `io.runTask(id, fn, payload?, options?)` inside `run`, one plan per distinct id (or id
 * pattern) with its literal options compiled into the task state's `Retry`. Every mistake is reported, each at its
 * call; computed ids are not tasks of the plan (they run in `DynamicTask`), which a warning says.
 */
export function readTasks(
  file: TS.SourceFile,
  run: TS.FunctionLikeDeclaration,
  jobId: string,
  defaults: RetryOptions | undefined,
  warnings: CompilerWarning[],
): Read<TaskPlan[]> {
  const ioName = ioParameterName(run);
  if (!ioName || !run.body) return { value: [] };
  const found = new Map<string, { plan: TaskPlan; optionsKey: string }>();
  const errors: JobDefinitionError[] = [];
  for (const call of runTaskCalls(run.body, ioName)) {
    const task = readTask(file, call, defaults, warnings);
    if (failed(task)) errors.push(...task.errors);
    else if (task.value) {
      const added = addTask(found, task.value, jobId);
      if (failed(added)) errors.push(...added.errors);
    }
  }
  if (errors.length > 0) return { errors };
  return { value: withStateNames([...found.values()].map((f) => f.plan)) };
}

/** The `io.runTask(...)` calls under `body` whose receiver is `run`'s io parameter, in source order. */
function runTaskCalls(body: TS.Node, ioName: string): (TS.CallExpression & { expression: TS.PropertyAccessExpression })[] {
  const calls: (TS.CallExpression & { expression: TS.PropertyAccessExpression })[] = [];
  const visit = (node: TS.Node): void => {
    if (isCallOf(node, "runTask") && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === ioName)
      calls.push(node);
    ts.forEachChild(node, visit);
  };
  visit(body);
  return calls;
}

/** A task read from one call, with the key its options are told apart by; undefined for a computed id. */
function readTask(
  file: TS.SourceFile,
  call: TS.CallExpression,
  defaults: RetryOptions | undefined,
  warnings: CompilerWarning[],
): Read<{ plan: TaskPlan; optionsKey: string } | undefined> {
  const where = locate(file, call);
  const idArg = call.arguments[0];
  const taskId = idArg && taskIdOf(idArg);
  if (!taskId) {
    warnings.push({
      location: where,
      message: `task id is not a literal; it runs through the DynamicTask state with retries driven by the runner`,
    });
    return { value: undefined };
  }
  const optionsArg = call.arguments[3];
  const payloadArg = call.arguments[2];
  if (!optionsArg && payloadArg && looksLikeV2Options(unwrap(payloadArg))) {
    warnings.push({
      location: locate(file, payloadArg),
      message: `io.runTask("${taskId.id}"): the third argument looks like Trigger.dev v2 options, but in stepjobs it is the task's payload; pass options fourth: io.runTask(id, fn, undefined, options)`,
    });
  }
  const options = optionsArg ? literalOptions(file, optionsArg, taskId.id) : { value: undefined };
  if (failed(options)) return options;
  const compiled = compiledRetry(file, call, optionsArg, taskId.id, options.value, defaults);
  if (failed(compiled)) return compiled;
  for (const message of compiled.value.warnings)
    warnings.push({ location: locate(file, optionsArg ?? call), message: `io.runTask("${taskId.id}"): ${message}` });
  const { retrier, maxAttempts } = compiled.value;
  const plan: TaskPlan = {
    ...taskId,
    stateName: "",
    ...(options.value ? { options: options.value } : {}),
    retry: retrier,
    maxAttempts,
    location: where,
  };
  return { value: { plan, optionsKey: JSON.stringify(options.value ?? null) } };
}

function literalOptions(file: TS.SourceFile, optionsArg: TS.Expression, taskId: string): Read<RunTaskOptions | undefined> {
  const value = evaluateLiteral(optionsArg, file);
  if (value.ok) return { value: value.value as RunTaskOptions | undefined };
  return mistake(
    locate(file, value.node),
    `options of io.runTask("${taskId}") must be an object literal so synth can compile them into the task state's Retry; got \`${value.node.getText(file)}\``,
  );
}

/** The task's `Retry`, compiled as at run time; an option out of range is a mistake at that option. */
function compiledRetry(
  file: TS.SourceFile,
  call: TS.CallExpression,
  optionsArg: TS.Expression | undefined,
  taskId: string,
  options: RunTaskOptions | undefined,
  defaults: RetryOptions | undefined,
): Read<ReturnType<typeof compileRetry>> {
  try {
    return { value: compileRetry(options, defaults) };
  } catch (error) {
    if (!(error instanceof RetryOptionsError)) throw error;
    const fieldNode = optionsArg && fieldLocation(unwrap(optionsArg), error.field);
    return mistake(locate(file, fieldNode ?? optionsArg ?? call), `io.runTask("${taskId}") ${error.message}`);
  }
}

/** One id compiles to one state: a second call with the same id must have the same options. */
function addTask(
  found: Map<string, { plan: TaskPlan; optionsKey: string }>,
  task: { plan: TaskPlan; optionsKey: string },
  jobId: string,
): Read<void> {
  const existing = found.get(task.plan.id);
  if (!existing) {
    found.set(task.plan.id, task);
    return { value: undefined };
  }
  if (existing.optionsKey === task.optionsKey) return { value: undefined };
  return mistake(
    task.plan.location,
    `task id "${task.plan.id}" in job "${jobId}" is also used at line ${existing.plan.location.line} with different options; one id compiles to one state, so give it one retry policy or a different id`,
  );
}

/** Each task's state name (its id where it can be), unique in the machine. */
function withStateNames(tasks: readonly TaskPlan[]): TaskPlan[] {
  const taken = new Set<string>();
  return tasks.map((t) => {
    const stateName = stateNameFor(t.id, taken);
    taken.add(stateName);
    return { ...t, stateName };
  });
}

/** The task id of an `io.runTask` call: literal, a `*` pattern for template literals, or undefined (dynamic). */
function taskIdOf(node: TS.Expression): { id: string; match: "literal" | "pattern" } | undefined {
  const n = unwrap(node);
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return { id: n.text, match: "literal" };
  if (ts.isTemplateExpression(n)) {
    const escape = (s: string) => s.replace(/[\\*]/g, (c) => `\\${c}`);
    const pattern = escape(n.head.text) + n.templateSpans.map((span) => `*${escape(span.literal.text)}`).join("");
    return { id: pattern, match: "pattern" };
  }
  return undefined;
}

/** Option names of Trigger.dev v2's `io.runTask(key, cb, options)`, whose 3rd argument stepjobs reads as the payload. */
const V2_OPTION_KEYS = new Set(["retry", "name", "icon", "delayUntil", "properties", "params", "style", "connectionKey", "noop"]);

/** A non-empty object literal made only of v2 option keys, with `retry` among them or every key a v2 key. */
function looksLikeV2Options(node: TS.Expression): boolean {
  if (!ts.isObjectLiteralExpression(node) || node.properties.length === 0) return false;
  const keys = node.properties.map((p) => (p.name ? propertyName(p.name as TS.PropertyName) : undefined));
  return keys.includes("retry") && keys.every((k) => k !== undefined && V2_OPTION_KEYS.has(k));
}
