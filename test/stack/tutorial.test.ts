import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIdFor } from "../../lib/ingest/run-id.ts";
import { DeployedApp } from "./lane.ts";
import { SimCloud } from "./sim/cloud.ts";
import { synthesize, type Assembly } from "./synth.ts";

/**
 * The stack lane: the example app's cloud assembly, deployed into a simulated account and driven as a user drives
 * the real one. What runs is what `cdk deploy` ships: the template's resources, each Lambda from its bundled asset,
 * each state machine version's definition, and every AWS call authorized against the template's IAM.
 */
let assembly: Assembly;
let app: DeployedApp;

beforeAll(async () => {
  assembly = synthesize({ stackName: "StepJobs" });
  app = await DeployedApp.deploy(assembly);
});
afterAll(async () => {
  await app?.close();
});

describe("the tutorial, as deployed", () => {
  it("through the HTTP API: attempt 1 fails, attempt 2 succeeds after the retry, then send-confirmation; no call is denied", async () => {
    const answer = await app.post({ name: "my.event", id: "tut-1", payload: { message: "Hello via curl!", shouldFail: true } });
    expect(answer).toEqual({
      status: 202,
      body: { id: "tut-1", runs: [{ id: runIdFor("my-first-workflow", "tut-1"), jobId: "my-first-workflow" }] },
    });
    const run = await app.run("my-first-workflow--tut-1");
    expect([run.status, run.output]).toEqual(["SUCCEEDED", "null"]);
    // Started on the live alias, so it runs the version this deploy published.
    expect(run.qualifier).toBe("live");
    expect(app.taskAttempts(run)).toEqual(["Plan ok", "process-incoming-data Error", "process-incoming-data ok", "send-confirmation ok"]);
    const lines = app.logs("my-first-workflow").filter((l) => l.runId === "my-first-workflow--tut-1");
    expect(lines.map((l) => [l.taskId, l.attempt, l.message])).toEqual([
      [undefined, undefined, "Received 'my.event' payload"],
      ["process-incoming-data", 1, "Processing data: Hello via curl!"],
      ["process-incoming-data", 1, "Simulating a temporary failure for attempt 1..."],
      ["process-incoming-data", 2, "Processing data: Hello via curl!"],
      ["process-incoming-data", 2, "Data processed successfully!"],
      ["send-confirmation", 1, "Sending confirmation for: Hello via curl!"],
      [undefined, undefined, "Workflow completed successfully!"],
    ]);
    app.expectNoDenials();
    // The paths that were denied before: the alias start, and the runner's attempt counter on its run's items only.
    expect(app.cloud.account.allowed).toContainEqual(expect.objectContaining({ action: "states:StartExecution" }));
    expect(app.cloud.account.allowed).toContainEqual(expect.objectContaining({ action: "dynamodb:UpdateItem" }));
  });

  it("straight onto the bus (aws events put-events): the same run, ingested from the queue", async () => {
    await app.putEvent({ name: "my.event", detail: { id: "tut-2", payload: { message: "from the bus", shouldFail: false } } });
    const run = await app.run("my-first-workflow--tut-2");
    expect(run.status).toBe("SUCCEEDED");
    expect(app.taskAttempts(run)).toEqual(["Plan ok", "process-incoming-data ok", "send-confirmation ok"]);
    app.expectNoDenials();
  });

  it("the mini-challenge: high priority fails twice and succeeds on attempt 3; low priority never fails", async () => {
    await app.post({ name: "priority.event", id: "hi-1", payload: { message: "High priority data", shouldFail: true, priority: "high" } });
    await app.post({ name: "priority.event", id: "lo-1", payload: { message: "Low priority data", shouldFail: true, priority: "low" } });
    const high = await app.run("priority-workflow--hi-1");
    expect(app.taskAttempts(high)).toEqual([
      "Plan ok",
      "process-incoming-data Error",
      "process-incoming-data Error",
      "process-incoming-data ok",
      "send-confirmation ok",
    ]);
    const low = await app.run("priority-workflow--lo-1");
    expect(app.taskAttempts(low)).toEqual(["Plan ok", "process-incoming-data ok", "send-confirmation ok"]);
    app.expectNoDenials();
  });

  it("a duplicate event (same id, twice through the API and once on the bus) is one run", async () => {
    const event = { name: "my.event", id: "dup-1", payload: { message: "once", shouldFail: false } };
    expect((await app.post(event)).status).toBe(202);
    expect((await app.post(event)).status).toBe(202);
    await app.putEvent({ name: "my.event", detail: { id: "dup-1", payload: event.payload } });
    await app.cloud.settled();
    expect([...app.cloud.sfn.executions.values()].filter((e) => e.name === "my-first-workflow--dup-1").map((e) => e.status)).toEqual([
      "SUCCEEDED",
    ]);
  });

  it("bad input through the API is a 400 naming each violation; a wrong key is a 401; nothing starts", async () => {
    const before = app.cloud.sfn.executions.size;
    const bad = await app.post({ name: "my.event", id: "bad-1", payload: { message: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("EVENT_VALIDATION");
    expect(bad.body.error.details.errors.map((e: { path: string }) => e.path).sort()).toEqual(["/message", "/shouldFail"]);
    expect((await app.post({ name: "my.event", payload: {} }, "wrong-key")).status).toBe(401);
    await app.cloud.settled();
    expect(app.cloud.sfn.executions.size).toBe(before);
  });
});

describe("in a China region (partition aws-cn)", () => {
  it("deploys and runs: every service integration ARN takes the region's partition", async () => {
    const china = await DeployedApp.deploy(
      assembly,
      await SimCloud.start({ partition: "aws-cn", region: "cn-north-1", account: "123456789012" }),
    );
    try {
      await china.post({ name: "my.event", id: "cn-1", payload: { message: "你好", shouldFail: true } });
      expect((await china.run("my-first-workflow--cn-1")).status).toBe("SUCCEEDED");
      china.expectNoDenials();
    } finally {
      await china.close();
    }
  });

  it("the ARNs hard-coded to arn:aws: (as before) fail the deploy there, as Step Functions refuses them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-aws-only-"));
    fs.cpSync(assembly.dir, dir, { recursive: true });
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".template.json"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      fs.writeFileSync(path.join(dir, file), text.replaceAll("arn:${Partition}:states:::", "arn:aws:states:::"));
    }
    const china = await SimCloud.start({ partition: "aws-cn", region: "cn-north-1", account: "123456789012" });
    try {
      await expect(china.deploy(dir)).rejects.toThrow(
        "SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::lambda:invoke is not recognized",
      );
    } finally {
      await china.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the lane can fail", () => {
  it("with StartExecution granted on the alias ARN (the old grant), every start is denied and no run starts", async () => {
    const broken = await DeployedApp.deploy(assembly);
    try {
      // Reintroduce defect 1 in the deployed policy: the grant names the alias, which Step Functions never authorizes on.
      const role = [...broken.cloud.account.roles.values()].find((r) => r.name.includes("IngestServiceRole"))!;
      for (const [id, doc] of role.policies) {
        const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map((s) =>
          s.Action === "states:StartExecution"
            ? { Effect: s.Effect, Action: s.Action, Resource: `${String(s.Resource).replace(/\*$/, "my-first-workflow")}:live` }
            : s,
        );
        role.policies.set(id, { ...doc, Statement: statements });
      }
      expect((await broken.post({ name: "my.event", id: "denied-1", payload: { message: "m", shouldFail: false } })).status).toBe(202);
      await broken.until(() => broken.cloud.account.denials.length > 0, "the denied StartExecution");
      expect(broken.cloud.sfn.executions.size).toBe(0);
      expect(broken.cloud.account.denials.map((d) => [d.action, d.resource, d.context])).toContainEqual([
        "states:StartExecution",
        "arn:aws:states:us-east-1:123456789012:stateMachine:StepJobs_my-first-workflow",
        { "states:StateMachineQualifier": "live" },
      ]);
    } finally {
      await broken.close();
    }
  });
});
