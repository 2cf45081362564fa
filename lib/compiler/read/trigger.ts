import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import type { EventFilter } from "../../sdk/types.ts";
import { EventFilterError, SchemaCompileError } from "../../ingest/errors.ts";
import { compileEventFilter } from "../../ingest/event-filter.ts";
import { eventNameProblem } from "../../ingest/ingest-event.ts";
import { compileValidators } from "../../ingest/validate.ts";
import { evaluateLiteral, type LiteralResult, propertyName, unwrap } from "../evaluate-literal.ts";
import type { JobPlan } from "../job-plan.ts";
import {
  cronProblem,
  intervalProblem,
  SCHEDULE_SOURCE,
  SCHEDULED_PAYLOAD_SCHEMA,
  type SchedulePlan,
  scheduleEventName,
  schedulePlan,
} from "../schedule.ts";
import { isCallOf, locate, objectProperty } from "./ast.ts";
import { failed, mistake, type Read } from "./types.ts";

/** A job's trigger: its event name, schema and source, or its schedule. */
export type TriggerPlan = JobPlan["trigger"];

/**
 * A trigger as read from source. `schemaNode` is set when the schema is not literal JSON (a zod schema): the plan's
 * `schema` is then empty until `resolveModuleSchemas` fills it in from the job's module.
 */
export interface TriggerRead {
  readonly plan: TriggerPlan;
  readonly schemaNode?: TS.Expression;
  readonly optionsNode?: TS.Expression;
}

/**
 * Reads a job's `trigger`: `client.on("event", { schema, source? })`, `eventTrigger({ name, schema })`,
 * `cronTrigger({ cron })` or `intervalTrigger({ seconds })`, written in place with literal options. The schema is
 * compiled as ingest will compile it, so a schema ajv refuses is a mistake at the keyword's file:line:col.
 */
export function readTrigger(file: TS.SourceFile, jobObj: TS.ObjectLiteralExpression, jobId: string): Read<TriggerRead> {
  const node = objectProperty(jobObj, "trigger");
  if (!node) return mistake(locate(file, jobObj), `job "${jobId}" has no trigger; add trigger: client.on("event.name", { schema })`);
  const call = unwrap(node);
  const schedule = readSchedule(file, call, jobId);
  if (schedule) return schedule;
  const isOn = isCallOf(call, "on");
  if (!isOn && !(ts.isCallExpression(call) && ts.isIdentifier(call.expression) && call.expression.text === "eventTrigger")) {
    return mistake(
      locate(file, node),
      `job "${jobId}" trigger must be client.on("event.name", { schema }), eventTrigger({ name, schema }), cronTrigger({ cron }) or intervalTrigger({ seconds }), written in place`,
    );
  }
  return readEventTrigger(file, call, isOn, jobId);
}

function readEventTrigger(file: TS.SourceFile, call: TS.CallExpression, isOn: boolean, jobId: string): Read<TriggerRead> {
  const optionsNode = isOn ? call.arguments[1] : call.arguments[0];
  const schemaNode = optionsNode && optionProperty(optionsNode, "schema");
  const options = optionsNode ? evaluateOptions(optionsNode, file, schemaNode) : { ok: true as const, value: undefined };
  if (!options.ok) {
    const filterNode = optionsNode && optionProperty(optionsNode, "filter");
    const inFilter = filterNode !== undefined && options.node.pos >= filterNode.pos && options.node.end <= filterNode.end;
    return mistake(
      locate(file, options.node),
      inFilter
        ? `job "${jobId}" trigger filter must be literal JSON so synth can compile it into the rule's event pattern`
        : `job "${jobId}" trigger options must be written in place as literal JSON (the schema may be a zod schema) so synth can read them`,
    );
  }
  const opts = (options.value ?? {}) as { name?: unknown; schema?: unknown; source?: unknown; filter?: unknown };
  const nameArg = isOn && call.arguments[0] ? evaluateLiteral(call.arguments[0], file) : undefined;
  const event: unknown = isOn ? (nameArg?.ok ? nameArg.value : undefined) : opts.name;
  if (Array.isArray(event)) {
    return mistake(
      locate(file, (optionsNode && optionProperty(optionsNode, "name")) ?? call),
      `job "${jobId}" trigger lists several event names; a job listens to one: define a job per event name (they can share a run function)`,
    );
  }
  if (typeof event !== "string" || event.length === 0)
    return mistake(locate(file, call), `job "${jobId}" trigger needs an event name as a string literal`);
  const nameProblem = eventNameProblem(event);
  if (nameProblem) return mistake(locate(file, call), `job "${jobId}" trigger event name ${nameProblem}`);
  const at = locate(file, optionsNode ?? call);
  const fromModule = options.schemaFromModule && schemaNode !== undefined;
  if (!fromModule && (opts.schema === undefined || typeof opts.schema !== "object" || opts.schema === null || Array.isArray(opts.schema))) {
    return mistake(at, `job "${jobId}" trigger "${event}" has no schema; add { schema: { type: "object", ... } } or a zod schema`);
  }
  if (opts.source !== undefined && typeof opts.source !== "string") return mistake(at, `job "${jobId}" trigger source must be a string`);
  const schema = fromModule ? {} : (opts.schema as Record<string, unknown>);
  if (!fromModule) {
    const compiles = checkSchemaCompiles(file, jobId, event, schema, optionsNode ?? call);
    if (failed(compiles)) return compiles;
  }
  if (opts.filter !== undefined && optionsNode) {
    const filterCompiles = checkFilterCompiles(file, jobId, opts.filter, optionsNode);
    if (failed(filterCompiles)) return filterCompiles;
  }
  const plan: TriggerPlan = {
    event,
    schema,
    ...(opts.source ? { source: opts.source as string } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter as EventFilter } : {}),
  };
  return { value: fromModule ? { plan, schemaNode, optionsNode } : { plan } };
}

