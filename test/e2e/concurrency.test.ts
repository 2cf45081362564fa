import { describe, expect, it } from "vitest";
import { devServerForThisFile } from "./helpers.ts";

/** Many events at once: one run each, all finishing; one event id sent many times: one run. */

const dev = devServerForThisFile();

describe("concurrent sends", () => {
  it("50 distinct events sent at once -> 50 runs, all SUCCEEDED", async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => dev.send("my.event", { message: `m${i}`, shouldFail: false }, `bulk-${i}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202));
    const runs = await Promise.all(answers.map((a) => dev.waitForRun(a.body.runs[0].id, undefined, 60_000)));
    expect(runs.map((r) => r.status)).toEqual(Array(50).fill("SUCCEEDED"));
    expect(new Set(runs.map((r) => r.id)).size).toBe(50);
    expect(runs.map((r) => r.tasks[1].output)).toEqual(Array(50).fill({ confirmationSent: true }));
    const listed = await dev.request("GET", "/api/v1/runs?jobId=my-first-workflow&status=SUCCEEDED&limit=100");
    expect(listed.body.runs).toHaveLength(50);
    // 50 executions at once share the runtime's shutdown signal: no leak warning on the terminal.
    expect(dev.output).not.toContain("MaxListenersExceededWarning");
  });

  it("the same event id sent 20 times at once -> exactly one run; every answer names it", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => dev.send("my.event", { message: "once", shouldFail: false }, "same-id")),
    );
    const run = { id: "my-first-workflow--same-id", jobId: "my-first-workflow" };
    expect(answers.map((a) => a.body)).toEqual(Array(20).fill({ id: "same-id", runs: [run] }));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    const finished = await dev.waitForRun(run.id);
    expect(finished.status).toBe("SUCCEEDED");
    expect(finished.tasks.map((t: any) => t.attempts.length)).toEqual([1, 1]);
    const listed = await dev.request("GET", "/api/v1/runs?limit=100");
    expect(listed.body.runs.filter((r: any) => r.eventId === "same-id")).toHaveLength(1);
    // The terminal shows that one run starting once.
    expect(dev.output.split("\n").filter((l) => l.includes(`${run.id}] run started`))).toHaveLength(1);
  });
});
