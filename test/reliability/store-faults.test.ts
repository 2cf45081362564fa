import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestEvent } from "../../lib/ingest/ingest-event.ts";
import type { Starter } from "../../lib/ingest/types.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";
import { ApiAuth } from "../../lib/local/auth.ts";
import { ChangeFeed } from "../../lib/local/change-feed.ts";
import type { JobRegistry } from "../../lib/local/job-registry.ts";
import { createRequestListener } from "../../lib/local/server.ts";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import type { EventStore } from "../../lib/ingest/types.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

/**
 * The store failing during ingest, on real dynalite behind the real request listener: the client gets 503 and may
 * retry with the same id; nothing half-written is visible; the retry completes the run start exactly once.
 */
const db = useDynalite();
const KEY = "tr_dev_store_faults_key_0123456789";
const plan = {
  id: "job",
  trigger: { event: "fault.event", schema: { type: "object" } },
};
let server: http.Server;
let url = "";
let events: DynamoEventStore;
const faults = { put: 0, start: 0 };
const started: string[] = [];

beforeAll(async () => {
  events = new DynamoEventStore({ client: db.client(), tableName: await db.freshTable() });
  // The store and the starter with injected failures: each fails the next N calls, then works.
  const faulty: EventStore = Object.assign(Object.create(events), {
    putEventIfAbsent: async (record: Parameters<EventStore["putEventIfAbsent"]>[0]) => {
      if (faults.put-- > 0)
        throw Object.assign(new Error("Throughput exceeds the current capacity"), { name: "ProvisionedThroughputExceededException" });
      return events.putEventIfAbsent(record);
    },
  });
  const starter: Starter = {
    async startRun(_jobId, runId) {
      if (faults.start-- > 0) throw new Error("the runtime is busy");
      const exists = started.includes(runId);
      if (!exists) started.push(runId);
      return exists ? "exists" : "started";
    },
  };
  const validators = compileValidators([plan]);
  const listener = await createRequestListener({
    auth: new ApiAuth(KEY),
    appId: "faults",
    registry: { list: () => [] } as unknown as JobRegistry,
    stores: { events, runs: undefined as never },
    changes: new ChangeFeed(),
    ingest: (incoming) => ingestEvent(incoming, { jobs: [plan], validators, events: faulty, starter }),
  });
  server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (id: string) =>
  fetch(`${url}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "fault.event", id, payload: {} }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

describe("store faults during ingest", () => {
  it("the store refusing the write: 503 UNAVAILABLE, nothing stored; the retry with the same id is accepted once", async () => {
    faults.put = 1;
    const first = await post("f-1");
    expect([first.status, first.body.error.code]).toEqual([503, "UNAVAILABLE"]);
    expect(first.body.error.message).toBe(
      "the event could not be recorded or its runs started (Throughput exceeds the current capacity); send it again with the same id: it will not start a second run",
    );
    expect(await events.getEvent("f-1")).toBeUndefined();
    expect(started).not.toContain("job--f-1");
    const retry = await post("f-1");
    expect([retry.status, retry.body]).toEqual([202, { id: "f-1", runs: [{ id: "job--f-1", jobId: "job" }] }]);
    expect(started.filter((r) => r === "job--f-1")).toHaveLength(1);
  });

  it("the run start failing after the record is written: 503; the retry (a duplicate) completes the start, once", async () => {
    faults.start = 1;
    const first = await post("f-2");
    expect(first.status).toBe(503);
    expect((await events.getEvent("f-2"))?.status).toBe("ACCEPTED");
    expect(started).not.toContain("job--f-2");
    const retry = await post("f-2");
    expect(retry.status).toBe(200);
    expect(started.filter((r) => r === "job--f-2")).toHaveLength(1);
    expect((await post("f-2")).status).toBe(200);
    expect(started.filter((r) => r === "job--f-2")).toHaveLength(1);
  });
});