/**
 * The trigger options as literal JSON, except a `schema` that is not (a zod schema, a schema built in code): that one
 * is read from the job's module once the job is imported (`resolveModuleSchemas`), and flagged here.
 */
function evaluateOptions(
  optionsNode: TS.Expression,
  file: TS.SourceFile,
  schemaNode: TS.Expression | undefined,
): LiteralResult & { readonly schemaFromModule?: true } {
  const whole = evaluateLiteral(optionsNode, file);
  if (whole.ok || !schemaNode || !(whole.node.pos >= schemaNode.pos && whole.node.end <= schemaNode.end)) return whole;
  const options = unwrap(optionsNode) as TS.ObjectLiteralExpression;
  const value: Record<string, unknown> = {};
  for (const prop of options.properties) {
    const name = prop.name && propertyName(prop.name);
    if (name === "schema") continue;
    if (!name || !(ts.isPropertyAssignment(prop) || ts.isShorthandPropertyAssignment(prop))) return { ok: false, node: prop };
    const read = evaluateLiteral(ts.isPropertyAssignment(prop) ? prop.initializer : prop.name, file);
    if (!read.ok) return read;
    value[name] = read.value;
  }
  return { ok: true, value, schemaFromModule: true };
}

/** The property `name` of a literal options object, where it is written in place. */
function optionProperty(optionsNode: TS.Expression, name: string): TS.Expression | undefined {
  const options = unwrap(optionsNode);
  return ts.isObjectLiteralExpression(options) ? objectProperty(options, name) : undefined;
}

/**
 * Compiles a trigger's v2 `filter` into its EventBridge pattern now, so a form EventBridge cannot express is a
 * mistake at the offending matcher's file:line:col (in `stepjobs dev` and synth alike), not a failed deploy.
 */
function checkFilterCompiles(file: TS.SourceFile, jobId: string, filter: unknown, optionsNode: TS.Expression): Read<void> {
  try {
    compileEventFilter(filter);
    return { value: undefined };
  } catch (error) {
    if (!(error instanceof EventFilterError)) throw error;
    const filterNode = optionProperty(optionsNode, "filter");
    const at = literalNodeAt(filterNode, error.path) ?? filterNode ?? optionsNode;
    return mistake(locate(file, at), `job "${jobId}" trigger ${error.message}`);
  }
}

/**
 * Compiles the trigger schema with the very ajv options ingest uses, so a schema ajv refuses (an unknown keyword
 * or format, a misspelt type) is a mistake at the keyword's file:line:col (the error's JSON pointer), in
 * `stepjobs dev` and in synth alike, instead of a failure when the validators are built.
 */
export function checkSchemaCompiles(
  file: TS.SourceFile,
  jobId: string,
  event: string,
  schema: Record<string, unknown>,
  optionsNode: TS.Node,
): Read<void> {
  try {
    compileValidators([{ id: jobId, trigger: { event, schema } }]);
    return { value: undefined };
  } catch (error) {
    if (!(error instanceof SchemaCompileError)) throw error;
    const schemaNode = optionProperty(optionsNode as TS.Expression, "schema");
    const segments = error.pointer
      ?.split("/")
      .slice(1)
      .map((raw) => raw.replace(/~1/g, "/").replace(/~0/g, "~"));
    const at = (segments !== undefined ? literalNodeAt(schemaNode, segments) : undefined) ?? schemaNode ?? optionsNode;
    return mistake(locate(file, at), error.message);
  }
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
function readSchedule(file: TS.SourceFile, call: TS.Expression, jobId: string): Read<TriggerRead> | undefined {
  if (!ts.isCallExpression(call)) return undefined;
  const callee = ts.isIdentifier(call.expression)
    ? call.expression.text
    : ts.isPropertyAccessExpression(call.expression)
      ? call.expression.name.text
      : undefined;
  if (callee !== "cronTrigger" && callee !== "intervalTrigger") return undefined;
  const arg = call.arguments[0];
  const value = arg ? evaluateLiteral(arg, file) : undefined;
  if (!arg || !value || !value.ok || typeof value.value !== "object" || value.value === null) {
    return mistake(locate(file, arg ?? call), `job "${jobId}" ${callee} takes a literal object so synth can compile the schedule`);
  }
  const plan = schedulePlanOf(callee, value.value as { cron?: unknown; seconds?: unknown });
  if ("problem" in plan) return mistake(locate(file, arg), `job "${jobId}" ${plan.problem}`);
  return {
    value: {
      plan: { event: scheduleEventName(jobId), source: SCHEDULE_SOURCE, schema: { ...SCHEDULED_PAYLOAD_SCHEMA }, schedule: plan.value },
    },
  };
}

function schedulePlanOf(
  callee: "cronTrigger" | "intervalTrigger",
  options: { cron?: unknown; seconds?: unknown },
): { value: SchedulePlan } | { problem: string } {
  if (callee === "cronTrigger") {
    if (typeof options.cron !== "string") return { problem: `cronTrigger needs cron: "<6-field AWS cron>"` };
    const problem = cronProblem(options.cron);
    return problem ? { problem: `cron "${options.cron}" ${problem}` } : { value: schedulePlan({ cron: options.cron }) };
  }
  const problem = intervalProblem(options.seconds);
  return problem ? { problem: `intervalTrigger ${problem}` } : { value: schedulePlan({ seconds: options.seconds as number }) };
}
