import path from "node:path";
import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import { formatLocation, JobDefinitionError, RetryOptionsError, type SourceLocation } from "../sdk/errors.ts";
import type { EventFilter, RetryOptions, RunTaskOptions } from "../sdk/types.ts";
import { EventFilterError, SchemaCompileError } from "../ingest/errors.ts";
import { compileEventFilter } from "../ingest/event-filter.ts";
import { eventNameProblem } from "../ingest/ingest-event.ts";
import { compileValidators } from "../ingest/validate.ts";
import { compileRetry } from "./compile-retry.ts";
import { evaluateLiteral, findConstInitializer, propertyName, unwrap } from "./evaluate-literal.ts";
import type { CompilerWarning, JobPlan, StepSite, StepsPlan, TaskPlan } from "./job-plan.ts";
import {
  cronProblem,
  intervalProblem,
  SCHEDULE_SOURCE,
  SCHEDULED_PAYLOAD_SCHEMA,
  type SchedulePlan,
  scheduleEventName,
  schedulePlan,
} from "./schedule.ts";
import { stateNameFor } from "./state-names.ts";
import { syntaxErrors } from "./syntax-errors.ts";

/** A job source file: its path (printed in errors, relative to the project) and text. */
export interface JobSource {
  readonly path: string;
  readonly text: string;
}

/** What {@link discoverJobs} found: plans for the valid jobs, and every error and warning with its location. */
export interface Discovery {
  readonly plans: readonly JobPlan[];
  readonly errors: readonly JobDefinitionError[];
  readonly warnings: readonly CompilerWarning[];
}

/** Options of {@link discoverJobs}. */
export interface DiscoverOptions {
  /** Reads an imported module (e.g. `src/trigger.ts`) to find the client's retry defaults. @default none are read */
  readonly readFile?: (path: string) => string | undefined;
  /**
   * The file each job id is defined in now (`stepjobs dev`'s running versions): a duplicate id elsewhere is the
   * other file's error, whatever the file order. @default none: the first definition in file order is kept
   */
  readonly owners?: ReadonlyMap<string, string>;
}

function locate(file: TS.SourceFile, node: TS.Node): SourceLocation {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return { file: file.fileName, line: line + 1, column: character + 1 };
}

function objectProperty(obj: TS.ObjectLiteralExpression, name: string): TS.Expression | undefined {
  for (const prop of obj.properties) {
    if (ts.isPropertyAssignment(prop) && propertyName(prop.name) === name) return prop.initializer;
    if (ts.isShorthandPropertyAssignment(prop) && prop.name.text === name) return prop.name;
    if (ts.isMethodDeclaration(prop) && prop.name && propertyName(prop.name) === name) return prop as unknown as TS.Expression;
  }
  return undefined;
}

function isCallOf(node: TS.Node, method: string): node is TS.CallExpression & { expression: TS.PropertyAccessExpression } {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === method;
}

/** Resolves `import { client } from "../trigger"` to the file and the name it is exported under. */
function resolveImport(file: TS.SourceFile, local: string): { module: string; exported: string } | undefined {
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) {
      if (element.name.text === local) {
        return { module: statement.moduleSpecifier.text, exported: (element.propertyName ?? element.name).text };
      }
    }
  }
  return undefined;
}

