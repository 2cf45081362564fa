import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIdFor } from "../../lib/ingest/run-id.ts";
import { cli, DeployedApp } from "./lane.ts";
import { synthesize } from "./synth.ts";

/**
 * Every fixture of test/fixtures/steps as deployed: parallel tasks in a Map, native waits, sent events starting
 * other jobs through the bus, an Express workflow, schedules and redrive, with every call authorized by the
 * template's IAM.
 */
let app: DeployedApp;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-steps-lane-"));

beforeAll(async () => {
  app = await DeployedApp.deploy(synthesize({ stackName: "Steps", jobsDir: "test/fixtures/steps" }));
  Object.assign(process.env, app.cloud.operatorEnv());
});
afterAll(async () => {
  await app?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the steps fixtures, as deployed", () => {
  it("fulfil-order: both parallel tasks overlap in the Map (one retried by its own Retry), the wait, then its event starts send-receipt once", async () => {
    expect(
      (await app.post({ name: "order.placed", id: "order-1", payload: { orderId: "lane-1", coolOffSeconds: 30, declineOnce: true } }))
        .status,
    ).toBe(202);
    const run = await app.run("fulfil-order--order-1");
    expect([run.status, JSON.parse(run.output ?? "null")]).toEqual([
      "SUCCEEDED",
      { stock: { reserved: true }, card: { charged: 42 }, eventId: "fulfil-order--order-1:event:notify#0" },
    ]);
    const entered = run.history
      .filter((e) => e.type.endsWith("StateEntered"))
      .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered).toEqual(expect.arrayContaining(["Parallel", "Sleep", "SendEvent"]));
    // The sent event went through the bus, the queue and ingest: exactly one send-receipt run.
    const receipt = await app.run(runIdFor("send-receipt", "fulfil-order--order-1:event:notify#0"));
    expect(receipt.status).toBe("SUCCEEDED");
    app.expectNoDenials();
  });

  it("wait-until: a time in the past is recorded without waiting; the run goes on", async () => {
    await app.post({ name: "wait.until", id: "wu-1", payload: { until: "2020-01-01T00:00:00Z" } });
    const run = await app.run("wait-until--wu-1");
    expect([run.status, run.output]).toEqual(["SUCCEEDED", JSON.stringify({ woke: true })]);
    app.expectNoDenials();
  });

  it("express-ping runs as an Express workflow; `runs --aws` lists it from the event records instead of failing", async () => {
    await app.post({ name: "ping", id: "ping-1", payload: {} });
    await app.cloud.settled();
    const run = [...app.cloud.sfn.executions.values()].find((e) => e.name === "express-ping--ping-1")!;
    expect([run.stateMachine.type, run.status, run.output]).toEqual(["EXPRESS", "SUCCEEDED", JSON.stringify("pong")]);
    const runs = await cli("runs", "--aws", "--stack", "Steps");
    expect([runs.code, runs.err]).toEqual([0, ""]);
    expect(runs.out).toMatch(/^express-ping--ping-1 {2}express-ping {2}STARTED /m);
    expect(runs.out).toMatch(/^fulfil-order--order-1 {2}fulfil-order {2}SUCCEEDED /m);
    app.expectNoDenials();
  });

  it("a schedule fire delivered twice (Scheduler retries with a new execution id) starts one run, named from the job and time", async () => {
    const schedule = app.cloud.schedules.find((n) => n.includes("Jobdailyreport"))!;
    app.cloud.fireSchedule(schedule, "2026-12-07T09:00:00Z");
    app.cloud.fireSchedule(schedule, "2026-12-07T09:00:00Z");
    await app.cloud.settled();
    const runs = [...app.cloud.sfn.executions.values()].filter((e) => e.stateMachine.name === "Steps_daily-report");
    expect(runs.map((r) => [r.name, r.status])).toEqual([["daily-report--schedule-daily-report-20261207T090000000Z", "SUCCEEDED"]]);
    expect(JSON.parse(runs[0]?.output ?? "null")).toEqual({ for: "2026-12-07T09:00:00Z" });
    app.expectNoDenials();
  });

  it("import-orders fails (locked), is fixed without a code change, and `redrive --aws` finishes it; prepare ran once", async () => {
    const unlockFile = path.join(work, "unlock");
    const countFile = path.join(work, "count.log");
    await app.post({ name: "orders.import", id: "imp-1", payload: { unlockFile, countFile } });
    expect((await app.run("import-orders--imp-1")).status).toBe("FAILED");
    fs.writeFileSync(unlockFile, "");
    const redrive = await cli("redrive", "import-orders--imp-1", "--aws", "--stack", "Steps");
    expect([redrive.code, redrive.err]).toEqual([0, ""]);
    const run = await app.run("import-orders--imp-1");
    expect([run.status, run.redriveCount, run.output]).toEqual(["SUCCEEDED", 1, JSON.stringify({ imported: 3 })]);
    expect(fs.readFileSync(countFile, "utf8")).toBe("prepare\n");
    // Attempt numbers go on after the redrive, from the runner's counter in the table.
    expect(fs.readFileSync(`${countFile}.import`, "utf8")).toBe("#1\n#2\n");
    app.expectNoDenials();
  });

  it("`runs --aws` pages across the jobs' state machines: --limit 2 shows the newest two and says there are more; --all lists every run once", async () => {
    await app.cloud.settled();
    const first = await cli("runs", "--aws", "--stack", "Steps", "--limit", "2");
    expect([first.code, first.err]).toEqual([0, "stepjobs runs: these are the newest 2; there are more (--limit N, or --all)\n"]);
    const all = await cli("runs", "--aws", "--stack", "Steps", "--all");
    const ids = all.out
      .trim()
      .split("\n")
      .map((line) => line.split("  ", 1).join(""));
    expect(
      first.out
        .trim()
        .split("\n")
        .map((line) => line.split("  ", 1).join("")),
    ).toEqual(ids.slice(0, 2));
    const standard = [...app.cloud.sfn.executions.values()].filter((e) => e.stateMachine.type === "STANDARD");
    expect(ids.filter((id) => !id.startsWith("express-ping")).sort()).toEqual(standard.map((e) => e.name).sort());
    expect(new Set(ids).size).toBe(ids.length);
    // Page by page (3 at a time, as the dashboard's Load more reads them) gives the same list.
    let cursor: string | undefined;
    const paged: string[] = [];
    do {
      const { listAwsRuns, readStack, awsClients } = await import("../../lib/cli/aws.ts");
      const clients = await awsClients();
      const page = await listAwsRuns(clients, await readStack(clients, "Steps"), { limit: 3, cursor });
      paged.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(ids);
  });
});
