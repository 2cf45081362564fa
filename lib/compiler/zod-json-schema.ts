import { toJSONSchema } from "zod/v4/core";
import type { $ZodType } from "zod/v4/core";

/**
 * A zod schema turned into the JSON Schema ingest validates with (ajv, draft-07), by zod's own converter
 * (`toJSONSchema`, https://zod.dev/json-schema). Ingest never runs zod: what passes the JSON Schema is the payload the
 * run receives, as sent. So every part of a zod schema that changes the value while zod parses it (transforms,
 * defaults, coercion) or checks it with code (refinements) is refused, as is every type JSON cannot hold.
 */

/** Where in a zod schema something JSON Schema cannot carry sits, and what to write instead. */
export interface ZodSchemaProblem {
  /** The path in the generated JSON Schema (`["properties", "email"]`), which the compiler maps back to the source. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The conversion: the JSON Schema, or every problem found. */
export type ZodConversion = { readonly schema: Record<string, unknown> } | { readonly problems: readonly ZodSchemaProblem[] };

/** Whether `value` is a zod 4 schema (zod >= 4, or `zod/v4` of zod 3.25): the objects zod's converter reads. */
export function isZodSchema(value: unknown): value is $ZodType {
  return typeof value === "object" && value !== null && "_zod" in value;
}

/** Whether `value` looks like a zod 3 schema (`_def` and `safeParse`, no `_zod`), which zod 4's converter cannot read. */
export function isZod3Schema(value: unknown): boolean {
  return typeof value === "object" && value !== null && !("_zod" in value) && "_def" in value && "safeParse" in value;
}

/** Converts a zod 4 schema to the JSON Schema of the payloads it accepts, or says what to change. */
export function jsonSchemaOfZod(schema: $ZodType): ZodConversion {
  const problems: ZodSchemaProblem[] = [];
  const generated = toJSONSchema(schema, {
    target: "draft-07",
    // The input side: the JSON an event carries (the output side is after transforms, which are refused below).
    io: "input",
    unrepresentable: ({ path, message, zodSchema }) => {
      problems.push({ path: [...path], message: unrepresentableMessage(zodSchema._zod.def.type, message) });
      return "any";
    },
    override: ({ zodSchema, path }) => {
      const problem = parseTimeProblem(zodSchema);
      if (problem) problems.push({ path: [...path], message: problem });
    },
  }) as Record<string, unknown>;
  if (problems.length > 0) return { problems: uniqueProblems(problems) };
  const { $schema: _dialect, ...jsonSchema } = generated;
  return { schema: jsonSchema };
}

/** The part of a zod check this reads: its kind (`custom` for refinements, `overwrite` for trim and friends). */
interface ZodCheck {
  readonly _zod: { readonly def: { readonly check: string } };
}

const ZOD_RUNS_CODE = "zod runs it while parsing, and stepjobs validates events with JSON Schema, without zod";

/** What zod would do to (or check on) the value with code, which a JSON Schema cannot say. */
function parseTimeProblem(schema: $ZodType): string | undefined {
  const def = schema._zod.def as { type: string; coerce?: boolean; in?: $ZodType; out?: $ZodType; checks?: readonly ZodCheck[] };
  if (def.type === "pipe") {
    if (def.out?._zod.def.type === "transform")
      return `.transform() changes the payload (${ZOD_RUNS_CODE}): remove it and convert the value inside run`;
    if (def.in?._zod.def.type === "transform")
      return `z.preprocess() changes the payload (${ZOD_RUNS_CODE}): remove it and send the value already in shape`;
    return ".pipe() chains a second schema JSON Schema cannot carry: write its checks on the first schema";
  }
  if (def.type === "default" || def.type === "prefault")
    return `.${def.type}() fills in a missing value (${ZOD_RUNS_CODE}): make the field .optional() and apply the default inside run`;
  if (def.type === "catch") return `.catch() replaces an invalid value (${ZOD_RUNS_CODE}): remove it`;
  if (def.coerce) return `z.coerce converts the value (${ZOD_RUNS_CODE}): drop .coerce so the event must hold the type itself`;
  const kinds = new Set((def.checks ?? []).map((check) => check._zod.def.check));
  if (kinds.has("custom"))
    return `.refine()/.superRefine() checks with code (${ZOD_RUNS_CODE}): use zod's built-in checks (.min(), .regex(), z.email(), ...) or check inside run and throw NonRetriableError`;
  if (kinds.has("overwrite"))
    return `.trim()/.toLowerCase()/.toUpperCase()/.overwrite() rewrite the value (${ZOD_RUNS_CODE}): remove it and normalise inside run`;
  return undefined;
}

/** zod's own message for a type JSON has no value for, with what to write instead. */
function unrepresentableMessage(type: string, message: string): string {
  const instead: Record<string, string> = {
    date: "use z.iso.datetime() (events are JSON: a date travels as an ISO string)",
    bigint: "use z.number().int(), or a string for values beyond 2^53",
    undefined: "use .optional() on the field",
    void: "use .optional() on the field",
    map: "use z.record()",
    set: "use z.array()",
    nan: "use z.number()",
    transform: "remove .transform() and convert the value inside run",
  };
  return `${message.replace(/\.$/, "")}: ${instead[type] ?? "use a type JSON can hold (string, number, boolean, null, object, array)"}`;
}

/** zod visits a schema once per place it is used; report each place and message once. */
function uniqueProblems(problems: readonly ZodSchemaProblem[]): ZodSchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = JSON.stringify([problem.path, problem.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A JSON Schema path as the payload field it describes: `["properties", "a", "items"]` -> `a[]`. */
export function fieldOfSchemaPath(path: readonly (string | number)[]): string {
  let field = "";
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (segment === "properties" && i + 1 < path.length) field += `${field ? "." : ""}${String(path[++i])}`;
    else if (segment === "items" || segment === "prefixItems") field += "[]";
    else if (segment === "additionalProperties") field += "[key]";
  }
  return field || "the payload";
}
