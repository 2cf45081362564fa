import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { SchemaCompileError } from "../../lib/ingest/errors.ts";
import {
  compileValidators,
  generateStandaloneValidators,
  toValidationIssues,
  type ValidatedJob,
  type Validators,
} from "../../lib/ingest/validate.ts";
import { tutorialPlans } from "./tutorial-jobs.ts";
import { defined } from "../helpers/defined.ts";

const { myFirstWorkflow, priorityWorkflow } = tutorialPlans();

// The example app's two jobs (the tutorial and its mini-challenge), plus one whose keywords need ajv runtime helpers.
const plans: ValidatedJob[] = [
  myFirstWorkflow,
  priorityWorkflow,
  {
    id: "job with/odd~id",
    trigger: {
      event: "odd.event",
      schema: {
        type: "object",
        properties: { name: { type: "string", maxLength: 3 }, tag: { enum: [{ a: 1 }, [2]] }, "a/b~c": { type: "number" } },
        required: ["a/b~c"],
      },
    },
  },
  {
    id: "signup",
    trigger: {
      event: "user.signed-up",
      schema: {
        type: "object",
        properties: {
          email: { type: "string", format: "email" },
          at: { type: "string", format: "date-time" },
          userId: { type: "string", format: "uuid" },
        },
        required: ["email"],
      },
    },
  },
];

function issuesOf(validators: Validators, jobId: string, payload: unknown) {
  const validate = defined(validators[jobId], `the validator of ${jobId}`);
  return validate(payload) ? [] : toValidationIssues(jobId, validate.errors);
}

