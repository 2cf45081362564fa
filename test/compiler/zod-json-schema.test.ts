import { describe, expect, it } from "vitest";
import { ZOD_EMAIL_SCHEMA, ZOD_POSITIVE_INT_SCHEMA } from "../helpers/zod.ts";
import { z } from "zod";
import { fieldOfSchemaPath, isZod3Schema, isZodSchema, jsonSchemaOfZod } from "../../lib/compiler/zod-json-schema.ts";

const RUNS = "zod runs it while parsing, and stepjobs validates events with JSON Schema, without zod";

describe("jsonSchemaOfZod", () => {
  it("converts a v2-style object schema to the draft-07 JSON Schema of the payloads zod accepts (no $schema, extra keys allowed)", () => {
    const schema = z.object({
      email: z.email(),
      plan: z.enum(["free", "pro"]),
      seats: z.number().int().min(1).optional(),
      tags: z.array(z.string().max(20)),
      address: z.object({ city: z.string() }).nullable(),
    });
    expect(jsonSchemaOfZod(schema)).toEqual({
      schema: {
        type: "object",
        properties: {
          email: ZOD_EMAIL_SCHEMA,
          plan: { type: "string", enum: ["free", "pro"] },
          seats: ZOD_POSITIVE_INT_SCHEMA,
          tags: { type: "array", items: { type: "string", maxLength: 20 } },
          address: { anyOf: [{ type: "object", properties: { city: { type: "string" } }, required: ["city"] }, { type: "null" }] },
        },
        required: ["email", "plan", "tags", "address"],
      },
    });
  });

  it("keeps z.strictObject's refusal of extra keys", () => {
    expect(jsonSchemaOfZod(z.strictObject({ a: z.string() }))).toEqual({
      schema: { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false },
    });
  });

  it.each([
    [
      "a transform",
      z.object({ a: z.string().transform((s) => s.length) }),
      ["properties", "a"],
      `.transform() changes the payload (${RUNS}): remove it and convert the value inside run`,
    ],
    [
      "z.preprocess",
      z.object({ a: z.preprocess((v) => v, z.number()) }),
      ["properties", "a"],
      `z.preprocess() changes the payload (${RUNS}): remove it and send the value already in shape`,
    ],
    [
      "a pipe",
      z.object({ a: z.string().pipe(z.email()) }),
      ["properties", "a"],
      ".pipe() chains a second schema JSON Schema cannot carry: write its checks on the first schema",
    ],
    [
      "a default",
      z.object({ a: z.number().default(3) }),
      ["properties", "a"],
      `.default() fills in a missing value (${RUNS}): make the field .optional() and apply the default inside run`,
    ],
    ["a catch", z.object({ a: z.number().catch(0) }), ["properties", "a"], `.catch() replaces an invalid value (${RUNS}): remove it`],
    [
      "coercion",
      z.object({ a: z.coerce.number() }),
      ["properties", "a"],
      `z.coerce converts the value (${RUNS}): drop .coerce so the event must hold the type itself`,
    ],
    [
      "a refinement",
      z.object({ a: z.string().refine((s) => s.startsWith("x")) }),
      ["properties", "a"],
      `.refine()/.superRefine() checks with code (${RUNS}): use zod's built-in checks (.min(), .regex(), z.email(), ...) or check inside run and throw NonRetriableError`,
    ],
    [
      "a superRefine on the object",
      z.object({ a: z.string() }).superRefine(() => {}),
      [],
      `.refine()/.superRefine() checks with code (${RUNS}): use zod's built-in checks (.min(), .regex(), z.email(), ...) or check inside run and throw NonRetriableError`,
    ],
    [
      "a trim",
      z.object({ a: z.array(z.string().trim()) }),
      ["properties", "a", "items"],
      `.trim()/.toLowerCase()/.toUpperCase()/.overwrite() rewrite the value (${RUNS}): remove it and normalise inside run`,
    ],
    [
      "a date",
      z.object({ at: z.date() }),
      ["properties", "at"],
      "Date cannot be represented in JSON Schema: use z.iso.datetime() (events are JSON: a date travels as an ISO string)",
    ],
    [
      "a bigint",
      z.object({ n: z.bigint() }),
      ["properties", "n"],
      "BigInt cannot be represented in JSON Schema: use z.number().int(), or a string for values beyond 2^53",
    ],
    [
      "a map",
      z.object({ m: z.map(z.string(), z.number()) }),
      ["properties", "m"],
      "Map cannot be represented in JSON Schema: use z.record()",
    ],
    [
      "z.custom",
      z.object({ c: z.custom<string>(() => true) }),
      ["properties", "c"],
      "Custom types cannot be represented in JSON Schema: use a type JSON can hold (string, number, boolean, null, object, array)",
    ],
  ])("refuses %s, at its path, saying what to write", (_name, schema, path, message) => {
    expect(jsonSchemaOfZod(schema)).toEqual({ problems: [{ path, message }] });
  });

  it("reports every problem of a schema, each once", () => {
    const schema = z.object({ a: z.date(), b: z.string().default("x") });
    const result = jsonSchemaOfZod(schema);
    expect("problems" in result && result.problems.map((p) => p.path)).toEqual([
      ["properties", "a"],
      ["properties", "b"],
    ]);
  });
});

describe("zod schema recognition", () => {
  it("tells zod 4 schemas from JSON Schema and from zod 3 schemas", () => {
    expect([isZodSchema(z.string()), isZodSchema({ type: "object" }), isZodSchema(null)]).toEqual([true, false, false]);
    const zod3Like = { _def: { typeName: "ZodString" }, safeParse: () => ({ success: true }) };
    expect([isZod3Schema(zod3Like), isZod3Schema(z.string()), isZod3Schema({ type: "object" })]).toEqual([true, false, false]);
  });
});

describe("fieldOfSchemaPath", () => {
  it.each([
    [[], "the payload"],
    [["properties", "email"], "email"],
    [["properties", "address", "properties", "city"], "address.city"],
    [["properties", "tags", "items"], "tags[]"],
    [["properties", "lines", "items", "properties", "sku"], "lines[].sku"],
    [["additionalProperties"], "[key]"],
    [["anyOf", 0, "properties", "kind"], "kind"],
  ])("%j is %s", (path, field) => {
    expect(fieldOfSchemaPath(path)).toBe(field);
  });
});
