import { defined } from "../helpers/defined.ts";
import { beforeAll, describe, expect, it } from "vitest";
import { flags } from "../fixtures/jobs/nondeterministic.ts";
import { ROOT } from "../helpers/load-job.ts";
import { ZOD_EMAIL_PATTERN } from "../helpers/zod.ts";
import { type JobTester, testJobs } from "../../lib/testing/index.ts";
import { EventValidationError } from "../../lib/sdk/errors.ts";

/**
 * `stepjobs/testing` as a user calls it: jobs run on their compiled state machines, in process, with time skipped.
 * Each case is what a user's test asserts: attempts, retries and their waits, mocks, validation, steps, cost.
 */
let app: JobTester;
let fixtures: JobTester;
let steps: JobTester;

beforeAll(async () => {
  app = await testJobs({ root: ROOT });
  fixtures = await testJobs({ root: ROOT, jobsDir: "test/fixtures/jobs" });
  steps = await testJobs({ root: ROOT, jobsDir: "test/fixtures/steps" });
});

describe("the tutorial job", () => {
  it("attempt 1 fails, the 1 s retry is skipped (and reported), attempt 2 succeeds, then send-confirmation", async () => {
    const run = await app.run("my-first-workflow", { message: "Hello!", shouldFail: true });
    expect([run.status, run.output]).toEqual(["SUCCEEDED", null]);
    expect(run.task("process-incoming-data").attempts.map((a) => [a.number, a.status, a.error?.message ?? null, a.retry])).toEqual([
      [1, "FAILED", "Simulated transient error during processing!", { afterSeconds: 1, jitter: false }],
      [2, "SUCCEEDED", null, null],
    ]);
    expect(run.task("process-incoming-data").result).toEqual({ status: "processed", originalMessage: "Hello!" });
    expect(run.task("send-confirmation").result).toEqual({ confirmationSent: true });
    expect(run.waitedSeconds).toBe(1);
    expect(run.logs.map((l) => l.message)).toEqual([
      "Received 'my.event' payload",
      "Processing data: Hello!",
      "Simulating a temporary failure for attempt 1...",
      "Processing data: Hello!",
      "Data processed successfully!",
      "Sending confirmation for: Hello!",
      "Workflow completed successfully!",
    ]);
    // What a Standard execution bills: every state entered, plus the retry.
    expect(run.statesEntered).toEqual(["Plan", "Route", "process-incoming-data", "Route", "send-confirmation", "Route", "Succeeded"]);
    expect(run.transitions).toBe(8);
  });

  it("a payload the schema rejects is an EventValidationError listing every violation, and nothing runs", async () => {
    const error = await app.run("my-first-workflow", { message: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues.map((i) => i.path).sort()).toEqual(["/message", "/shouldFail"]);
  });

  it("send(): an event runs every job listening to it", async () => {
    const runs = await app.send({ name: "priority.event", payload: { message: "m", shouldFail: true, priority: "high" }, id: "evt-9" });
    expect(runs.map((r) => [r.jobId, r.runId, r.status])).toEqual([["priority-workflow", "priority-workflow--evt-9", "SUCCEEDED"]]);
    expect(
      defined(runs[0], "the run")
        .task("process-incoming-data")
        .attempts.map((a) => a.status),
    ).toEqual(["FAILED", "FAILED", "SUCCEEDED"]);
    expect(await app.send({ name: "nobody.listens", payload: {} })).toEqual([]);
  });
});

describe("mocks", () => {
  it("a sequence per attempt (errors thrown, then a value); a plain value; the real callbacks of the others run", async () => {
    const run = await app.run(
      "my-first-workflow",
      { message: "m", shouldFail: false },
      {
        mocks: {
          "process-incoming-data": [new Error("down"), new Error("still down"), { status: "mocked", originalMessage: "from the mock" }],
        },
      },
    );
    expect(run.task("process-incoming-data").attempts.map((a) => [a.number, a.error?.message ?? null])).toEqual([
      [1, "down"],
      [2, "still down"],
      [3, null],
    ]);
    // send-confirmation ran its real callback on the mocked result (it logs the message it was given).
    expect(run.logs.map((l) => l.message)).toContain("Sending confirmation for: from the mock");
    expect(run.waitedSeconds).toBe(2);
  });

  it("a task that keeps failing fails the run after its attempts, with its error's name (what retryOn matches)", async () => {
    class PaymentDeclined extends Error {}
    const run = await app.run(
      "my-first-workflow",
      { message: "m", shouldFail: false },
      { mocks: { "process-incoming-data": new PaymentDeclined("no") } },
    );
    expect([run.status, run.error?.name, run.error?.message]).toEqual(["FAILED", "PaymentDeclined", "no"]);
    expect(run.task("process-incoming-data").attempts).toHaveLength(3);
    expect(run.task("process-incoming-data").error?.name).toBe("PaymentDeclined");
  });

  it("a function gets the task payload and context; a memo key mocks one call only", async () => {
    const seen: unknown[] = [];
    const run = await app.run(
      "my-first-workflow",
      { message: "m", shouldFail: false },
      {
        mocks: {
          "process-incoming-data#0": (payload: unknown, task) => {
            seen.push([payload, task.key, task.attempt.number]);
            return { originalMessage: "fn" };
          },
        },
      },
    );
    expect(seen).toEqual([[{ message: "m", shouldFail: false }, "process-incoming-data#0", 1]]);
    expect(run.task("process-incoming-data").result).toEqual({ originalMessage: "fn" });
  });
});

describe("jobs beyond the tutorial", () => {
  it("waits, sent events and parallel tasks: the steps, the events sent (not delivered), the waits skipped and reported", async () => {
    const run = await steps.run("fulfil-order", { orderId: "t-1", coolOffSeconds: 45 });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.steps.map((s) => (s.kind === "wait" ? [s.kind, s.key, s.seconds] : [s.kind, s.key, s.event.name]))).toEqual([
      ["wait", "wait:cool-off#0", 45],
      ["event", "event:notify#0", "order.fulfilled"],
    ]);
    expect(run.sentEvents.map((e) => [e.name, e.detail.payload])).toEqual([["order.fulfilled", { orderId: "t-1" }]]);
    expect(run.waitedSeconds).toBe(45);
    expect(run.statesEntered).toContain("Parallel");
    // The sent event, sent on, runs the job it triggers.
    const sent = defined(run.sentEvents[0], "the sent event");
    const [receipt] = await steps.send({ name: sent.name, payload: sent.detail.payload, id: sent.detail.id });
    expect([receipt?.jobId, receipt?.status]).toEqual(["send-receipt", "SUCCEEDED"]);
  });

  it("a job whose replay diverges fails its test with NonDeterminismError, naming both keys", async () => {
    flags.swap = false;
    const run = await fixtures.run(
      "nondeterministic",
      {},
      {
        mocks: {
          a: () => {
            flags.swap = true;
            return "a";
          },
        },
      },
    );
    flags.swap = false;
    expect([run.status, run.error?.name]).toEqual(["FAILED", "NonDeterminismError"]);
    expect(run.error?.message).toContain('"a#0"');
    expect(run.error?.message).toContain('"b#0"');
  });

  it("an unknown job is one clear error naming the jobs found", async () => {
    await expect(app.run("nope", {})).rejects.toThrow('no job "nope" (found: my-first-workflow, priority-workflow)');
  });
});

