import type Ajv from "ajv";
import { escapePointerSegment } from "./validation-issues.ts";

/**
 * Where a trigger schema goes wrong, found from structure, never from ajv's message text: meta-schema violations
 * from ajv's error objects (`instancePath` is a pointer into the schema, which is the data the meta-schema checks),
 * strict-mode mistakes (an unknown keyword or format) by walking the schema against the keywords and formats
 * `ajv` knows, the way its strict mode judges them (https://ajv.js.org/strict-mode.html). `pointer` (RFC 6901) names
 * the keyword at fault, so synth can put file:line:col on it.
 */
export interface SchemaProblem {
  /** What ajv says (or, for strict mode, would say) about it. */
  readonly message: string;
  /** JSON pointer into the schema: the offending keyword. */
  readonly pointer: string;
}

/** The first problem of `schema` for `ajv` (with its options, keywords and formats), or undefined. */
export function schemaProblem(ajv: Ajv, schema: unknown): SchemaProblem | undefined {
  let valid: boolean;
  try {
    valid = ajv.validateSchema(schema as object) === true;
  } catch {
    // A `$schema` ajv does not know: compiling reports it.
    return undefined;
  }
  if (!valid) return { message: `schema is invalid: ${ajv.errorsText(ajv.errors)}`, pointer: ajv.errors?.[0]?.instancePath ?? "" };
  return strictModeProblem(ajv, schema, "");
}

/** Keywords whose value maps names to subschemas. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependencies", "dependentSchemas"]);
/** Keywords whose value is a subschema or an array of them. */
const SUBSCHEMAS = new Set([
  "items",
  "prefixItems",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "propertyNames",
  "contains",
  "not",
  "if",
  "then",
  "else",
  "allOf",
  "anyOf",
  "oneOf",
  "contentSchema",
]);

/** Depth first, in key order: a schema's own keywords, its format, then its subschemas. */
function strictModeProblem(ajv: Ajv, schema: unknown, at: string): SchemaProblem | undefined {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return undefined;
  const record = schema as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !ajv.RULES.keywords[key]);
  if (unknown !== undefined)
    return { message: `strict mode: unknown keyword: "${unknown}"`, pointer: `${at}/${escapePointerSegment(unknown)}` };
  const format = record.format;
  if (typeof format === "string" && ajv.formats[format] === undefined) {
    return { message: `unknown format "${format}" ignored in schema at path "#${at}"`, pointer: `${at}/format` };
  }
  for (const [key, value] of Object.entries(record)) {
    const problem = subschemaProblem(ajv, key, value, `${at}/${escapePointerSegment(key)}`);
    if (problem) return problem;
  }
  return undefined;
}

function subschemaProblem(ajv: Ajv, keyword: string, value: unknown, at: string): SchemaProblem | undefined {
  if (SCHEMA_MAPS.has(keyword) && value && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, sub] of Object.entries(value)) {
      // `dependencies` also maps names to lists of property names: those are not schemas.
      const problem = Array.isArray(sub) ? undefined : strictModeProblem(ajv, sub, `${at}/${escapePointerSegment(name)}`);
      if (problem) return problem;
    }
  }
  if (!SUBSCHEMAS.has(keyword)) return undefined;
  const items = Array.isArray(value) ? value.map((sub, i) => [sub, `${at}/${i}`] as const) : [[value, at] as const];
  for (const [sub, path] of items) {
    const problem = strictModeProblem(ajv, sub, path);
    if (problem) return problem;
  }
  return undefined;
}