describe("compileValidators + toValidationIssues (tutorial schema)", () => {
  const validators = compileValidators(plans);

  it("accepts the tutorial's payload", () => {
    expect(issuesOf(validators, "my-first-workflow", { message: "Hello World", shouldFail: true })).toEqual([]);
  });

  it("points at a missing property", () => {
    expect(issuesOf(validators, "my-first-workflow", { message: "Hello World" })).toEqual([
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
    ]);
  });

  it("points at a property of the wrong type", () => {
    expect(issuesOf(validators, "my-first-workflow", { message: "Hello World", shouldFail: "yes" })).toEqual([
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must be boolean" },
    ]);
  });

  it("points at an extra property and names it", () => {
    expect(issuesOf(validators, "my-first-workflow", { message: "Hello World", shouldFail: false, extra: 1 })).toEqual([
      { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
    ]);
  });

  it("reports every violation at once (allErrors)", () => {
    expect(issuesOf(validators, "my-first-workflow", { message: 42, extra: true })).toEqual([
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
      { jobId: "my-first-workflow", path: "/message", message: "must be string" },
    ]);
  });

  it("reports a payload that is not an object at the root pointer", () => {
    expect(issuesOf(validators, "my-first-workflow", "hello")).toEqual([
      { jobId: "my-first-workflow", path: "", message: "must be object" },
    ]);
  });

  it("escapes ~ and / in pointers (RFC 6901)", () => {
    expect(issuesOf(validators, "job with/odd~id", { name: "long" })).toEqual([
      { jobId: "job with/odd~id", path: "/a~1b~0c", message: "must have required property 'a/b~c'" },
      { jobId: "job with/odd~id", path: "/name", message: "must NOT have more than 3 characters" },
    ]);
  });

  it("checks JSON Schema formats (ajv-formats, full mode): each violation with its pointer", () => {
    expect(
      issuesOf(validators, "signup", {
        email: "ada@example.com",
        at: "2026-11-30T10:00:00Z",
        userId: "0b6f3c1e-4a59-4d1a-9a43-2f3b0f4d5e6a",
      }),
    ).toEqual([]);
    expect(issuesOf(validators, "signup", { email: "ada at example", at: "yesterday", userId: "42" })).toEqual([
      { jobId: "signup", path: "/email", message: 'must match format "email"' },
      { jobId: "signup", path: "/at", message: 'must match format "date-time"' },
      { jobId: "signup", path: "/userId", message: 'must match format "uuid"' },
    ]);
  });

  it("maps no errors to no issues", () => {
    expect(toValidationIssues("j", null)).toEqual([]);
    expect(toValidationIssues("j", undefined)).toEqual([]);
  });
});

describe("schema errors", () => {
  it("names the job whose schema is invalid", () => {
    const call = () => compileValidators([{ id: "bad", trigger: { event: "e", schema: { type: "strng" } } }]);
    expect(call).toThrow(SchemaCompileError);
    expect(call).toThrow(
      /^job "bad": its trigger schema does not compile: schema is invalid: data\/type must be equal to one of the allowed values/,
    );
  });

  it("rejects an unknown format instead of ignoring it (strict mode)", () => {
    const call = () => compileValidators([{ id: "mail", trigger: { event: "e", schema: { type: "string", format: "emial" } } }]);
    expect(call).toThrow('job "mail": its trigger schema does not compile: unknown format "emial" ignored in schema at path "#"');
  });

  it.each([
    ["a misspelt type (from ajv's error objects)", { type: "strng" }, "/type"],
    ["an unknown format", { type: "object", properties: { email: { type: "string", format: "emial" } } }, "/properties/email/format"],
    ["an unknown keyword in an item of anyOf", { anyOf: [{ type: "string" }, { type: "number", minimun: 0 }] }, "/anyOf/1/minimun"],
    ["an unknown keyword under a key with a slash", { properties: { "a/b": { maxLenght: 1 } } }, "/properties/a~1b/maxLenght"],
  ])("points at the keyword at fault: %s", (_case, schema, pointer) => {
    const error = (() => {
      try {
        compileValidators([{ id: "bad", trigger: { event: "e", schema } }]);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(SchemaCompileError);
    expect((error as SchemaCompileError).pointer).toBe(pointer);
  });

  it("rejects two jobs with one id", () => {
    const [plan] = plans;
    expect(() => compileValidators([defined(plan), defined(plan)])).toThrow(
      'job "my-first-workflow": its trigger schema does not compile: two jobs have this id',
    );
  });
});

describe("generateStandaloneValidators", () => {
  // Written inside the project so the module's `ajv/dist/runtime/*` imports resolve, as esbuild resolves them at synth.
  const cacheDir = join(process.cwd(), "node_modules", ".cache");
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, "stepjobs-validators-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is an ES module without require() that validates exactly like compileValidators", async () => {
    const source = generateStandaloneValidators(plans);
    expect(source).not.toMatch(/\brequire\(/);
    const file = join(dir, "validators.mjs");
    writeFileSync(file, source);
    const module = (await import(pathToFileURL(file).href)) as { default: Validators; validators: Validators };
    expect(module.default).toBe(module.validators);
    expect(Object.keys(module.validators)).toEqual(["my-first-workflow", "priority-workflow", "job with/odd~id", "signup"]);

    const runtime = compileValidators(plans);
    const payloads: unknown[] = [
      { message: "Hello World", shouldFail: true },
      { message: "Hello World" },
      { message: "Hello World", shouldFail: "yes" },
      { message: "Hello World", shouldFail: false, extra: 1 },
      { message: 1, priority: "urgent", more: [] },
      { message: "hi", shouldFail: false, priority: "high" },
      { "a/b~c": 1, name: "abcd", tag: { a: 1 } },
      { "a/b~c": "1", tag: [3] },
      { email: "ada@example.com", at: "2026-11-30T10:00:00+01:00" },
      { email: "not an email", at: "2026-02-30T10:00:00Z", userId: "x" },
      null,
      [],
    ];
    for (const plan of plans) {
      for (const payload of payloads) {
        expect(issuesOf(module.validators, plan.id, payload)).toEqual(issuesOf(runtime, plan.id, payload));
      }
    }
    expect(issuesOf(module.validators, "priority-workflow", { message: 1, priority: "urgent", more: [] })).toEqual([
      { jobId: "priority-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "priority-workflow", path: "/more", message: "must NOT have additional properties: more" },
      { jobId: "priority-workflow", path: "/message", message: "must be string" },
      { jobId: "priority-workflow", path: "/priority", message: "must be equal to one of the allowed values" },
    ]);
  });

  it("bundles with esbuild as the ingest Lambda's is (format functions included) and still checks formats", async () => {
    const file = join(dir, "bundled-entry.mjs");
    writeFileSync(file, generateStandaloneValidators(plans));
    const { outputFiles } = await build({
      entryPoints: [file],
      bundle: true,
      platform: "node",
      format: "esm",
      write: false,
      logLevel: "silent",
    });
    const bundled = join(dir, "bundled.mjs");
    const [bundle] = outputFiles;
    writeFileSync(bundled, defined(bundle, "the bundle").text);
    expect(bundle?.text).not.toMatch(/from "ajv/);
    const { validators } = (await import(pathToFileURL(bundled).href)) as { validators: Validators };
    expect(issuesOf(validators, "signup", { email: "nope" })).toEqual([
      { jobId: "signup", path: "/email", message: 'must match format "email"' },
    ]);
    expect(issuesOf(validators, "signup", { email: "ada@example.com" })).toEqual([]);
  });

  it("imports ajv's runtime helpers and ajv-formats' format functions with explicit .js specifiers", () => {
    const source = generateStandaloneValidators(plans);
    expect(source.split("\n").filter((line) => line.startsWith("import "))).toEqual([
      'import ajvRuntime0 from "ajv/dist/runtime/ucs2length.js";',
      'import ajvRuntime1 from "ajv/dist/runtime/equal.js";',
      'import ajvRuntime2 from "ajv-formats/dist/formats.js";',
    ]);
  });
});