/** Reads the literal `defaults.retry` of the `new TriggerClient({...})` a job's client variable refers to. */
function clientDefaults(file: TS.SourceFile, clientName: string, options: DiscoverOptions): RetryOptions | undefined {
  let source = file;
  let name = clientName;
  let init = findConstInitializer(source, name);
  if (!init) {
    const imported = resolveImport(file, clientName);
    if (!imported || !imported.module.startsWith(".") || !options.readFile) return undefined;
    const base = path.join(path.dirname(file.fileName), imported.module.replace(/\.(ts|js|mjs|mts)$/, ""));
    for (const candidate of [`${base}.ts`, `${base}.mts`, `${base}/index.ts`]) {
      const text = options.readFile(candidate);
      if (text === undefined) continue;
      source = ts.createSourceFile(candidate, text, ts.ScriptTarget.Latest, true);
      name = imported.exported;
      init = findConstInitializer(source, name);
      break;
    }
  }
  if (!init) return undefined;
  const created = unwrap(init);
  if (!ts.isNewExpression(created) || !created.arguments?.[0]) return undefined;
  const arg = unwrap(created.arguments[0]);
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  const defaults = objectProperty(arg, "defaults");
  if (!defaults) return undefined;
  const value = evaluateLiteral(defaults, source);
  if (!value.ok) {
    throw new JobDefinitionError(locate(source, value.node), "client defaults must be a literal object so synth can compile them");
  }
  return (value.value as { retry?: RetryOptions } | undefined)?.retry;
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

function stringProperty(file: TS.SourceFile, obj: TS.ObjectLiteralExpression, name: string, where: TS.Node): string {
  const node = objectProperty(obj, name);
  if (!node) throw new JobDefinitionError(locate(file, where), `defineJob is missing "${name}"`);
  const value = evaluateLiteral(node, file);
  if (!value.ok || typeof value.value !== "string" || value.value.length === 0) {
    throw new JobDefinitionError(locate(file, node), `defineJob "${name}" must be a non-empty string literal`);
  }
  return value.value;
}

function readTrigger(file: TS.SourceFile, jobObj: TS.ObjectLiteralExpression, jobId: string): JobPlan["trigger"] {
  const node = objectProperty(jobObj, "trigger");
  if (!node)
    throw new JobDefinitionError(locate(file, jobObj), `job "${jobId}" has no trigger; add trigger: client.on("event.name", { schema })`);
  const call = unwrap(node);
  const schedule = readSchedule(file, call, jobId);
  if (schedule) return schedule;
  if (
    !isCallOf(call, "on") &&
    !(ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === "eventTrigger")
  ) {
    throw new JobDefinitionError(
      locate(file, node),
      `job "${jobId}" trigger must be client.on("event.name", { schema }), eventTrigger({ name, schema }), cronTrigger({ cron }) or intervalTrigger({ seconds }), written in place`,
    );
  }
  const isOn = isCallOf(call, "on");
  const optionsNode = isOn ? call.arguments[1] : call.arguments[0];
  const options = optionsNode ? evaluateLiteral(optionsNode, file) : { ok: true as const, value: undefined };
  if (!options.ok) {
    const filterNode = optionsNode && optionProperty(optionsNode, "filter");
    const inFilter = filterNode !== undefined && options.node.pos >= filterNode.pos && options.node.end <= filterNode.end;
    throw new JobDefinitionError(
      locate(file, options.node),
      inFilter
        ? `job "${jobId}" trigger filter must be literal JSON so synth can compile it into the rule's event pattern`
        : `job "${jobId}" trigger options must be literal JSON (schema included) so synth can compile the validator`,
    );
  }
  const opts = (options.value ?? {}) as { name?: unknown; schema?: unknown; source?: unknown; filter?: unknown };
  let event: unknown = opts.name;
  if (isOn) {
    const nameArg = call.arguments[0] && evaluateLiteral(call.arguments[0], file);
    event = nameArg && nameArg.ok ? nameArg.value : undefined;
  }
  if (Array.isArray(event)) {
    throw new JobDefinitionError(
      locate(file, optionProperty(optionsNode!, "name") ?? call),
      `job "${jobId}" trigger lists several event names; a job listens to one: define a job per event name (they can share a run function)`,
    );
  }
  if (typeof event !== "string" || event.length === 0) {
    throw new JobDefinitionError(locate(file, call), `job "${jobId}" trigger needs an event name as a string literal`);
  }
  const nameProblem = eventNameProblem(event);
  if (nameProblem) throw new JobDefinitionError(locate(file, call), `job "${jobId}" trigger event name ${nameProblem}`);
  if (opts.schema === undefined || typeof opts.schema !== "object" || opts.schema === null || Array.isArray(opts.schema)) {
    throw new JobDefinitionError(
      locate(file, optionsNode ?? call),
      `job "${jobId}" trigger "${event}" has no schema; add { schema: { type: "object", ... } }`,
    );
  }
  if (opts.source !== undefined && typeof opts.source !== "string") {
    throw new JobDefinitionError(locate(file, optionsNode ?? call), `job "${jobId}" trigger source must be a string`);
  }
  const schema = opts.schema as Record<string, unknown>;
  checkSchemaCompiles(file, jobId, event, schema, optionsNode ?? call);
  if (opts.filter !== undefined) checkFilterCompiles(file, jobId, opts.filter, optionsNode!);
  return {
    event,
    schema,
    ...(opts.source ? { source: opts.source as string } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter as EventFilter } : {}),
  };
}

