import { describe, expect, it } from "vitest";
import { InvalidEventError, MissingValidatorError } from "../../lib/ingest/errors.ts";
import { fromBusEvent } from "../../lib/ingest/bus-event.ts";
import { ingestEvent, normalizeEvent, validateEvent, type IngestDeps } from "../../lib/ingest/ingest-event.ts";
import type { EventRecord, EventStore, IncomingEvent, Starter } from "../../lib/ingest/types.ts";
import { compileValidators, type ValidatedJob } from "../../lib/ingest/validate.ts";
import type { RunInput } from "../../lib/runtime/run-state.ts";
import { tutorialPlans } from "./tutorial-jobs.ts";

const jobs: ValidatedJob[] = [
  tutorialPlans().myFirstWorkflow,
  { id: "audit", trigger: { event: "my.event", schema: { type: "object" } } },
  { id: "billing-only", trigger: { event: "my.event", source: "billing", schema: { type: "object" } } },
  { id: "other", trigger: { event: "other.event", schema: { type: "object" } } },
];
const validators = compileValidators(jobs);

const NOW = new Date("2026-11-25T03:00:00.000Z");

/** `{ "a": { "a": ... 1 } }`, `depth` objects deep, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The EventStore port in memory: first write per id wins, as the DynamoDB conditional put does. */
class MemoryEventStore implements EventStore {
  readonly records = new Map<string, EventRecord>();
  async putEventIfAbsent(record: EventRecord) {
    const existing = this.records.get(record.id);
    if (existing) return { created: false, record: existing };
    this.records.set(record.id, record);
    return { created: true, record };
  }
  async getEvent(id: string) {
    return this.records.get(id);
  }
  async listEvents() {
    return [...this.records.values()].reverse();
  }
}

/** The Starter port as StartExecution behaves: one execution per name; failures injectable per job. */
class RecordingStarter implements Starter {
  readonly calls: { jobId: string; runId: string; input: RunInput }[] = [];
  readonly started = new Map<string, RunInput>();
  failNext = new Set<string>();
  async startRun(jobId: string, runId: string, input: RunInput) {
    this.calls.push({ jobId, runId, input });
    if (this.failNext.delete(jobId)) throw new Error(`throttled starting ${runId}`);
    if (this.started.has(runId)) return "exists" as const;
    this.started.set(runId, input);
    return "started" as const;
  }
}

function setup() {
  const events = new MemoryEventStore();
  const starter = new RecordingStarter();
  let n = 0;
  const deps: IngestDeps = { jobs, validators, events, starter, now: () => NOW, newId: () => `evt${++n}` };
  return { events, starter, deps };
}

const tutorialEvent: IncomingEvent = { name: "my.event", payload: { message: "Hello World", shouldFail: true } };

describe("normalizeEvent", () => {
  it("fills id, timestamp and source", () => {
    expect(normalizeEvent(tutorialEvent, NOW, () => "evt1")).toEqual({
      id: "evt1",
      name: "my.event",
      source: "stepjobs",
      payload: { message: "Hello World", shouldFail: true },
      timestamp: "2026-11-25T03:00:00.000Z",
    });
  });

  it("keeps what the client chose", () => {
    expect(normalizeEvent({ ...tutorialEvent, id: "client-1", timestamp: "2026-01-01T00:00:00Z", source: "billing" }, NOW)).toEqual({
      id: "client-1",
      name: "my.event",
      source: "billing",
      payload: { message: "Hello World", shouldFail: true },
      timestamp: "2026-01-01T00:00:00Z",
    });
  });

  it.each([
    [{ name: "", payload: {} }, "event name must be a non-empty string"],
    [{ name: 3, payload: {} }, "event name must be a non-empty string"],
    [{ name: "e", id: "", payload: {} }, "event id must be a string of 1 to 256 characters, without control characters"],
    [{ name: "e", id: "x".repeat(257), payload: {} }, "event id must be a string of 1 to 256 characters, without control characters"],
    [
      { name: "e", id: "a\r\nSet-Cookie: x=1", payload: {} },
      "event id must be a string of 1 to 256 characters, without control characters",
    ],
    [{ name: "e", source: "", payload: {} }, "event source must be a non-empty string"],
    [{ name: "x".repeat(129), payload: {} }, "event name must be a string of 1 to 128 characters, without control characters"],
    [{ name: "order\u001b[2Jpaid", payload: {} }, "event name must be a string of 1 to 128 characters, without control characters"],
    [{ name: "order.paid\n", payload: {} }, "event name must be a string of 1 to 128 characters, without control characters"],
    [
      { name: "e", payload: nested(513) },
      "event payload nests 513 levels deep; at most 512 are accepted (EventBridge processes JSON up to 1,000 levels, and deeper data never fits a run)",
    ],
    [{ name: "e", timestamp: "yesterday", payload: {} }, "event timestamp must be an ISO-8601 date-time"],
  ])("rejects %j", (incoming, message) => {
    const call = () => normalizeEvent(incoming as unknown as IncomingEvent, NOW);
    expect(call).toThrow(InvalidEventError);
    expect(call).toThrow(message);
  });
});

