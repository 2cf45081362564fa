import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile, linesOf, runCli } from "./helpers.ts";

/** Restart safety: `stepjobs dev` killed with SIGKILL while a task waits to retry, then started again on the same data dir. */

const dev = devServerForThisFile();

describe("a run in flight when the process dies", () => {
  it("resumes on the next start and completes; the task that had succeeded is not executed again", async () => {
    const file = path.join(dev.root, "side-effects.log");
    const sent = await dev.send("restart.safe", { file });
    expect(sent.status).toBe(202);
    const runId = sent.body.runs[0].id;
    await dev.waitForRun(runId, (run) => run.tasks.some((t: any) => t.id === "flaky" && t.status === "RETRYING"));
    await dev.kill("SIGKILL");
    expect(linesOf(file)).toEqual(["write-once", "flaky attempt 1"]);

    await dev.start();
    expect(dev.output).toContain("resuming 1 unfinished run\n");
    expect(dev.output).toContain(`[restart-safe ${runId}] run resumed by "restart.safe"`);
    const run = await dev.waitForRun(runId);
    expect(run.status).toBe("SUCCEEDED");
    expect(linesOf(file)).toEqual(["write-once", "flaky attempt 1", "flaky attempt 2"]);
    expect(run.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => [a.number, a.status, a.error])])).toEqual([
      ["write-once", "SUCCEEDED", [[1, "SUCCEEDED", null]]],
      [
        "flaky",
        "SUCCEEDED",
        [
          [
            1,
            "FAILED",
            {
              name: "Error",
              message: "the first attempt always fails",
              stack: "at io.runTask.maxAttempts (src/jobs/restart-safe.ts:28:45)\nat async Object.run (src/jobs/restart-safe.ts:24:5)",
            },
          ],
          [2, "SUCCEEDED", null],
        ],
      ],
    ]);
    // The 4 s retry wait was honoured across the restart (what was left of it was waited after start).
    const [failed, retried] = run.tasks[1].attempts;
    expect(Date.parse(retried.startedAt) - Date.parse(failed.endedAt)).toBeGreaterThanOrEqual(3999);
  });

  it("a second stepjobs dev on the same data dir exits 1 with one line naming the dir; the first keeps serving", async () => {
    const second = await runCli(["dev", "--port", "0", "--data-dir", ".stepjobs", "--jobs", "src/jobs"], {}, dev.root);
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `stepjobs dev: the data dir ${path.join(fs.realpathSync(dev.root), ".stepjobs")} is in use by another process (another stepjobs dev?); stop it or pass --data-dir\n`,
    );
    expect((await dev.request("GET", "/api/v1/runs")).status).toBe(200);
  });
});