describe("trigger filters (test/fixtures/filters)", () => {
  let filters: JobTester;
  beforeAll(async () => {
    filters = await testJobs({ root: ROOT, jobsDir: "test/fixtures/filters" });
  });

  it("send() starts only the jobs whose filter the payload matches, as the deployed rules do", async () => {
    const big = await filters.send({
      name: "order.created",
      id: "o1",
      payload: { orderId: "o1", status: "paid", amount: 250, region: "us-east" },
    });
    expect(big.map((r) => [r.runId, r.status, r.output])).toEqual([["big-orders--o1", "SUCCEEDED", { reviewed: "o1", amount: 250 }]]);
    const eu = await filters.send({
      name: "order.created",
      id: "o2",
      payload: { orderId: "o2", status: "pending", region: "eu-west", vatId: "FR1" },
    });
    expect(eu.map((r) => r.runId)).toEqual(["eu-vat--o2"]);
    const both = await filters.send({
      name: "order.created",
      id: "o3",
      payload: { orderId: "o3", status: "paid", amount: 900, region: "eu-north", vatId: "SE1" },
    });
    expect(both.map((r) => r.runId)).toEqual(["big-orders--o3", "eu-vat--o3"]);
  });

  it("an event no filter matches starts nothing, and a job whose filter misses does not judge the payload by its schema", async () => {
    expect(await filters.send({ name: "order.created", payload: { orderId: "o4", status: "paid", amount: 50 } })).toEqual([]);
    // big-orders' schema wants an integer amount and an order id; its filter (paid, over 100) leaves this refund out.
    expect(await filters.send({ name: "order.created", payload: { status: "refunded", amount: "n/a" } })).toEqual([]);
  });

  it("a job whose filter matches still checks its schema", async () => {
    const error = await filters.send({ name: "order.created", payload: { orderId: "o5", region: "eu-west" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toEqual([
      { jobId: "eu-vat", path: "/vatId", message: "must have required property 'vatId'" },
    ]);
  });
});

describe("zod trigger schemas (test/fixtures/zod)", () => {
  let zodJobs: JobTester;
  beforeAll(async () => {
    zodJobs = await testJobs({ root: ROOT, jobsDir: "test/fixtures/zod" });
  });

  it("send() runs a job whose zod schema the payload matches, with the payload as sent", async () => {
    const runs = await zodJobs.send({ name: "user.created", id: "u1", payload: { email: "ada@example.com", plan: "pro" } });
    expect(runs.map((r) => [r.runId, r.status, r.output])).toEqual([
      ["welcome-user--u1", "SUCCEEDED", { to: "ada@example.com", plan: "pro", seats: 1 }],
    ]);
    const order = {
      orderId: "o1",
      amount: 12.5,
      currency: "EUR",
      lines: [
        { sku: "a", quantity: 2 },
        { sku: "b", quantity: 1 },
      ],
    };
    const fulfilled = await zodJobs.send({ name: "order.paid", id: "o1", payload: order });
    expect(fulfilled.map((r) => [r.runId, r.status, r.error, r.output])).toEqual([
      ["ship-order--o1", "SUCCEEDED", undefined, { orderId: "o1", units: 3 }],
    ]);
    expect(await zodJobs.send({ name: "order.paid", payload: { ...order, currency: "USD" } })).toEqual([]);
  });

  it("a payload the zod schema refuses is an EventValidationError naming each field, as ingest answers", async () => {
    const error = await zodJobs.send({ name: "user.created", payload: { email: "nope", plan: "team", seats: 0 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues.map((i) => [i.path, i.message])).toEqual([
      ["/email", `must match pattern "${ZOD_EMAIL_PATTERN}"`],
      ["/email", 'must match format "email"'],
      ["/plan", "must be equal to one of the allowed values"],
      ["/seats", "must be >= 1"],
    ]);
  });
});
