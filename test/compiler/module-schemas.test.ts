import path from "node:path";
import { describe, expect, it } from "vitest";
import { ZOD_EMAIL_SCHEMA, ZOD_POSITIVE_INT_SCHEMA } from "../helpers/zod.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = "zod runs it while parsing, and stepjobs validates events with JSON Schema, without zod";

/**
 * Zod trigger schemas (test/fixtures/zod, test/fixtures/bad-zod): synth imports the job module in a child process,
 * reads the job it registered and converts its schema with zod's `toJSONSchema`; the plan carries the JSON Schema,
 * which is what ingest's ajv validators, the API and the dashboard use.
 */
describe("trigger schemas read from the job's module", () => {
  const project = compileProject({ root: ROOT, jobsDir: "test/fixtures/zod" });

  it("compiles client.on with an inline z.object and eventTrigger with a schema imported from another module", () => {
    expect(project.errors).toEqual([]);
    const triggers = Object.fromEntries(project.jobs.map((j) => [j.plan.id, j.plan.trigger]));
    expect(triggers).toEqual({
      "welcome-user": {
        event: "user.created",
        schema: {
          type: "object",
          properties: {
            email: ZOD_EMAIL_SCHEMA,
            plan: { type: "string", enum: ["free", "pro"] },
            seats: ZOD_POSITIVE_INT_SCHEMA,
          },
          required: ["email", "plan"],
        },
      },
      "ship-order": {
        event: "order.paid",
        filter: { currency: ["EUR"] },
        schema: {
          type: "object",
          properties: {
            orderId: { type: "string", minLength: 1 },
            amount: { type: "number", exclusiveMinimum: 0 },
            currency: { type: "string", enum: ["EUR", "USD"] },
            lines: {
              type: "array",
              minItems: 1,
              items: {
                type: "object",
                properties: { sku: { type: "string" }, quantity: { type: "integer", minimum: 1, maximum: 9007199254740991 } },
                required: ["sku", "quantity"],
              },
            },
          },
          required: ["orderId", "amount", "currency", "lines"],
        },
      },
    });
  });

  it("the converted schema judges payloads as zod would (ajv, the validator ingest bundles)", () => {
    const validate = compileValidators(project.jobs.map((j) => j.plan))["welcome-user"]!;
    expect([
      validate({ email: "ada@example.com", plan: "pro" }),
      validate({ email: "ada@example.com", plan: "pro", seats: 3, extra: true }),
      validate({ email: "not an email", plan: "pro" }),
      validate({ email: "ada@example.com", plan: "team" }),
      validate({ email: "ada@example.com", plan: "free", seats: 0.5 }),
    ]).toEqual([true, true, false, false, false]);
  });

  it("a schema JSON Schema cannot carry is an error at the zod call, per field, saying what to change; a module that fails to import says why", () => {
    const bad = compileProject({ root: ROOT, jobsDir: "test/fixtures/bad-zod" });
    expect(bad.jobs).toEqual([]);
    expect(bad.errors.map((e) => e.message)).toEqual([
      `test/fixtures/bad-zod/refined.ts:11:7: job "refined" trigger schema at "code": .refine()/.superRefine() checks with code (${RUNS}): use zod's built-in checks (.min(), .regex(), z.email(), ...) or check inside run and throw NonRetriableError`,
      'test/fixtures/bad-zod/refined.ts:12:7: job "refined" trigger schema at "signedUpAt": Date cannot be represented in JSON Schema: use z.iso.datetime() (events are JSON: a date travels as an ISO string)',
      'test/fixtures/bad-zod/throws-on-import.ts:11:46: job "throws-on-import" trigger schema: importing test/fixtures/bad-zod/throws-on-import.ts to read it failed: STEPJOBS_FIXTURE_DATABASE_URL is not set',
      `test/fixtures/bad-zod/transformed.ts:4:28: job "transformed" trigger schema at "count": .transform() changes the payload (${RUNS}): remove it and convert the value inside run`,
    ]);
  });
});
