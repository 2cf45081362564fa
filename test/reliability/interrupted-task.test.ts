import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INTERRUPTED_ERROR } from "../../lib/local/resume.ts";
import { devServerForThisFile, linesOf, ROOT, sleep } from "../e2e/helpers.ts";

/**
 * An attempt `stepjobs dev` dies during is recorded FAILED (Interrupted). The first interruption of a task does not
 * use up one of its attempts (a kill is not the task's failure: with `maxAttempts: 1` the task runs again); a second
 * one does, as a Lambda timeout does in AWS, so a task that hangs or takes the process down on every attempt ends
 * the run FAILED after `maxAttempts + 1` runs instead of crash-looping the process on every start. A stop (Ctrl+C,
 * SIGTERM) first lets the task in flight finish, so it is not interrupted at all; a second signal stops at once.
 */
const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/reliability"));

async function waitForLines(file: string, count: number): Promise<string[]> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    const lines = linesOf(file);
    if (lines.length >= count) return lines;
    await sleep(50);
  }
  throw new Error(`${file} did not reach ${count} lines:\n${dev.output}`);
}

describe("a task interrupted by kill -9", () => {
  it("maxAttempts: 1, killed during its only attempt: the next start runs it again (attempt 2) and the run succeeds", async () => {
    const file = path.join(dev.root, "one-attempt.log");
    const sent = await dev.send("one.attempt", { file });
    const runId = sent.body.runs[0].id;
    expect(await waitForLines(file, 1)).toEqual(["attempt 1"]);
    await dev.kill("SIGKILL");
    await dev.start();
    const run = await dev.waitForRun(runId);
    expect([run.status, run.output]).toEqual(["SUCCEEDED", { charged: true }]);
    expect(run.tasks[0].attempts.map((a: any) => [a.number, a.status, a.error])).toEqual([
      [1, "FAILED", INTERRUPTED_ERROR],
      [2, "SUCCEEDED", null],
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe("attempt 1\nattempt 2\n");
    expect(dev.output).toContain(
      "charge#1] attempt 1 was cut short when stepjobs dev stopped: it does not use up one of the task's attempts (the first interruption of a task; a second would)",
    );
  }, 60_000);

  it("maxAttempts: 2, killed on every attempt: FAILED with Interrupted after 3 runs (one free interruption); the next start runs nothing", async () => {
    const file = path.join(dev.root, "process-down.log");
    const sent = await dev.send("process.down", { file });
    expect(sent.status).toBe(202);
    const runId = sent.body.runs[0].id;
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await waitForLines(file, attempt)).toHaveLength(attempt);
      await dev.kill("SIGKILL");
      await dev.start();
    }
    const run = await dev.waitForRun(runId);
    expect([run.status, run.error]).toEqual(["FAILED", INTERRUPTED_ERROR]);
    expect(run.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => [a.number, a.status, a.error])])).toEqual([
      ["hang", "FAILED", [1, 2, 3].map((n) => [n, "FAILED", INTERRUPTED_ERROR])],
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe("attempt 1\nattempt 2\nattempt 3\n");

    // Nothing is left to resume: a further restart neither resumes the run nor runs the task again.
    await dev.kill("SIGKILL");
    await dev.start();
    expect(dev.output).not.toContain("resuming");
    await sleep(500);
    expect(fs.readFileSync(file, "utf8")).toBe("attempt 1\nattempt 2\nattempt 3\n");
  }, 120_000);
});

describe("a stop (SIGTERM, Ctrl+C) while a task runs", () => {
  it("lets the task finish and records it; the next start goes on with the next task and nothing runs twice", async () => {
    const file = path.join(dev.root, "drain.log");
    const sent = await dev.send("five.tasks", { file, pauseMs: 1000 }, "drain-1");
    const runId = sent.body.runs[0].id;
    expect(await waitForLines(file, 1)).toEqual(["start task-1"]);
    await dev.kill("SIGTERM");
    expect(dev.output).toContain("stepjobs dev: letting 1 run finish the task in flight (up to 10 s; Ctrl+C again to stop now)\n");
    // The task finished before the process exited, and no further task started.
    expect(fs.readFileSync(file, "utf8")).toBe("start task-1\nend task-1\n");

    await dev.start();
    expect(dev.output).toContain("resuming 1 unfinished run\n");
    const run = await dev.waitForRun(runId, undefined, 30_000);
    expect([run.status, run.output]).toEqual(["SUCCEEDED", { total: 15 }]);
    expect(run.tasks.map((t: any) => [t.id, t.attempts.map((a: any) => [a.number, a.status])])).toEqual(
      [1, 2, 3, 4, 5].map((n) => [`task-${n}`, [[1, "SUCCEEDED"]]]),
    );
    expect(fs.readFileSync(file, "utf8")).toBe([1, 2, 3, 4, 5].map((n) => `start task-${n}\nend task-${n}\n`).join(""));
  }, 60_000);

  it("a second signal stops at once: the task's attempt is recorded Interrupted and the task runs again", async () => {
    const file = path.join(dev.root, "twice.log");
    const sent = await dev.send("process.down", { file });
    const runId = sent.body.runs[0].id;
    expect(await waitForLines(file, 1)).toEqual(["attempt 1"]);
    await dev.signalTwice("SIGTERM");
    expect(dev.output).toMatch(/letting 1 run finish the task in flight[^\n]*\nstepjobs dev: stopped now\n/);
    await dev.start();
    expect(await waitForLines(file, 2)).toEqual(["attempt 1", "attempt 2"]);
    const run = await dev.request("GET", `/api/v1/runs/${runId}`);
    expect(run.body.tasks[0].attempts.map((a: any) => [a.number, a.status, a.error])).toEqual([
      [1, "FAILED", INTERRUPTED_ERROR],
      [2, "RUNNING", null],
    ]);
    await dev.kill("SIGKILL");
  }, 60_000);
});
