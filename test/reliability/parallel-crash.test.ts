import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile, linesOf, ROOT, sleep } from "../e2e/helpers.ts";

/**
 * A crash inside a `Promise.all` batch: `stepjobs dev` is SIGKILLed after one parallel task finished and while the
 * other still runs. On restart the finished task is not run again (its result was recorded when it finished);
 * the interrupted one runs again (at-least-once), and the run completes with both results.
 */
const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/reliability"));

describe("a crash during a parallel batch", () => {
  it("keeps the finished item: after the restart only the interrupted task runs again", async () => {
    const file = path.join(fs.mkdtempSync(path.join(dev.root, "parallel-")), "effects.log");
    const sent = await dev.send("parallel.tasks", { file }, "parallel-crash");
    expect(sent.status).toBe(202);
    const runId = "parallel-tasks--parallel-crash";
    // Both started and `quick` ended: its outcome is recorded before its attempt's end, so wait for that too.
    for (let i = 0; i < 200 && !(linesOf(file).includes("end quick") && linesOf(file).includes("start slow #1")); i++) await sleep(50);
    await dev.waitForRun(runId, (r) => r.tasks.some((t: any) => t.id === "quick" && t.status === "SUCCEEDED"), 10_000);
    await dev.kill("SIGKILL");
    fs.writeFileSync(`${file}.release`, "");
    await dev.start();

    const run = await dev.waitForRun(runId, (r) => r.status !== "RUNNING", 30_000);
    expect([run.status, run.output]).toEqual(["SUCCEEDED", { quick: 1, slow: 2 }]);
    expect(linesOf(file).filter((l) => l.endsWith("quick"))).toEqual(["start quick", "end quick"]);
    // The interrupted attempt 1 ran again as attempt 2: the task saw the number its record shows.
    expect(linesOf(file).filter((l) => l.includes("slow"))).toEqual(["start slow #1", "start slow #2", "end slow #2"]);
    expect(run.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => a.status)])).toEqual([
      ["quick", "SUCCEEDED", ["SUCCEEDED"]],
      ["slow", "SUCCEEDED", ["FAILED", "SUCCEEDED"]],
    ]);
  }, 90_000);

  it("a cancel during the batch keeps the finished item too: the redrive runs only what had not finished", async () => {
    const file = path.join(fs.mkdtempSync(path.join(dev.root, "parallel-")), "effects.log");
    await dev.send("parallel.tasks", { file }, "parallel-cancel");
    const runId = "parallel-tasks--parallel-cancel";
    await dev.waitForRun(runId, (r) => r.tasks.some((t: any) => t.id === "quick" && t.status === "SUCCEEDED"), 10_000);
    // The cancel stops the execution at once (as StopExecution does); the task function still running goes on.
    expect((await dev.request("POST", `/api/v1/runs/${runId}/cancel`)).body.status).toBe("ABORTED");
    fs.writeFileSync(`${file}.release`, "");
    for (let i = 0; i < 100 && !linesOf(file).includes("end slow #1"); i++) await sleep(50);
    await dev.waitForRun(runId, (r) => r.tasks.find((t: any) => t.id === "slow")?.attempts[0]?.status === "SUCCEEDED", 10_000);
    expect((await dev.request("POST", `/api/v1/runs/${runId}/redrive`)).status).toBe(202);
    const run = await dev.waitForRun(runId, (r) => r.status !== "RUNNING", 30_000);
    expect([run.status, run.output]).toEqual(["SUCCEEDED", { quick: 1, slow: 2 }]);
    expect(linesOf(file).filter((l) => l.endsWith("quick"))).toEqual(["start quick", "end quick"]);
    // The slow task finished after the cancel: as with StopExecution its result was discarded, so the redrive ran it
    // again, as attempt 2 in its record and in what the task saw.
    expect(linesOf(file).filter((l) => l.includes("slow"))).toEqual(["start slow #1", "end slow #1", "start slow #2", "end slow #2"]);
    expect(run.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => [a.number, a.status])])).toEqual([
      ["quick", "SUCCEEDED", [[1, "SUCCEEDED"]]],
      [
        "slow",
        "SUCCEEDED",
        [
          [1, "SUCCEEDED"],
          [2, "SUCCEEDED"],
        ],
      ],
    ]);
  }, 90_000);
});
