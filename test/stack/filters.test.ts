import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TriggerClient } from "../../lib/sdk/index.ts";
import { ApiRequestError, EventValidationError } from "../../lib/sdk/errors.ts";
import { DeployedApp } from "./lane.ts";
import { type Assembly, synthesize } from "./synth.ts";

/**
 * Trigger filters and `client.sendEvent`, as deployed: the filter fixtures' cloud assembly in the simulated account.
 * The rules' event patterns are the template's, matched by EventBridge (the simulator applies them as written), so an
 * event that misses every filter never reaches the ingest queue; one that matches starts an execution.
 */
let assembly: Assembly;
let app: DeployedApp;

beforeAll(async () => {
  assembly = synthesize({ stackName: "Filters", jobsDir: "test/fixtures/filters" });
  app = await DeployedApp.deploy(assembly);
});
afterAll(async () => {
  await app?.close();
});

/** The executions whose name is a run of event `eventId`, as `<jobId>` list. */
function jobsStartedBy(eventId: string): string[] {
  return [...app.cloud.sfn.executions.values()]
    .filter((e) => e.name.endsWith(`--${eventId}`))
    .map((e) => e.name.slice(0, -`--${eventId}`.length))
    .sort();
}

/** The event ids ingest processed (its one JSON line per event). */
function ingested(): string[] {
  const ingest = [...app.cloud.lambda.functions.values()].find((f) => f.name.includes("Ingest"))!;
  return ingest.logs.filter((l) => l.startsWith('{"eventId"')).map((l) => (JSON.parse(l) as { eventId: string }).eventId);
}

describe("trigger filters, as deployed", () => {
  it("each job's rule carries its compiled filter under detail.payload", () => {
    const patterns = assembly
      .resources("AWS::Events::Rule")
      .map((r) => r.resource.Properties.EventPattern)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(patterns).toEqual([
      { "detail-type": ["order.created"], detail: { payload: { region: [{ prefix: "eu-" }] } } },
      { "detail-type": ["order.created"], detail: { payload: { status: ["paid"], amount: [{ numeric: [">", 100] }] } } },
    ]);
  });

  it("straight onto the bus: an event that misses every filter starts no execution (no rule delivers it); one that matches does", async () => {
    await app.putEvent({
      name: "order.created",
      detail: { id: "bus-miss", payload: { orderId: "b0", status: "paid", amount: 50, region: "us-east" } },
    });
    await app.putEvent({
      name: "order.created",
      detail: { id: "bus-hit", payload: { orderId: "b1", status: "paid", amount: 150, region: "us-east" } },
    });
    const run = await app.run("big-orders--bus-hit");
    expect([run.status, JSON.parse(run.output ?? "null")]).toEqual(["SUCCEEDED", { reviewed: "b1", amount: 150 }]);
    expect(jobsStartedBy("bus-miss")).toEqual([]);
    expect(ingested()).toContain("bus-hit");
    expect(ingested()).not.toContain("bus-miss");
    app.expectNoDenials();
  });

  it("through the API: both jobs, one, or none, as their filters say; a refund big-orders' schema would refuse is accepted", async () => {
    const cases: [string, unknown, string[]][] = [
      ["api-both", { orderId: "a1", status: "paid", amount: 900, region: "eu-north", vatId: "SE1" }, ["big-orders", "eu-vat"]],
      ["api-eu", { orderId: "a2", status: "pending", region: "eu-west", vatId: "FR1" }, ["eu-vat"]],
      ["api-none", { orderId: "a3", status: "paid", amount: 20, region: "us-west" }, []],
      ["api-refund", { status: "refunded", amount: "n/a" }, []],
    ];
    for (const [id, payload, jobs] of cases) {
      const answer = await app.post({ name: "order.created", id, payload });
      expect([id, answer.status, answer.body.runs.map((r: { jobId: string }) => r.jobId)]).toEqual([id, 202, jobs]);
    }
    await app.cloud.settled();
    for (const [id, , jobs] of cases) expect([id, jobsStartedBy(id)]).toEqual([id, jobs]);
    app.expectNoDenials();
  });
});

describe("client.sendEvent against the deployed API (its function URL)", () => {
  const client = () => new TriggerClient({ id: "app", apiUrl: app.output("ApiUrl"), apiKey: app.apiKey });

  it("answers the event id and the runs; the execution runs", async () => {
    const result = await client().sendEvent({
      name: "order.created",
      id: "sdk-1",
      payload: { orderId: "s1", status: "paid", amount: 400 },
    });
    expect(result).toEqual({ id: "sdk-1", runs: [{ id: "big-orders--sdk-1", jobId: "big-orders" }] });
    expect((await app.run("big-orders--sdk-1")).status).toBe("SUCCEEDED");
    const [miss] = await client().sendEvents([{ name: "order.created", id: "sdk-2", payload: { orderId: "s2", status: "draft" } }]);
    expect(miss).toEqual({ id: "sdk-2", runs: [] });
    await app.cloud.settled();
    expect(jobsStartedBy("sdk-2")).toEqual([]);
    app.expectNoDenials();
  });

  it("the deployed API's refusals: EventValidationError with JSON pointers; a wrong key is a 401 ApiRequestError", async () => {
    const invalid = await client()
      .sendEvent({ name: "order.created", payload: { orderId: "s3", region: "eu-east" } })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(EventValidationError);
    expect((invalid as EventValidationError).issues).toEqual([
      { jobId: "eu-vat", path: "/vatId", message: "must have required property 'vatId'" },
    ]);
    const unauthorized = await new TriggerClient({ id: "app", apiUrl: app.output("ApiUrl"), apiKey: "wrong" })
      .sendEvent({ name: "order.created", payload: {} })
      .catch((e: unknown) => e);
    expect([(unauthorized as ApiRequestError).status, (unauthorized as ApiRequestError).code]).toEqual([401, "UNAUTHORIZED"]);
  });
});
