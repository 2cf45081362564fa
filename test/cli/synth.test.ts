import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import aslValidator from "asl-validator";
import { substitute } from "../../lib/compiler/render-state-machine.ts";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/load-job.ts";

const CLI = path.join(ROOT, "bin/stepjobs.mjs");

async function stepjobs(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A project's `src/trigger.ts`. */
const CLIENT_FILE = `import { TriggerClient } from "stepjobs";\nexport const client = new TriggerClient({ id: "t" });\n`;

/** `stepjobs synth` of a project with one job file fails with exactly `stderr` (one line, no stack), exit 1, writing nothing. */
async function expectSynthFailure(file: string, lines: readonly string[], stderr: string): Promise<void> {
  const dir = tempProject({ "src/trigger.ts": CLIENT_FILE, [file]: lines.join("\n") });
  const result = await stepjobs(["synth", "--out", "out"], dir);
  expect(result).toEqual({ code: 1, stdout: "", stderr });
  expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
}

function tempProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-synth-"));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("stepjobs synth", () => {
  it("writes valid ASL for both example jobs and prints one line per job", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-out-"));
    const result = await stepjobs(["synth", "--out", out], ROOT);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const rel = path.relative(ROOT, out);
    expect(result.stdout.split("\n")).toEqual([
      `my-first-workflow  on "my.event"  9 states  2 tasks: process-incoming-data (3 attempts, 1 s apart), send-confirmation (3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that))  -> ${rel}/my-first-workflow.asl.json`,
      `priority-workflow  on "priority.event"  9 states  2 tasks: process-incoming-data (3 attempts, 1 s apart), send-confirmation (3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that))  -> ${rel}/priority-workflow.asl.json`,
      "",
    ]);
    expect(fs.readdirSync(out).sort()).toEqual(["my-first-workflow.asl.json", "priority-workflow.asl.json"]);
    for (const file of fs.readdirSync(out)) {
      const asl = JSON.parse(fs.readFileSync(path.join(out, file), "utf8"));
      // As deployed: CloudFormation binds the substitution variables before Step Functions validates the definition.
      expect(
        aslValidator(substitute(asl, { RunnerFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:r", Partition: "aws" })).errors,
      ).toEqual([]);
      expect(asl.States["process-incoming-data"].Retry.at(-1)).toEqual({
        ErrorEquals: ["States.ALL"],
        IntervalSeconds: 1,
        MaxAttempts: 2,
        BackoffRate: 1,
      });
    }
  });

  it("prints a trigger's filter as the rule's compiled payload pattern", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-out-"));
    const result = await stepjobs(["synth", "--out", out, "--jobs", "test/fixtures/filters"], ROOT);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    const rel = path.relative(ROOT, out);
    expect(result.stdout.split("\n")).toEqual([
      `big-orders  on "order.created" where {"status":["paid"],"amount":[{"numeric":[">",100]}]}  8 states  1 task: review (3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that))  -> ${rel}/big-orders.asl.json`,
      `eu-vat  on "order.created" where {"region":[{"prefix":"eu-"}]}  8 states  1 task: check-vat (3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that))  -> ${rel}/eu-vat.asl.json`,
      "",
    ]);
  });

  it("a filter EventBridge cannot express fails synth at the matcher's file:line:col, saying what to write", async () => {
    await expectSynthFailure(
      "src/jobs/bad.ts",
      [
        `import { client } from "../trigger";`,
        `client.defineJob({`,
        `  id: "bad", name: "Bad", version: "1.0.0",`,
        `  trigger: client.on("order.created", {`,
        `    schema: { type: "object" },`,
        `    filter: { sku: [{ $startsWith: "A" }, { $endsWith: "Z" }] },`,
        `  }),`,
        `  run: async () => {},`,
        `});`,
      ],
      `src/jobs/bad.ts:6:15: job "bad" trigger filter "sku": v2 requires every matcher of a list, EventBridge any one, so $startsWith and $endsWith cannot be one pattern; keep one and check the other in the job\n`,
    );
  });

  it("a job with non-literal options fails with one line naming file:line:col, exit 1, no stack trace", async () => {
    await expectSynthFailure(
      "src/jobs/bad.ts",
      [
        `import { client } from "../trigger";`,
        `const attempts = Number(process.env.ATTEMPTS);`,
        `client.defineJob({`,
        `  id: "bad", name: "Bad", version: "1.0.0",`,
        `  trigger: client.on("bad.event", { schema: { type: "object" } }),`,
        `  run: async (payload, io) => {`,
        `    await io.runTask("t", async () => 1, payload, { maxAttempts: attempts });`,
        `  },`,
        `});`,
      ],
      `src/jobs/bad.ts:7:66: options of io.runTask("t") must be an object literal so synth can compile them into the task state's Retry; got \`attempts\`\n`,
    );
  });

  it("a syntax error fails synth with the parser's message at file:line:col, exit 1, nothing written", async () => {
    await expectSynthFailure(
      "src/jobs/typo.ts",
      [
        `import { client } from "../trigger";`,
        `client.defineJob({`,
        `  id: "typo", name: "Typo", version: "1.0.0",`,
        `  trigger: client.on("typo.event", { schema: { type: "object" } }),`,
        `  run: async (payload, io) => {`,
        `    await io.runTask("t", async () => { return { ok: true ; }, payload);`,
        `  },`,
        `});`,
      ],
      "src/jobs/typo.ts:6:59: ',' expected.\n",
    );
  });

  it("prints warnings for rounded delays and still succeeds", async () => {
    const dir = tempProject({
      "src/jobs/j.ts": `import { client } from "../trigger";\nclient.defineJob({ id: "j", name: "J", version: "1", trigger: client.on("e", { schema: {} }),\n  run: async (p, io) => { await io.runTask("t", async () => 1, p, { retryDelayInMs: 250 }); } });\n`,
    });
    const result = await stepjobs(["synth"], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'src/jobs/j.ts:3:67: warning: io.runTask("t"): retry delay 250 ms rounded up to 1 s: Step Functions IntervalSeconds is a whole number of seconds, at least 1\n',
    );
  });

  it("counts a single task as 1 task", async () => {
    const dir = tempProject({
      "src/jobs/one.ts": `import { client } from "../trigger";\nclient.defineJob({ id: "one", name: "One", version: "1", trigger: client.on("e", { schema: {} }),\n  run: async (p, io) => { await io.runTask("only", async () => 1); } });\n`,
    });
    const result = await stepjobs(["synth"], dir);
    // The summary's fourth field: the task count, then each task and its retry policy.
    expect([result.code, result.stdout.split("  ")[3]?.split(" (")[0]]).toEqual([0, "1 task: only"]);
  });

  it("usage errors exit 2 with the usage line", async () => {
    const result = await stepjobs(["synth", "--nope"], ROOT);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`stepjobs synth: Unknown option '--nope'\nusage: stepjobs synth [--out DIR] [--jobs DIR]\n`);
  });
});
