import type { JsonSchema } from "./api-types.ts";

/**
 * A payload that matches a job's JSON Schema, to pre-fill the Send Event editor: every declared property
 * with the simplest valid value (`const`, `default`, the first example or enum member, else "", 0, false, []).
 * Keywords outside the subset jobs use (`$ref`, `pattern`, `not`) are not solved; the editor's inline
 * validation then tells the user what to change.
 */
export function samplePayload(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 8) return {};
  if ("const" in schema) return schema.const;
  if ("default" in schema) return schema.default;
  if (schema.examples && schema.examples.length > 0) return schema.examples[0];
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const alternative = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (alternative) return samplePayload(alternative, depth + 1);
  if (schema.allOf && schema.allOf.length > 0) {
    return Object.assign({}, ...schema.allOf.map((part) => samplePayload(part, depth + 1)).filter(isPlainObject));
  }
  switch (primaryType(schema)) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, sub]) => [key, samplePayload(sub, depth + 1)]));
    case "array": {
      const items = Array.isArray(schema.items) ? schema.items : schema.items ? [schema.items] : [];
      const count = Math.max(schema.minItems ?? 0, Array.isArray(schema.items) ? items.length : 0);
      return Array.from({ length: count }, (_, i) => samplePayload(items[Math.min(i, items.length - 1)], depth + 1));
    }
    case "string":
      return sampleString(schema);
    case "integer":
      return sampleNumber(schema, true);
    case "number":
      return sampleNumber(schema, false);
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

/** The sample pretty-printed the way the editor shows it (two-space indent). */
export function samplePayloadText(schema: JsonSchema | undefined): string {
  return JSON.stringify(samplePayload(schema), null, 2);
}

/** Placeholder strings for common `format`s, so a pre-filled payload passes format checks. */
export const FORMAT_SAMPLES: Readonly<Record<string, string>> = {
  email: "user@example.com",
  uri: "https://example.com",
  url: "https://example.com",
  "date-time": "2024-01-01T00:00:00Z",
  date: "2024-01-01",
  time: "00:00:00Z",
  uuid: "00000000-0000-4000-8000-000000000000",
};

function primaryType(schema: JsonSchema): string | undefined {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const type = types.find((t) => t !== "null") ?? types[0];
  if (type) return type;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  return undefined;
}

function sampleString(schema: JsonSchema): string {
  const formatted = typeof schema.format === "string" ? FORMAT_SAMPLES[schema.format] : undefined;
  if (formatted) return formatted;
  const minLength = typeof schema.minLength === "number" ? schema.minLength : 0;
  return "x".repeat(minLength);
}

function sampleNumber(schema: JsonSchema, integer: boolean): number {
  const exclusive = typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : undefined;
  const lower = schema.minimum ?? exclusive ?? 0;
  return integer ? Math.ceil(lower) : lower;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