/** The property `name` of a literal options object, where it is written in place. */
function optionProperty(optionsNode: TS.Expression, name: string): TS.Expression | undefined {
  const options = unwrap(optionsNode);
  return ts.isObjectLiteralExpression(options) ? objectProperty(options, name) : undefined;
}

/**
 * Compiles a trigger's v2 `filter` into its EventBridge pattern now, so a form EventBridge cannot express is an error
 * at the offending matcher's file:line:col (in `stepjobs dev` and synth alike), not a failed deploy.
 */
function checkFilterCompiles(file: TS.SourceFile, jobId: string, filter: unknown, optionsNode: TS.Expression): void {
  try {
    compileEventFilter(filter);
  } catch (error) {
    if (!(error instanceof EventFilterError)) throw error;
    const filterNode = optionProperty(optionsNode, "filter");
    const at = literalNodeAt(filterNode, error.path) ?? filterNode ?? optionsNode;
    throw new JobDefinitionError(locate(file, at), `job "${jobId}" trigger ${error.message}`);
  }
}

/**
 * Compiles the trigger schema with the very ajv options ingest uses, so a schema ajv refuses (an unknown keyword
 * or format, a misspelt type) is a compile error at the keyword's file:line:col, in `stepjobs dev` and in synth
 * alike, instead of a failure when the validators are built.
 */
function checkSchemaCompiles(
  file: TS.SourceFile,
  jobId: string,
  event: string,
  schema: Record<string, unknown>,
  optionsNode: TS.Node,
): void {
  try {
    compileValidators([{ id: jobId, trigger: { event, schema } }]);
  } catch (error) {
    if (!(error instanceof SchemaCompileError)) throw error;
    const schemaNode = optionProperty(optionsNode as TS.Expression, "schema");
    const segments = schemaPointerOf(error.message)
      .split("/")
      .slice(1)
      .map((raw) => raw.replace(/~1/g, "/").replace(/~0/g, "~"));
    const at = literalNodeAt(schemaNode, segments) ?? schemaNode ?? optionsNode;
    throw new JobDefinitionError(locate(file, at), error.message);
  }
}

/**
 * The JSON pointer into the schema an ajv message names (`... at path "#/properties/x"`, `data/properties/x/type`),
 * down to the keyword when the message names one (an unknown format or keyword).
 */
function schemaPointerOf(message: string): string {
  const hash = /at path "#([^"]*)"/.exec(message);
  const data = /\bdata((?:\/[^\s/]+)*)/.exec(message);
  const base = hash ? hash[1] : data ? data[1] : "";
  const keyword = /unknown format/.test(message) ? "format" : /unknown keyword:? "([^"]+)"/.exec(message)?.[1];
  return keyword ? `${base}/${keyword.replace(/~/g, "~0").replace(/\//g, "~1")}` : base;
}

/**
 * The node of a literal (a schema, a filter) at a path of property names and indexes (the property that holds it),
 * as far as it is written in place.
 */
function literalNodeAt(literal: TS.Expression | undefined, path: readonly (string | number)[]): TS.Node | undefined {
  let value: TS.Node | undefined = literal && unwrap(literal);
  let at = value;
  for (const segment of path) {
    let next: TS.Expression | undefined;
    if (value && ts.isObjectLiteralExpression(value)) next = objectProperty(value, String(segment));
    else if (value && ts.isArrayLiteralExpression(value)) next = value.elements[Number(segment)];
    if (!next) break;
    at = ts.isPropertyAssignment(next.parent) ? next.parent : next;
    value = unwrap(next);
  }
  return at;
}

