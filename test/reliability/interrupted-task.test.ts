import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INTERRUPTED_ERROR } from "../../lib/local/resume.ts";
import { devServerForThisFile, ROOT, sleep } from "../e2e/helpers.ts";

/**
 * An attempt `stepjobs dev` dies during counts as a failed attempt, as a Lambda timeout does in AWS: a task that
 * hangs or takes the process down on every attempt ends the run FAILED after its maxAttempts, instead of
 * crash-looping the process on every start.
 */
const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/reliability"));

async function waitForLines(file: string, count: number): Promise<string[]> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n") : [];
    if (lines.length >= count) return lines;
    await sleep(50);
  }
  throw new Error(`${file} did not reach ${count} lines:\n${dev.output}`);
}

describe("a task interrupted on each of its attempts", () => {
  it("the run FAILS with Interrupted after 3 attempts, each cut by its own kill; the next start runs nothing", async () => {
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
