import { describe, expect, it } from "vitest";
import { discoverJobs } from "../../lib/compiler/discover-jobs.ts";
import { defined } from "../helpers/defined.ts";

const header = `import { client } from "../trigger";\n`;
/** A job file whose run body and options are given; line 1 is the import. */
function job(id: string, body: string, trigger = `client.on("e", { schema: { type: "object" } })`): string {
  return `client.defineJob({\n  id: "${id}",\n  name: "N",\n  version: "1.0.0",\n  trigger: ${trigger},\n  run: async (payload, io, ctx) => {\n${body}\n  },\n});\n`;
}
const errorsOf = (files: Record<string, string>, readFile?: (p: string) => string | undefined) =>
  discoverJobs(
    Object.entries(files).map(([path, text]) => ({ path, text })),
    { readFile },
  ).errors.map((e) => e.message);

describe("discoverJobs finds jobs, triggers and tasks statically", () => {
  it("reads the trigger, tasks, options and client defaults", () => {
    const trigger = `import { TriggerClient } from "stepjobs";\nexport const client = new TriggerClient({ id: "app", defaults: { retry: { maxAttempts: 5 } } });\n`;
    const source =
      header +
      job(
        "j",
        `    await io.runTask("a", async () => 1, payload);\n    await io.runTask("b", async () => 2, payload, { retryDelayInMs: 1500 });`,
        `client.on("order.paid", { source: "shop", schema: { type: "object", properties: { n: { type: "number", minimum: -1 } } } })`,
      );
    const { plans, errors, warnings } = discoverJobs([{ path: "src/jobs/j.ts", text: source }], {
      readFile: (p) => (p === "src/trigger.ts" ? trigger : undefined),
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      {
        location: { file: "src/jobs/j.ts", line: 9, column: 51 },
        message:
          'io.runTask("b"): retry delay 1500 ms rounded up to 2 s: Step Functions IntervalSeconds is a whole number of seconds, at least 1',
      },
    ]);
    expect(plans).toEqual([
      {
        id: "j",
        name: "N",
        version: "1.0.0",
        location: { file: "src/jobs/j.ts", line: 2, column: 1 },
        trigger: { event: "order.paid", source: "shop", schema: { type: "object", properties: { n: { type: "number", minimum: -1 } } } },
        defaults: { maxAttempts: 5 },
        tasks: [
          {
            id: "a",
            match: "literal",
            stateName: "a",
            retry: {
              ErrorEquals: ["States.ALL"],
              IntervalSeconds: 1,
              MaxAttempts: 4,
              BackoffRate: 2,
              MaxDelaySeconds: 60,
              JitterStrategy: "FULL",
            },
            maxAttempts: 5,
            location: { file: "src/jobs/j.ts", line: 8, column: 11 },
          },
          {
            id: "b",
            match: "literal",
            stateName: "b",
            options: { retryDelayInMs: 1500 },
            retry: { ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 1 },
            maxAttempts: 5,
            location: { file: "src/jobs/j.ts", line: 9, column: 11 },
          },
        ],
      },
    ]);
  });

  it("renames a task whose id collides with a fixed state", () => {
    const { plans } = discoverJobs([{ path: "j.ts", text: header + job("j", `    await io.runTask("Route", async () => 1);`) }]);
    expect(defined(plans[0]).tasks.map((t) => t.stateName)).toEqual(["Task Route"]);
  });

  it("warns when the third argument looks like Trigger.dev v2 options (stepjobs reads it as the payload)", () => {
    const text = job(
      "j",
      `    await io.runTask("a", async () => 1, { retry: { limit: 3 }, name: "A" });\n    await io.runTask("b", async () => 1, { retry: 1, orderId: 7 });`,
    );
    expect(discoverJobs([{ path: "j.ts", text }]).warnings).toEqual([
      {
        location: { file: "j.ts", line: 7, column: 42 },
        message:
          'io.runTask("a"): the third argument looks like Trigger.dev v2 options, but in stepjobs it is the task\'s payload; pass options fourth: io.runTask(id, fn, undefined, options)',
      },
    ]);
  });

  it("reads a v2 filter, from client.on and from eventTrigger, as written (the rule's pattern is compiled from it)", () => {
    const filter = `filter: { status: ["paid"], amount: [{ $gt: 100 }], customer: { tier: [{ $anythingBut: "test" }] } }`;
    const source =
      header +
      `import { eventTrigger } from "stepjobs";\n` +
      job("on", "", `client.on("order.created", { schema: { type: "object" }, ${filter} })`) +
      job("v2", "", `eventTrigger({ name: "order.created", source: "shop", schema: { type: "object" }, ${filter} })`);
    const { plans, errors } = discoverJobs([{ path: "src/jobs/j.ts", text: source }]);
    expect(errors).toEqual([]);
    const written = { status: ["paid"], amount: [{ $gt: 100 }], customer: { tier: [{ $anythingBut: "test" }] } };
    expect(plans.map((p) => p.trigger)).toEqual([
      { event: "order.created", schema: { type: "object" }, filter: written },
      { event: "order.created", source: "shop", schema: { type: "object" }, filter: written },
    ]);
  });

  it("accepts options kept in a top-level const", () => {
    const text =
      `const RETRY = { maxAttempts: 2 } as const;\n` + header + job("j", `    await io.runTask("a", async () => 1, payload, RETRY);`);
    const { plans, errors } = discoverJobs([{ path: "j.ts", text }]);
    expect(errors).toEqual([]);
    expect(defined(plans[0]).tasks[0]?.maxAttempts).toBe(2);
  });
});