/** `cronTrigger({ cron })` / `intervalTrigger({ seconds })` (called directly or as a property), checked as Scheduler would. */
function readSchedule(file: TS.SourceFile, call: TS.Expression, jobId: string): JobPlan["trigger"] | undefined {
  if (!ts.isCallExpression(call)) return undefined;
  const callee = ts.isIdentifier(call.expression)
    ? call.expression.text
    : ts.isPropertyAccessExpression(call.expression)
      ? call.expression.name.text
      : undefined;
  if (callee !== "cronTrigger" && callee !== "intervalTrigger") return undefined;
  const arg = call.arguments[0];
  const value = arg ? evaluateLiteral(arg, file) : undefined;
  if (!value || !value.ok || typeof value.value !== "object" || value.value === null) {
    throw new JobDefinitionError(
      locate(file, arg ?? call),
      `job "${jobId}" ${callee} takes a literal object so synth can compile the schedule`,
    );
  }
  const options = value.value as { cron?: unknown; seconds?: unknown };
  let plan: SchedulePlan;
  if (callee === "cronTrigger") {
    if (typeof options.cron !== "string")
      throw new JobDefinitionError(locate(file, arg!), `job "${jobId}" cronTrigger needs cron: "<6-field AWS cron>"`);
    const problem = cronProblem(options.cron);
    if (problem) throw new JobDefinitionError(locate(file, arg!), `job "${jobId}" cron "${options.cron}" ${problem}`);
    plan = schedulePlan({ cron: options.cron });
  } else {
    const problem = intervalProblem(options.seconds);
    if (problem) throw new JobDefinitionError(locate(file, arg!), `job "${jobId}" intervalTrigger ${problem}`);
    plan = schedulePlan({ seconds: options.seconds as number });
  }
  return { event: scheduleEventName(jobId), source: SCHEDULE_SOURCE, schema: { ...SCHEDULED_PAYLOAD_SCHEMA }, schedule: plan };
}

function runFunction(node: TS.Node | undefined): TS.FunctionLikeDeclaration | undefined {
  if (!node) return undefined;
  if (ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return node;
  return undefined;
}

interface FoundTask {
  plan: TaskPlan;
  optionsKey: string;
}

function readTasks(
  file: TS.SourceFile,
  run: TS.FunctionLikeDeclaration,
  jobId: string,
  defaults: RetryOptions | undefined,
  warnings: CompilerWarning[],
  errors: JobDefinitionError[],
): TaskPlan[] {
  const ioParam = run.parameters[1];
  const ioName = ioParam && ts.isIdentifier(ioParam.name) ? ioParam.name.text : undefined;
  if (!ioName) return [];
  const found = new Map<string, FoundTask>();
  const visit = (node: TS.Node): void => {
    if (isCallOf(node, "runTask") && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === ioName) {
      try {
        collectTask(node);
      } catch (error) {
        if (error instanceof JobDefinitionError) errors.push(error);
        else throw error;
      }
    }
    ts.forEachChild(node, visit);
  };
  const collectTask = (call: TS.CallExpression): void => {
    const where = locate(file, call);
    const idArg = call.arguments[0];
    const taskId = idArg && taskIdOf(idArg);
    if (!taskId) {
      warnings.push({
        location: where,
        message: `task id is not a literal; it runs through the DynamicTask state with retries driven by the runner`,
      });
      return;
    }
    const optionsArg = call.arguments[3];
    if (!optionsArg && call.arguments[2] && looksLikeV2Options(unwrap(call.arguments[2]))) {
      warnings.push({
        location: locate(file, call.arguments[2]),
        message: `io.runTask("${taskId.id}"): the third argument looks like Trigger.dev v2 options, but in stepjobs it is the task's payload; pass options fourth: io.runTask(id, fn, undefined, options)`,
      });
    }
    let options: RunTaskOptions | undefined;
    if (optionsArg) {
      const value = evaluateLiteral(optionsArg, file);
      if (!value.ok) {
        throw new JobDefinitionError(
          locate(file, value.node),
          `options of io.runTask("${taskId.id}") must be an object literal so synth can compile them into the task state's Retry; got \`${value.node.getText(file)}\``,
        );
      }
      options = value.value as RunTaskOptions | undefined;
    }
    let compiled;
    try {
      compiled = compileRetry(options, defaults);
    } catch (error) {
      if (!(error instanceof RetryOptionsError)) throw error;
      const fieldNode = optionsArg && fieldLocation(unwrap(optionsArg), error.field);
      throw new JobDefinitionError(locate(file, fieldNode ?? optionsArg ?? call), `io.runTask("${taskId.id}") ${error.message}`);
    }
    for (const message of compiled.warnings)
      warnings.push({ location: locate(file, optionsArg ?? call), message: `io.runTask("${taskId.id}"): ${message}` });
    const optionsKey = JSON.stringify(options ?? null);
    const existing = found.get(taskId.id);
    if (existing) {
      if (existing.optionsKey !== optionsKey) {
        const first = existing.plan.location;
        throw new JobDefinitionError(
          where,
          `task id "${taskId.id}" in job "${jobId}" is also used at line ${first.line} with different options; one id compiles to one state, so give it one retry policy or a different id`,
        );
      }
      return;
    }
    found.set(taskId.id, {
      optionsKey,
      plan: {
        id: taskId.id,
        match: taskId.match,
        stateName: "",
        ...(options ? { options } : {}),
        retry: compiled.retrier,
        maxAttempts: compiled.maxAttempts,
        location: where,
      },
    });
  };
  if (run.body) visit(run.body);
  const tasks = [...found.values()].map((f) => f.plan);
  const taken = new Set<string>();
  return tasks.map((t) => {
    const stateName = stateNameFor(t.id, taken);
    taken.add(stateName);
    return { ...t, stateName };
  });
}

/** `Promise` combinators that start their tasks together: the job gets the `Parallel` Map state. */
const COMBINATORS = new Set(["all", "allSettled", "race", "any"]);

/** Longest wait of an Express workflow: an Express execution lasts at most 5 minutes. */
export const EXPRESS_MAX_SECONDS = 300;

/** True when `node` contains a `defineJob(...)` call (another job's definition, not a helper). */
function definesJob(node: TS.Node): boolean {
  if (isCallOf(node, "defineJob")) return true;
  return ts.forEachChild(node, definesJob) === true;
}

/** True when `node` mentions one of `names` (e.g. `io` passed to a helper, or `io.runTask(...)`). */
function mentions(node: TS.Node, names: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(node) && names.has(node.text)) return true;
  return ts.forEachChild(node, (child) => mentions(child, names)) === true;
}

