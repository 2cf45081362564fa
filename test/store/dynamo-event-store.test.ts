import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { compileValidators } from "../../lib/ingest/validate.ts";
import { ingestEvent } from "../../lib/ingest/ingest-event.ts";
import type { EventRecord, Starter } from "../../lib/ingest/types.ts";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import { useDynalite } from "./dynalite-fixture.ts";

const db = useDynalite();

async function store(options: { retentionSeconds?: number; now?: () => Date } = {}) {
  return new DynamoEventStore({ client: db.client(), tableName: await db.freshTable(), ...options });
}

function event(id: string, receivedAt: string, overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    id,
    name: "my.event",
    source: "stepjobs",
    payload: { message: "Hello World", shouldFail: true },
    timestamp: receivedAt,
    receivedAt,
    status: "ACCEPTED",
    errors: [],
    runs: [{ id: `my-first-workflow--${id}`, jobId: "my-first-workflow" }],
    ...overrides,
  };
}

describe("DynamoEventStore on dynalite", () => {
  it("stores an event once and returns the first record for its id", async () => {
    const events = await store();
    const first = event("evt1", "2026-11-25T03:00:00.000Z");
    expect(await events.putEventIfAbsent(first)).toEqual({ created: true, record: first });
    const second = event("evt1", "2026-11-25T03:00:05.000Z", { payload: { other: true } });
    expect(await events.putEventIfAbsent(second)).toEqual({ created: false, record: first });
    expect(await events.getEvent("evt1")).toEqual(first);
  });

  it("keeps payloads DynamoDB's native types would alter", async () => {
    const events = await store();
    const odd = event("odd", "2026-11-25T03:00:00.000Z", {
      payload: { big: 1e300, precise: 0.1 + 0.2, empty: "", nested: [[], {}, null], unicode: "✓" },
      status: "REJECTED",
      errors: [{ jobId: "j", path: "", message: "must be object" }],
      runs: [],
    });
    await events.putEventIfAbsent(odd);
    expect(await events.getEvent("odd")).toEqual(odd);
  });

  it("answers undefined for an unknown id", async () => {
    expect(await (await store()).getEvent("missing")).toBeUndefined();
  });

  it("lists newest first, by name, up to a limit", async () => {
    const events = await store();
    const a = event("a", "2026-11-25T03:00:01.000Z");
    const b = event("b", "2026-11-25T03:00:02.000Z", { name: "other.event" });
    const c = event("c", "2026-11-25T03:00:03.000Z");
    for (const record of [b, a, c]) await events.putEventIfAbsent(record);
    expect(await events.listEvents()).toEqual([c, b, a]);
    expect(await events.listEvents({ limit: 2 })).toEqual([c, b]);
    expect(await events.listEvents({ name: "my.event" })).toEqual([c, a]);
    expect(await events.listEvents({ name: "my.event", limit: 1 })).toEqual([c]);
    expect(await events.listEvents({ name: "nobody" })).toEqual([]);
  });

  it("pages through more items than one query returns", async () => {
    const events = await store();
    const all = Array.from({ length: 230 }, (_, i) =>
      event(`e${String(i).padStart(3, "0")}`, `2026-11-25T03:00:00.${String(i).padStart(3, "0")}Z`),
    );
    for (const record of all) await events.putEventIfAbsent(record);
    const listed = await events.listEvents({ limit: 1000 });
    expect(listed.map((e) => e.id)).toEqual(all.map((e) => e.id).reverse());
    const filtered = await events.listEvents({ name: "my.event", limit: 150 });
    expect(filtered).toHaveLength(150);
  });

  it("pages newest first with an opaque cursor, through a name filter", async () => {
    const events = await store();
    const all = Array.from({ length: 120 }, (_, i) =>
      event(`e${String(i).padStart(3, "0")}`, `2026-11-25T03:00:00.${String(i).padStart(3, "0")}Z`, i % 2 ? { name: "other.event" } : {}),
    );
    for (const record of all) await events.putEventIfAbsent(record);
    const seen: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await events.listEventsPage({ name: "my.event", limit: 25, cursor });
      seen.push(page.items.map((e) => e.id));
      cursor = page.cursor;
    } while (cursor);
    expect(seen.map((p) => p.length)).toEqual([25, 25, 10]);
    expect(seen.flat()).toEqual(
      all
        .filter((e) => e.name === "my.event")
        .map((e) => e.id)
        .reverse(),
    );
  });

  it("rejects a limit that is not a positive integer", async () => {
    await expect((await store()).listEvents({ limit: 0 })).rejects.toThrow("limit must be a positive integer, got 0");
  });

  it("sets expiresAt (epoch seconds) when retention is configured", async () => {
    const tableName = await db.freshTable();
    const now = () => new Date("2026-11-25T03:00:00.000Z");
    const events = new DynamoEventStore({ client: db.client(), tableName, retentionSeconds: 3600, now });
    await events.putEventIfAbsent(event("ttl", "2026-11-25T03:00:00.000Z"));
    const { Item } = await db.client().send(new GetCommand({ TableName: tableName, Key: { pk: "EVENT#ttl", sk: "EVENT" } }));
    expect(Item?.expiresAt).toBe(Date.UTC(2026, 10, 25, 4, 0, 0) / 1000);
  });

  it("dedupes through ingestEvent exactly as the port promises", async () => {
    const events = await store();
    const jobs = [{ id: "my-first-workflow", trigger: { event: "my.event", schema: { type: "object" } } }];
    const started: string[] = [];
    const starter: Starter = {
      startRun: async (_jobId, runId) => (started.includes(runId) ? "exists" : (started.push(runId), "started")),
    };
    const deps = { jobs, validators: compileValidators(jobs), events, starter, now: () => new Date("2026-11-25T03:00:00.000Z") };
    const first = await ingestEvent({ id: "client-1", name: "my.event", payload: {} }, deps);
    const again = await ingestEvent({ id: "client-1", name: "my.event", payload: { changed: true } }, deps);
    expect(again).toEqual({ record: first.record, duplicate: true, differs: ["payload"] });
    expect(started).toEqual(["my-first-workflow--client-1"]);
  });
});