describe("discoverJobs reports job source errors as one line with file:line:col", () => {
  it.each([
    [
      "non-literal options",
      job("j", `    const opts = { maxAttempts: Number(process.env.N) };\n    await io.runTask("a", async () => 1, payload, opts);`),
      'j.ts:8:51: options of io.runTask("a") must be an object literal so synth can compile them into the task state\'s Retry; got `opts`',
    ],
    [
      "an option computed from a call",
      job("j", `    await io.runTask("a", async () => 1, payload, { maxAttempts: Math.max(1, 2) });`),
      'j.ts:7:66: options of io.runTask("a") must be an object literal so synth can compile them into the task state\'s Retry; got `Math.max(1, 2)`',
    ],
    [
      "maxAttempts: 0",
      job("j", `    await io.runTask("a", async () => 1, payload, { maxAttempts: 0 });`),
      'j.ts:7:66: io.runTask("a") maxAttempts must be an integer from 1 to 100000000, got 0',
    ],
    [
      "a negative delay",
      job("j", `    await io.runTask("a", async () => 1, payload, { retryDelayInMs: -5 });`),
      'j.ts:7:69: io.runTask("a") retryDelayInMs must be a number from 0 to 99999999000, got -5',
    ],
    [
      "a bad v2 retry.limit",
      job("j", `    await io.runTask("a", async () => 1, payload, { retry: { limit: 1.5 } });`),
      'j.ts:7:69: io.runTask("a") retry.limit must be an integer from 0 to 99999999, got 1.5',
    ],
    [
      "one task id with two retry policies",
      job(
        "j",
        `    await io.runTask("a", async () => 1, payload, { maxAttempts: 2 });\n    await io.runTask("a", async () => 1, payload, { maxAttempts: 3 });`,
      ),
      'j.ts:8:11: task id "a" in job "j" is also used at line 7 with different options; one id compiles to one state, so give it one retry policy or a different id',
    ],
    [
      "a missing trigger",
      `client.defineJob({ id: "j", name: "N", version: "1", run: async () => {} });`,
      'j.ts:1:18: job "j" has no trigger; add trigger: client.on("event.name", { schema })',
    ],
    [
      "a missing schema",
      job("j", "", `client.on("e", {})`),
      'j.ts:5:27: job "j" trigger "e" has no schema; add { schema: { type: "object", ... } } or a zod schema',
    ],
    [
      "a computed schema, when the compile cannot import modules (compileProject can: test/compiler/module-schemas.test.ts)",
      job("j", "", `client.on("e", { schema: makeSchema() })`),
      'j.ts:5:37: job "j" trigger schema is not literal JSON, and this compile cannot import the job\'s module to read it',
    ],
    [
      "a computed source beside a zod schema: the other options stay literal",
      job("j", "", `client.on("e", { schema: z.object({}), source: process.env.SOURCE })`),
      'j.ts:5:59: job "j" trigger options must be written in place as literal JSON (the schema may be a zod schema) so synth can read them',
    ],
    [
      "an unknown format in the schema (ajv strict mode): at the format keyword",
      job("j", "", `client.on("e", { schema: { type: "object", properties: { email: { type: "string", format: "emial" } } } })`),
      'j.ts:5:94: job "j": its trigger schema does not compile: unknown format "emial" ignored in schema at path "#/properties/email"',
    ],
    [
      "a misspelt type in the schema: at the type keyword",
      job("j", "", `client.on("e", { schema: { type: "strng" } })`),
      'j.ts:5:39: job "j": its trigger schema does not compile: schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf',
    ],
    [
      "an unknown keyword in the schema: at the keyword",
      job("j", "", `client.on("e", { schema: { type: "object", requird: ["a"] } })`),
      'j.ts:5:55: job "j": its trigger schema does not compile: strict mode: unknown keyword: "requird"',
    ],
    [
      "a computed filter: at the value, saying the filter must be literal",
      job("j", "", `client.on("e", { schema: { type: "object" }, filter: { status: [process.env.STATUS] } })`),
      'j.ts:5:76: job "j" trigger filter must be literal JSON so synth can compile it into the rule\'s event pattern',
    ],
    [
      "a filter EventBridge cannot express: at the matcher, saying what to write",
      job("j", "", `client.on("e", { schema: { type: "object" }, filter: { deletedAt: [{ $isNull: false }] } })`),
      'j.ts:5:79: job "j" trigger filter "deletedAt[0]": $isNull: false (any value but null, or none) has no EventBridge pattern; match the values you expect, or [{ $exists: true }] if the field is never null',
    ],
    [
      "a v2 matcher written outside its list: at the field",
      job("j", "", `eventTrigger({ name: "e", schema: { type: "object" }, filter: { amount: { $gt: 100 } } })`),
      'j.ts:5:76: job "j" trigger filter "amount": matchers go in a list: amount: [{ $gt: 100 }]',
    ],
    [
      "eventTrigger with a list of event names",
      job("j", "", `eventTrigger({ name: ["a", "b"], schema: { type: "object" } })`),
      'j.ts:5:33: job "j" trigger lists several event names; a job listens to one: define a job per event name (they can share a run function)',
    ],
    [
      "an unknown keyword deep in the schema: at that keyword (located from the schema's structure, not ajv's message)",
      job("j", "", `client.on("e", { schema: { type: "object", properties: { a: { type: "string", minLenght: 1 } } } })`),
      'j.ts:5:90: job "j": its trigger schema does not compile: strict mode: unknown keyword: "minLenght"',
    ],
    [
      "a non-literal id",
      `client.defineJob({ id: ID, name: "N", version: "1" });`,
      'j.ts:1:24: defineJob "id" must be a non-empty string literal',
    ],
    [
      "a trigger event name with a control character",
      `client.defineJob({ id: "j", name: "N", version: "1", trigger: client.on("order\\tpaid", { schema: {} }), run: async () => {} });`,
      'j.ts:1:63: job "j" trigger event name must be a string of 1 to 128 characters, without control characters',
    ],
    [
      "a missing run",
      `client.defineJob({ id: "j", name: "N", version: "1", trigger: client.on("e", { schema: {} }) });`,
      'j.ts:1:18: job "j" has no run function; add run: async (payload, io, ctx) => { ... }',
    ],
  ])("%s", (_name, text, message) => {
    expect(errorsOf({ "j.ts": text })).toEqual([message]);
  });

  it("a duplicate job id names both places", () => {
    expect(errorsOf({ "src/jobs/a.ts": job("same", ""), "src/jobs/b.ts": "\n" + job("same", "") })).toEqual([
      'src/jobs/b.ts:2:1: duplicate job id "same"; it is already defined at src/jobs/a.ts:1:1',
    ]);
  });

  it("a duplicate job id in a new file is the new file's error: the job already registered keeps its file (dev's reload)", () => {
    // "a-new.ts" sorts first, so without the owner the running job's file would be the one blamed.
    const files = [
      { path: "src/jobs/a-new.ts", text: job("same", "") },
      { path: "src/jobs/b-running.ts", text: "\n" + job("same", "") },
    ];
    const { plans, errors } = discoverJobs(files, { owners: new Map([["same", "src/jobs/b-running.ts"]]) });
    expect(plans.map((p) => [p.id, p.location.file])).toEqual([["same", "src/jobs/b-running.ts"]]);
    expect(errors.map((e) => e.message)).toEqual([
      'src/jobs/a-new.ts:1:1: duplicate job id "same"; it is already defined at src/jobs/b-running.ts:2:1',
    ]);
  });

  it("a syntax error is an error at its file:line:col with the compiler's message, and the file yields no job", () => {
    const broken = header + job("j", `    const options = {;\n    await io.runTask("t", async () => 1);`);
    const { plans, errors } = discoverJobs([
      { path: "src/jobs/broken.ts", text: broken },
      { path: "src/jobs/good.ts", text: job("good", "") },
    ]);
    expect(plans.map((p) => p.id)).toEqual(["good"]);
    expect(errors.map((e) => e.message)).toEqual(["src/jobs/broken.ts:8:22: Property assignment expected."]);
  });

  it("one bad job does not hide the good ones", () => {
    const { plans, errors } = discoverJobs([
      { path: "a.ts", text: job("good", `    await io.runTask("t", async () => 1);`) },
      { path: "b.ts", text: job("bad", `    await io.runTask("t", async () => 1, payload, { maxAttempts: -1 });`) },
    ]);
    expect(plans.map((p) => p.id)).toEqual(["good"]);
    expect(errors.map((e) => e.message)).toEqual(['b.ts:7:66: io.runTask("t") maxAttempts must be an integer from 1 to 100000000, got -1']);
  });
});