/**
 * Finds the job's `io.wait`, `io.sendEvent` and `Promise.all`-style calls over io work, in `run` and in the
 * file's top-level helpers (not in other jobs), so the machine gets the states they need. Receivers named like
 * `run`'s io parameter, or `io`, count. A literal `io.wait` duration is read (Express limit, `Sleep` only).
 */
function readSteps(file: TS.SourceFile, run: TS.FunctionLikeDeclaration, ioName: string | undefined): StepsPlan | undefined {
  const names = new Set(["io", ...(ioName ? [ioName] : [])]);
  const steps = { wait: [] as StepSite[], sendEvent: [] as StepSite[], parallel: [] as StepSite[] };
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const receiver = node.expression.expression;
      const method = node.expression.name.text;
      const receiverName = ts.isIdentifier(receiver) ? receiver.text : undefined;
      if (receiverName && names.has(receiverName) && (method === "wait" || method === "sendEvent")) {
        const keyArg = node.arguments[0] && evaluateLiteral(node.arguments[0], file);
        const key = keyArg && keyArg.ok && typeof keyArg.value === "string" ? keyArg.value : undefined;
        const site: { key?: string; seconds?: number; location: StepSite["location"] } = { location: locate(file, node) };
        if (key !== undefined) site.key = key;
        if (method === "wait" && node.arguments[1]) {
          const duration = evaluateLiteral(node.arguments[1], file);
          const value = duration.ok ? duration.value : undefined;
          const seconds = typeof value === "number" ? value : (value as { seconds?: unknown } | undefined)?.seconds;
          if (typeof seconds === "number") site.seconds = seconds;
        }
        steps[method].push(site);
      }
      if (receiverName === "Promise" && COMBINATORS.has(method) && node.arguments.some((a) => mentions(a, names))) {
        steps.parallel.push({ location: locate(file, node) });
      }
    }
    ts.forEachChild(node, visit);
  };
  if (run.body) visit(run.body);
  for (const statement of file.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isVariableStatement(statement)) && !definesJob(statement)) visit(statement);
  }
  return steps.wait.length + steps.sendEvent.length + steps.parallel.length > 0 ? steps : undefined;
}

/** Reads `mode: "express" | "standard"` and checks what Express cannot do (waits over 5 minutes). */
function readMode(
  file: TS.SourceFile,
  jobObj: TS.ObjectLiteralExpression,
  jobId: string,
  steps: StepsPlan | undefined,
): "express" | undefined {
  const node = objectProperty(jobObj, "mode");
  if (!node) return undefined;
  const value = evaluateLiteral(node, file);
  if (!value.ok || (value.value !== "express" && value.value !== "standard")) {
    throw new JobDefinitionError(locate(file, node), `job "${jobId}" mode must be "standard" or "express"`);
  }
  if (value.value === "standard") return undefined;
  for (const wait of steps?.wait ?? []) {
    if (wait.seconds === undefined || wait.seconds > EXPRESS_MAX_SECONDS) {
      throw new JobDefinitionError(
        wait.location,
        `job "${jobId}" is an Express workflow, which runs at most ${EXPRESS_MAX_SECONDS} seconds; ` +
          (wait.seconds === undefined
            ? `io.wait("${wait.key ?? "?"}") needs literal seconds so synth can check it`
            : `io.wait("${wait.key ?? "?"}") waits ${wait.seconds} seconds`) +
          `; use mode: "standard" for longer waits`,
      );
    }
  }
  return "express";
}

