import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonSchemaOfZod } from "../../lib/compiler/zod-json-schema.ts";
import { compileValidators, toValidationIssues } from "../../lib/ingest/validate.ts";
import type { JsonSchema } from "../../lib/dashboard/view/api-types.ts";
import { parseJsonText } from "../../lib/dashboard/view/parse-json.ts";
import { FORMAT_SAMPLES, samplePayload, samplePayloadText } from "../../lib/dashboard/view/sample-payload.ts";
import { listenersOf, validatePayload } from "../../lib/dashboard/view/validate-payload.ts";

const tutorialSchema: JsonSchema = {
  type: "object",
  properties: { message: { type: "string" }, shouldFail: { type: "boolean" } },
  required: ["message", "shouldFail"],
  additionalProperties: false,
};
const priorityJob = {
  id: "priority-workflow",
  trigger: {
    event: "priority.event",
    schema: {
      type: "object",
      properties: { message: { type: "string" }, shouldFail: { type: "boolean" }, priority: { type: "string", enum: ["high", "low"] } },
      required: ["message", "shouldFail", "priority"],
      additionalProperties: false,
    },
  },
};
const tutorialJob = { id: "my-first-workflow", trigger: { event: "my.event", schema: tutorialSchema } };

describe("samplePayload pre-fills the editor with a payload the schema accepts", () => {
  it("the tutorial schema", () => {
    expect(samplePayloadText(tutorialSchema)).toBe('{\n  "message": "",\n  "shouldFail": false\n}');
  });
  it.each<[string, JsonSchema, unknown]>([
    ["enum takes its first member", { type: "string", enum: ["high", "low"] }, "high"],
    ["const wins", { const: 42, type: "number" }, 42],
    ["default wins over type", { type: "string", default: "hello" }, "hello"],
    ["examples", { type: "string", examples: ["ex"] }, "ex"],
    ["minLength", { type: "string", minLength: 3 }, "xxx"],
    ["format email", { type: "string", format: "email" }, "user@example.com"],
    ["integer minimum", { type: "integer", minimum: 2.5 }, 3],
    ["integer exclusiveMinimum", { type: "integer", exclusiveMinimum: 0 }, 1],
    ["nullable string", { type: ["null", "string"] }, ""],
    ["array with minItems", { type: "array", items: { type: "boolean" }, minItems: 2 }, [false, false]],
    ["nested object without type", { properties: { a: { type: "object", properties: { b: { type: "number" } } } } }, { a: { b: 0 } }],
    ["anyOf takes the first", { anyOf: [{ type: "boolean" }, { type: "string" }] }, false],
    [
      "allOf merges objects",
      { allOf: [{ properties: { a: { type: "string" } } }, { properties: { b: { type: "null" } } }] },
      { a: "", b: null },
    ],
  ])("%s", (_, schema, value) => {
    expect(samplePayload(schema)).toEqual(value);
  });
  it("every sample passes its own schema", () => {
    expect(validatePayload([priorityJob], samplePayload(priorityJob.trigger.schema))).toEqual([]);
  });
  it.each(Object.entries(FORMAT_SAMPLES))("the %s placeholder passes the format check the API makes", (format, sample) => {
    const job = { id: "f", trigger: { event: "e", schema: { type: "string", format } } };
    expect(validatePayload([job], sample)).toEqual([]);
    expect(validatePayload([job], "?")).toEqual([{ jobId: "f", path: "", message: `must match format "${format}"` }]);
  });
});