describe("validateEvent", () => {
  const event = normalizeEvent(tutorialEvent, NOW, () => "evt1");

  it("names one run per job whose pattern matches", () => {
    expect(validateEvent(event, jobs, validators)).toEqual({
      status: "ACCEPTED",
      errors: [],
      runs: [
        { id: "my-first-workflow--evt1", jobId: "my-first-workflow" },
        { id: "audit--evt1", jobId: "audit" },
      ],
    });
  });

  it("honours a trigger's source", () => {
    expect(validateEvent({ ...event, source: "billing" }, jobs, validators).runs).toEqual([
      { id: "my-first-workflow--evt1", jobId: "my-first-workflow" },
      { id: "audit--evt1", jobId: "audit" },
      { id: "billing-only--evt1", jobId: "billing-only" },
    ]);
  });

  it("rejects with every listener's issues and no runs", () => {
    expect(validateEvent({ ...event, payload: { message: "Hello World" } }, jobs, validators)).toEqual({
      status: "REJECTED",
      errors: [{ jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" }],
      runs: [],
    });
  });

  it("accepts an event no job listens to, with no runs", () => {
    expect(validateEvent({ ...event, name: "nobody.listens" }, jobs, validators)).toEqual({ status: "ACCEPTED", errors: [], runs: [] });
  });

  it("fails loudly when a listener has no validator", () => {
    expect(() => validateEvent(event, jobs, {})).toThrow(MissingValidatorError);
    expect(() => validateEvent(event, jobs, {})).toThrow('no payload validator for job "my-first-workflow"');
  });
});

describe("ingestEvent", () => {
  it("records a new accepted event and starts each run with the event as input", async () => {
    const { events, starter, deps } = setup();
    const result = await ingestEvent(tutorialEvent, deps);
    const record: EventRecord = {
      id: "evt1",
      name: "my.event",
      source: "stepjobs",
      payload: { message: "Hello World", shouldFail: true },
      timestamp: "2026-11-25T03:00:00.000Z",
      receivedAt: "2026-11-25T03:00:00.000Z",
      status: "ACCEPTED",
      errors: [],
      runs: [
        { id: "my-first-workflow--evt1", jobId: "my-first-workflow" },
        { id: "audit--evt1", jobId: "audit" },
      ],
    };
    expect(result).toEqual({ record, duplicate: false });
    expect(events.records.get("evt1")).toEqual(record);
    const event = {
      id: "evt1",
      name: "my.event",
      timestamp: "2026-11-25T03:00:00.000Z",
      payload: { message: "Hello World", shouldFail: true },
    };
    expect(starter.calls).toEqual([
      { jobId: "my-first-workflow", runId: "my-first-workflow--evt1", input: { runId: "my-first-workflow--evt1", event } },
      { jobId: "audit", runId: "audit--evt1", input: { runId: "audit--evt1", event } },
    ]);
  });

  it("records a rejected event with its issues and starts nothing", async () => {
    const { starter, deps } = setup();
    const result = await ingestEvent({ name: "my.event", payload: { message: "Hello World", shouldFail: "yes", extra: 1 } }, deps);
    expect(result).toEqual({
      duplicate: false,
      record: {
        id: "evt1",
        name: "my.event",
        source: "stepjobs",
        payload: { message: "Hello World", shouldFail: "yes", extra: 1 },
        timestamp: "2026-11-25T03:00:00.000Z",
        receivedAt: "2026-11-25T03:00:00.000Z",
        status: "REJECTED",
        errors: [
          { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
          { jobId: "my-first-workflow", path: "/shouldFail", message: "must be boolean" },
        ],
        runs: [],
      },
    });
    expect(starter.calls).toEqual([]);
  });

  it("records an event nobody listens to and starts nothing", async () => {
    const { starter, deps } = setup();
    const { record } = await ingestEvent({ name: "nobody.listens", payload: 1 }, deps);
    expect([record.status, record.runs, starter.calls]).toEqual(["ACCEPTED", [], []]);
  });

  it("returns the stored record for a duplicate id and never starts a second run", async () => {
    const { events, starter, deps } = setup();
    const first = await ingestEvent({ ...tutorialEvent, id: "client-1" }, deps);
    const again = await ingestEvent({ ...tutorialEvent, id: "client-1", payload: { message: "changed", shouldFail: false } }, deps);
    expect(again).toEqual({ record: first.record, duplicate: true, differs: ["payload"] });
    expect(events.records.size).toBe(1);
    expect([...starter.started.keys()]).toEqual(["my-first-workflow--client-1", "audit--client-1"]);
    // The duplicate re-sent the stored input (identical, so StartExecution would answer success/exists).
    expect(starter.calls.slice(2)).toEqual(starter.calls.slice(0, 2));
  });

  it("a duplicate says which parts of its body differ from the recorded event's (key order aside)", async () => {
    const { deps } = setup();
    await ingestEvent({ name: "other.event", id: "client-2", payload: { a: 1, b: [1, 2] } }, deps);
    expect((await ingestEvent({ name: "other.event", id: "client-2", payload: { b: [1, 2], a: 1 } }, deps)).differs).toEqual([]);
    expect((await ingestEvent({ name: "my.event", id: "client-2", payload: { a: 1, b: [1, 2] } }, deps)).differs).toEqual(["name"]);
    expect((await ingestEvent({ name: "my.event", id: "client-2", payload: { a: 2 } }, deps)).differs).toEqual(["name", "payload"]);
  });

  it("accepts a payload nested 512 levels deep, the most it takes", async () => {
    const { record } = await ingestEvent({ name: "other.event", payload: nested(512) }, setup().deps);
    expect(record.status).toBe("ACCEPTED");
  });

  it("completes the starts on retry after a partial failure", async () => {
    const { starter, deps } = setup();
    starter.failNext.add("audit");
    await expect(ingestEvent({ ...tutorialEvent, id: "client-2" }, deps)).rejects.toThrow("throttled starting audit--client-2");
    expect([...starter.started.keys()]).toEqual(["my-first-workflow--client-2"]);

    const retry = await ingestEvent({ ...tutorialEvent, id: "client-2" }, deps);
    expect(retry.duplicate).toBe(true);
    expect([...starter.started.keys()]).toEqual(["my-first-workflow--client-2", "audit--client-2"]);
    expect(starter.calls.map((c) => c.runId)).toEqual([
      "my-first-workflow--client-2",
      "audit--client-2",
      "my-first-workflow--client-2",
      "audit--client-2",
    ]);
  });

  it("does not start runs for a duplicate of a rejected event", async () => {
    const { starter, deps } = setup();
    await ingestEvent({ name: "my.event", id: "bad", payload: {} }, deps);
    const again = await ingestEvent({ ...tutorialEvent, id: "bad" }, deps);
    expect([again.duplicate, again.record.status, starter.calls]).toEqual([true, "REJECTED", []]);
  });

  it("propagates a store failure without starting anything", async () => {
    const { starter, deps } = setup();
    const events: EventStore = { ...deps.events, putEventIfAbsent: async () => Promise.reject(new Error("table unavailable")) };
    await expect(ingestEvent(tutorialEvent, { ...deps, events })).rejects.toThrow("table unavailable");
    expect(starter.calls).toEqual([]);
  });
});

describe("a trigger's filter: filter first, then schema", () => {
  // Big paid orders need an amount in cents; refunds go to another job. An order that misses big-orders' filter is not
  // checked against its schema, so a refund without `amount` is accepted (it starts only the refunds job).
  const filtered: ValidatedJob[] = [
    {
      id: "big-orders",
      trigger: {
        event: "order.created",
        schema: { type: "object", properties: { amount: { type: "integer" } }, required: ["amount"] },
        filter: { status: ["paid"], amount: [{ $gt: 100 }] },
      },
    },
    { id: "refunds", trigger: { event: "order.created", schema: { type: "object" }, filter: { status: ["refunded"] } } },
  ];
  const filteredValidators = compileValidators(filtered);
  const order = (payload: unknown) => normalizeEvent({ name: "order.created", id: "o1", payload }, NOW);

  it("starts only the jobs whose filter matches", () => {
    expect(validateEvent(order({ status: "paid", amount: 250 }), filtered, filteredValidators)).toEqual({
      status: "ACCEPTED",
      errors: [],
      runs: [{ id: "big-orders--o1", jobId: "big-orders" }],
    });
    expect(validateEvent(order({ status: "refunded" }), filtered, filteredValidators)).toEqual({
      status: "ACCEPTED",
      errors: [],
      runs: [{ id: "refunds--o1", jobId: "refunds" }],
    });
  });

  it("an event no filter matches is accepted with no runs (as an event no job listens to)", () => {
    expect(validateEvent(order({ status: "paid", amount: 50 }), filtered, filteredValidators)).toEqual({
      status: "ACCEPTED",
      errors: [],
      runs: [],
    });
  });

  it("a job whose filter misses never rejects the event with its schema", () => {
    // amount is a string: big-orders' schema would refuse it, but its filter (a number > 100) does not match.
    expect(validateEvent(order({ status: "paid", amount: "lots" }), filtered, filteredValidators).status).toBe("ACCEPTED");
  });

  it("a job whose filter matches checks its schema as before", () => {
    expect(validateEvent(order({ status: "paid", amount: 250.5 }), filtered, filteredValidators)).toEqual({
      status: "REJECTED",
      errors: [{ jobId: "big-orders", path: "/amount", message: "must be integer" }],
      runs: [],
    });
  });

  it("ingest records an event no filter matches and starts nothing", async () => {
    const { events, starter } = setup();
    const deps: IngestDeps = { jobs: filtered, validators: filteredValidators, events, starter, now: () => NOW };
    const { record } = await ingestEvent({ name: "order.created", id: "o2", payload: { status: "paid", amount: 5 } }, deps);
    expect([record.status, record.runs, starter.calls, events.records.has("o2")]).toEqual(["ACCEPTED", [], [], true]);
  });

  it("matches the event as the rule saw it: a detail put on the bus without the payload wrapper misses the filter", async () => {
    // `aws events put-events` with detail {"status":"paid",...}: the rule's pattern looks at detail.payload, which is
    // absent, so EventBridge does not deliver it for big-orders; ingest, given the delivered event, agrees.
    const { events, starter } = setup();
    const deps: IngestDeps = { jobs: filtered, validators: filteredValidators, events, starter, now: () => NOW };
    const delivered = { id: "eb-1", "detail-type": "order.created", source: "shop", detail: { status: "paid", amount: 250 } };
    const { record } = await ingestEvent(fromBusEvent(delivered), deps, delivered);
    expect([record.status, record.runs]).toEqual(["ACCEPTED", []]);
    const wrapped = { ...delivered, id: "eb-2", detail: { payload: { status: "paid", amount: 250 } } };
    expect((await ingestEvent(fromBusEvent(wrapped), deps, wrapped)).record.runs).toEqual([
      { id: "big-orders--eb-2", jobId: "big-orders" },
    ]);
  });
});