/** Option names of Trigger.dev v2's `io.runTask(key, cb, options)`, whose 3rd argument stepjobs reads as the payload. */
const V2_OPTION_KEYS = new Set(["retry", "name", "icon", "delayUntil", "properties", "params", "style", "connectionKey", "noop"]);

/** A non-empty object literal made only of v2 option keys, with `retry` among them or every key a v2 key. */
function looksLikeV2Options(node: TS.Expression): boolean {
  if (!ts.isObjectLiteralExpression(node) || node.properties.length === 0) return false;
  const keys = node.properties.map((p) => (p.name ? propertyName(p.name as TS.PropertyName) : undefined));
  return keys.includes("retry") && keys.every((k) => k !== undefined && V2_OPTION_KEYS.has(k));
}

/** The node of the option a retry error names (`retry.limit` -> the `limit` property), for a precise column. */
function fieldLocation(obj: TS.Expression, field: string): TS.Node | undefined {
  let current: TS.Node | undefined = obj;
  for (const part of field.split(".")) {
    if (!current || !ts.isObjectLiteralExpression(current)) return current;
    const prop: TS.ObjectLiteralElementLike | undefined = current.properties.find(
      (p) => p.name && propertyName(p.name as TS.PropertyName) === part,
    );
    if (!prop) return current;
    current = ts.isPropertyAssignment(prop) ? unwrap(prop.initializer) : prop;
  }
  return current;
}

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
  const parsed = files.map((source) => ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  const broken = syntaxErrors(parsed);
  for (const file of parsed) {
    const syntaxError = broken.get(file.fileName);
    if (syntaxError) {
      errors.push(syntaxError);
      continue;
    }
    const visit = (node: TS.Node): void => {
      if (isCallOf(node, "defineJob")) {
        try {
          found.push(readJob(file, node, options, warnings, errors));
        } catch (error) {
          if (error instanceof JobDefinitionError) errors.push(error);
          else throw error;
        }
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const { plans, duplicates } = withoutDuplicateIds(found, options.owners);
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
    const keeper = kept.get(plan.id)!;
    if (keeper === plan) plans.push(plan);
    else
      duplicates.push(
        new JobDefinitionError(plan.location, `duplicate job id "${plan.id}"; it is already defined at ${formatLocation(keeper.location)}`),
      );
  }
  return { plans, duplicates };
}

function readJob(
  file: TS.SourceFile,
  call: TS.CallExpression & { expression: TS.PropertyAccessExpression },
  options: DiscoverOptions,
  warnings: CompilerWarning[],
  errors: JobDefinitionError[],
): JobPlan {
  const arg = call.arguments[0] && unwrap(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) {
    throw new JobDefinitionError(locate(file, call), "defineJob takes an object literal { id, name, version, trigger, run }");
  }
  const id = stringProperty(file, arg, "id", call);
  const name = stringProperty(file, arg, "name", call);
  const version = stringProperty(file, arg, "version", call);
  const trigger = readTrigger(file, arg, id);
  const run = runFunction(objectProperty(arg, "run"));
  if (!run)
    throw new JobDefinitionError(locate(file, arg), `job "${id}" has no run function; add run: async (payload, io, ctx) => { ... }`);
  const clientExpr = call.expression.expression;
  const defaults = ts.isIdentifier(clientExpr) ? clientDefaults(file, clientExpr.text, options) : undefined;
  const errorCount = errors.length;
  const tasks = readTasks(file, run, id, defaults, warnings, errors);
  if (errors.length > errorCount) throw errors.pop()!;
  const ioParam = run.parameters[1];
  const steps = readSteps(file, run, ioParam && ts.isIdentifier(ioParam.name) ? ioParam.name.text : undefined);
  const mode = readMode(file, arg, id, steps);
  return {
    id,
    name,
    version,
    location: locate(file, call),
    trigger,
    ...(defaults ? { defaults } : {}),
    tasks,
    ...(steps ? { steps } : {}),
    ...(mode ? { mode } : {}),
  };
}