describe("validatePayload reports what the API would reject, by JSON pointer, before sending", () => {
  it("a wrong type, a missing and an extra property, per listening job", () => {
    expect(validatePayload([tutorialJob, priorityJob], { message: 42, extra: 1 })).toEqual([
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
      { jobId: "my-first-workflow", path: "/message", message: "must be string" },
      { jobId: "priority-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "priority-workflow", path: "/priority", message: "must have required property 'priority'" },
      { jobId: "priority-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
      { jobId: "priority-workflow", path: "/message", message: "must be string" },
    ]);
  });
  it("the tutorial payload passes", () => {
    expect(validatePayload([tutorialJob], { message: "Hello from Trigger.dev!", shouldFail: true })).toEqual([]);
  });
  it("an enum violation names the allowed values", () => {
    expect(validatePayload([priorityJob], { message: "m", shouldFail: true, priority: "urgent" })).toEqual([
      { jobId: "priority-workflow", path: "/priority", message: "must be equal to one of the allowed values" },
    ]);
  });
  it("a schema that does not compile is one issue, not a crash", () => {
    expect(validatePayload([{ id: "j", trigger: { event: "e", schema: { type: "no-such-type" } } }], {})).toEqual([
      { jobId: "j", path: "", message: expect.stringMatching(/^schema does not compile: /) },
    ]);
  });
});

describe("parseJsonText locates a syntax error by line and column", () => {
  it("valid JSON", () => {
    expect(parseJsonText('{"a": [1, true]}')).toEqual({ ok: true, value: { a: [1, true] } });
  });
  it("a trailing comma on line 3", () => {
    const result = parseJsonText('{\n  "a": 1,\n  }');
    expect(result).toMatchObject({ ok: false, line: 3, column: 3 });
    expect(result.ok === false && result.message).not.toMatch(/position/);
  });
  it.each([
    ['{"message": }', 1, 13, "Unexpected token '}'"],
    ['{\n  "shouldFail": tru\n}', 2, 20, undefined],
    ['{"a": 1', 1, 8, undefined],
  ])("%j fails at line %s, column %s", (text, line, column, message) => {
    const result = parseJsonText(text);
    expect(result).toMatchObject({ ok: false, line, column });
    if (message) expect(result.ok === false && result.message).toBe(message);
  });
  it("empty text ends at line 1 column 1", () => {
    expect(parseJsonText("")).toMatchObject({ ok: false, line: 1, column: 1 });
  });
});

describe("listenersOf: the jobs an event from the Send Event dialog starts, by their rule pattern", () => {
  const bigOrders = {
    id: "big-orders",
    trigger: {
      event: "order.created",
      schema: { type: "object", required: ["amount"], properties: { amount: { type: "integer" } } } as JsonSchema,
      pattern: { "detail-type": ["order.created"], detail: { payload: { status: ["paid"], amount: [{ numeric: [">", 100] }] } } },
    },
  };
  const billingOnly = {
    id: "billing-only",
    trigger: { event: "order.created", schema: {}, pattern: { "detail-type": ["order.created"], source: ["billing"] } },
  };
  const jobs = [bigOrders, billingOnly, tutorialJob];

  it("a job whose filter misses is not a listener, so its schema does not judge the payload", () => {
    expect(listenersOf(jobs, "order.created", { status: "paid", amount: 250 }).map((j) => j.id)).toEqual(["big-orders"]);
    expect(listenersOf(jobs, "order.created", { status: "refunded", amount: "n/a" })).toEqual([]);
    expect(validatePayload(listenersOf(jobs, "order.created", { status: "refunded", amount: "n/a" }), {})).toEqual([]);
  });

  it("a job on another source does not hear the dialog's events (sent with source stepjobs); without a pattern, the name decides", () => {
    expect(listenersOf([billingOnly], "order.created", {})).toEqual([]);
    expect(listenersOf([tutorialJob], "my.event", {}).map((j) => j.id)).toEqual(["my-first-workflow"]);
  });
});

describe("a zod trigger schema in the Send Event dialog (the JSON Schema synth converted it to)", () => {
  const converted = jsonSchemaOfZod(
    z.object({ email: z.email(), plan: z.enum(["free", "pro"]), seats: z.number().int().min(1).optional() }),
  );
  const schema = ("schema" in converted ? converted.schema : {}) as JsonSchema;
  const job = { id: "welcome-user", trigger: { event: "user.created", schema } };

  it("pre-fills a payload the schema accepts, and flags what the API would refuse with the API's own issues", () => {
    expect(validatePayload([job], samplePayload(schema))).toEqual([]);
    const payload = { email: "nope", plan: "team" };
    const server = compileValidators([{ id: job.id, trigger: { event: "user.created", schema } }])[job.id]!;
    expect(server(payload)).toBe(false);
    expect(validatePayload([job], payload)).toEqual(toValidationIssues(job.id, server.errors));
    expect(validatePayload([job], payload).map((i) => i.path)).toEqual(["/email", "/email", "/plan"]);
  });
});
