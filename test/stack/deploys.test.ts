import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { commands } from "../../lib/cli/commands.ts";
import { DeployedApp } from "./lane.ts";
import { readAssembly, synthesize, type Assembly } from "./synth.ts";
import { defined } from "../helpers/defined.ts";

/**
 * Deploying a new version while runs are in flight, and finishing a failed run after a code fix: the same job
 * (test/stack/fixtures/v1 and v2) deployed twice into one simulated account, as two `cdk deploy`s would.
 */
const V1 = "test/stack/fixtures/v1/jobs";
const V2 = "test/stack/fixtures/v2/jobs";
let v1: Assembly;
let v2: Assembly;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-deploys-"));

beforeAll(() => {
  v1 = synthesize({ stackName: "Lane", jobsDir: V1 });
  v2 = synthesize({ stackName: "Lane", jobsDir: V2 });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Holds the runner invocation of task `second` of run `runId` until released: the run is in flight meanwhile. */
function holdSecondTask(app: DeployedApp, runId: string): { held: Promise<void>; release: () => void } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (reached = resolve));
  app.cloud.lambda.beforeInvoke = async (_fn, _version, event) => {
    const e = event as { mode?: string; state?: { runId?: string; next?: { task?: string } } };
    if (e.mode === "task" && e.state?.runId === runId && e.state.next?.task === "second") {
      reached();
      await gate;
    }
  };
  return { held, release };
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await defined(commands[args[0] ?? ""], `command ${args[0]}`).run(args.slice(1)), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("a deploy while a run is in flight", () => {
  let app: DeployedApp;
  beforeAll(async () => {
    app = await DeployedApp.deploy(v1);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("the run finishes on the version (and runner code) it started on; new runs get the new version", async () => {
    const countFile = path.join(work, "in-flight.log");
    const { held, release } = holdSecondTask(app, "deploy-me--in-flight");
    expect((await app.post({ name: "deploy.me", id: "in-flight", payload: { countFile } })).status).toBe(202);
    await held;
    await app.update(v2);
    release();
    const run = await app.run("deploy-me--in-flight");
    expect([run.status, JSON.parse(run.output ?? "null")]).toEqual(["SUCCEEDED", { first: { by: "v1" }, second: { by: "v1" } }]);

    expect((await app.post({ name: "deploy.me", id: "after", payload: { countFile } })).status).toBe(202);
    const after = await app.run("deploy-me--after");
    expect(JSON.parse(after.output ?? "null")).toEqual({ first: { by: "v2" }, second: { by: "v2" } });
    // Both runner versions and both state machine versions are kept (Retain), the old ones out of the template.
    const runner = app.cloud.lambda.functions.get("Lane_deploy-me")!;
    expect([...runner.versions.keys()]).toEqual(["1", "2"]);
    expect(app.cloud.sfn.stateMachines.get(app.cloud.sfn.stateMachineArn("Lane_deploy-me"))!.versions.size).toBe(2);
    app.expectNoDenials();
  });
});

describe("without retained runner versions (the defect, reintroduced)", () => {
  it("the deploy deletes the version the in-flight run invokes, and the run fails with ResourceNotFoundException", async () => {
    // The same v1 assembly, with the Lambda versions' Retain policies taken out (what CDK emitted before).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-no-retain-"));
    fs.cpSync(v1.dir, dir, { recursive: true });
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".template.json"))) {
      const template = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
      for (const resource of Object.values(template.Resources) as {
        Type: string;
        DeletionPolicy?: string;
        UpdateReplacePolicy?: string;
      }[]) {
        if (resource.Type === "AWS::Lambda::Version") {
          delete resource.DeletionPolicy;
          delete resource.UpdateReplacePolicy;
        }
      }
      fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
    }
    const app = await DeployedApp.deploy(readAssembly(dir, "Lane"));
    try {
      const { held, release } = holdSecondTask(app, "deploy-me--doomed");
      await app.post({ name: "deploy.me", id: "doomed", payload: { countFile: path.join(work, "doomed.log") } });
      await held;
      await app.update(v2);
      release();
      const run = await app.run("deploy-me--doomed");
      expect([run.status, run.error]).toEqual(["FAILED", "Lambda.ResourceNotFoundException"]);
    } finally {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("fix the code, deploy, then continue the failed run", () => {
  let app: DeployedApp;
  beforeAll(async () => {
    app = await DeployedApp.deploy(v1);
    Object.assign(process.env, app.cloud.operatorEnv());
  });
  afterAll(async () => {
    await app?.close();
  });

  it("redrive re-runs the old code and fails again; continue runs the live version from the failed task, finished tasks not re-run", async () => {
    const countFile = path.join(work, "fix.log");
    await app.post({ name: "deploy.me", id: "broken", payload: { countFile, breakSecond: true } });
    const failed = await app.run("deploy-me--broken");
    expect([failed.status, JSON.parse(failed.cause ?? "{}").errorMessage]).toEqual(["FAILED", "bug in v1"]);

    await app.update(v2);

    const redrive = await cli("redrive", "deploy-me--broken", "--aws", "--stack", "Lane");
    expect([redrive.code, redrive.err]).toEqual([0, ""]);
    const redriven = await app.run("deploy-me--broken");
    expect([redriven.status, redriven.redriveCount, JSON.parse(redriven.cause ?? "{}").errorMessage]).toEqual(["FAILED", 1, "bug in v1"]);

    const continued = await cli("continue", "deploy-me--broken", "--aws", "--stack", "Lane");
    expect([continued.code, continued.err, continued.out]).toEqual([
      0,
      "",
      "deploy-me--broken continues as deploy-me--broken_c1 on the live version (StartExecution); follow it with: stepjobs run deploy-me--broken_c1 --aws\n",
    ]);
    const run = await app.run("deploy-me--broken_c1");
    expect([run.status, run.qualifier, JSON.parse(run.output ?? "null")]).toEqual([
      "SUCCEEDED",
      "live",
      { first: { by: "v1" }, second: { by: "v2" } },
    ]);
    // `first` ran once, in v1, before the fix: the continuation replayed it from the memo.
    expect(fs.readFileSync(countFile, "utf8")).toBe("first v1\n");
    expect(app.taskAttempts(run)).toEqual(["Plan ok", "second ok"]);
    app.expectNoDenials();

    const again = await cli("continue", "deploy-me--broken_c1", "--aws", "--stack", "Lane");
    expect([again.code, again.err]).toEqual([
      1,
      "stepjobs continue: run deploy-me--broken_c1 is SUCCEEDED: only a FAILED, TIMED_OUT or ABORTED run can be continued\n",
    ]);
  });
});
