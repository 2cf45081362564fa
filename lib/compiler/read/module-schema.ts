import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import type { JobDefinitionError } from "../../sdk/errors.ts";
import { findConstInitializer, unwrap } from "../evaluate-literal.ts";
import type { JobPlan } from "../job-plan.ts";
import type { FileSchemas, ModuleSchema } from "../module-schemas.ts";
import { fieldOfSchemaPath } from "../zod-json-schema.ts";
import { locate, objectProperty } from "./ast.ts";
import { checkSchemaCompiles } from "./trigger.ts";
import { failed, mistake } from "./types.ts";

/** A job whose trigger schema synth could not read from source (a zod schema): where it is written. */
export interface PendingSchema {
  readonly plan: JobPlan;
  readonly file: TS.SourceFile;
  readonly schemaNode: TS.Expression;
  readonly optionsNode: TS.Expression;
}

/** The port that imports job modules and returns their jobs' schemas (`readModuleSchemas` in a child process). */
export type ModuleSchemasPort = (
  requests: readonly { readonly file: string; readonly jobIds: readonly string[] }[],
) => Readonly<Record<string, FileSchemas>>;

/**
 * Fills in the schemas of `pending` jobs from their modules (one port call for all of them), each converted and then
 * compiled as ingest compiles it. A schema the module gives but JSON Schema cannot carry is a mistake at the part of
 * the zod expression it comes from, as far as that is written in place (`z.object({ email: ... })`).
 */
export function resolveModuleSchemas(
  pending: readonly PendingSchema[],
  port: ModuleSchemasPort | undefined,
): { readonly resolved: ReadonlyMap<JobPlan, JobPlan>; readonly errors: readonly JobDefinitionError[] } {
  const resolved = new Map<JobPlan, JobPlan>();
  const errors: JobDefinitionError[] = [];
  if (pending.length === 0) return { resolved, errors };
  const byFile = new Map<string, string[]>();
  for (const { plan, file } of pending) byFile.set(file.fileName, [...(byFile.get(file.fileName) ?? []), plan.id]);
  const answers = port?.([...byFile].map(([file, jobIds]) => ({ file, jobIds })));
  for (const job of pending) {
    const read = resolvedPlan(job, answers?.[job.file.fileName]);
    if ("errors" in read) errors.push(...read.errors);
    else resolved.set(job.plan, read.value);
  }
  return { resolved, errors };
}

function resolvedPlan({ plan, file, schemaNode, optionsNode }: PendingSchema, answer: FileSchemas | undefined) {
  const what = `job "${plan.id}" trigger schema`;
  if (!answer)
    return mistake(locate(file, schemaNode), `${what} is not literal JSON, and this compile cannot import the job's module to read it`);
  if ("importError" in answer)
    return mistake(locate(file, schemaNode), `${what}: importing ${file.fileName} to read it failed: ${firstLine(answer.importError)}`);
  const schema: ModuleSchema | undefined = answer.jobs[plan.id];
  if (!schema || "problem" in schema) return mistake(locate(file, schemaNode), `${what} ${schema?.problem ?? "was not found"}`);
  if ("problems" in schema) {
    const located = schema.problems.map((problem) => ({ problem, at: zodNodeAt(file, schemaNode, problem.path) }));
    located.sort((a, b) => a.at.getStart(file) - b.at.getStart(file));
    return {
      errors: located.flatMap(({ problem, at }) => {
        const field = problem.path.length > 0 ? ` at "${fieldOfSchemaPath(problem.path)}"` : "";
        return mistake(locate(file, at), `${what}${field}: ${problem.message}`).errors;
      }),
    };
  }
  const compiles = checkSchemaCompiles(file, plan.id, plan.trigger.event, schema.schema, optionsNode);
  if (failed(compiles)) return compiles;
  return { value: { ...plan, trigger: { ...plan.trigger, schema: schema.schema } } };
}

function firstLine(message: string): string {
  return message.split("\n").find((line) => line.trim() !== "") ?? message;
}

/**
 * The source of the part of a zod schema at a JSON Schema path, following `properties` into `z.object({...})`
 * (through chained calls such as `.strict()` and same-file constants) and `items` into `z.array(...)`; where the
 * source stops being written in place, the deepest node found.
 */
function zodNodeAt(file: TS.SourceFile, schemaNode: TS.Expression, path: readonly (string | number)[]): TS.Node {
  let at: TS.Node = schemaNode;
  let expr: TS.Expression | undefined = schemaNode;
  for (let i = 0; i < path.length && expr; i++) {
    const segment = path[i];
    if (segment === "properties") {
      const shape = zodCallArgument(file, expr, ["object", "strictObject", "looseObject"]);
      const property = shape && ts.isObjectLiteralExpression(shape) ? objectProperty(shape, String(path[++i])) : undefined;
      if (!property) break;
      at = ts.isPropertyAssignment(property.parent) ? property.parent : property;
      expr = property;
    } else if (segment === "items") {
      expr = zodCallArgument(file, expr, ["array"]);
      if (expr) at = expr;
    } else break;
  }
  return at;
}

/** The first argument of the `z.<name>(...)` call an expression is built on (`z.object({...}).strict()` -> `{...}`). */
function zodCallArgument(file: TS.SourceFile, node: TS.Expression, names: readonly string[]): TS.Expression | undefined {
  let current: TS.Expression | undefined = unwrap(node);
  const seen = new Set<string>();
  while (current) {
    if (ts.isIdentifier(current) && !seen.has(current.text)) {
      seen.add(current.text);
      current = findConstInitializer(file, current.text);
      current = current && unwrap(current);
    } else if (ts.isCallExpression(current) && ts.isPropertyAccessExpression(current.expression)) {
      if (names.includes(current.expression.name.text)) return current.arguments[0] && unwrap(current.arguments[0]);
      current = unwrap(current.expression.expression);
    } else return undefined;
  }
  return undefined;
}
