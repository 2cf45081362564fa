import { describe, expect, it } from "vitest";
import { devServerForThisFile } from "../e2e/helpers.ts";

/** Duplicates never start a second run: 1,000 concurrent POSTs of one event id, and more after the run ended. */
const dev = devServerForThisFile();
const COUNT = 1000;

describe("the same event id, over and over", () => {
  it(`${COUNT} concurrent POSTs of one event id -> one 202, ${COUNT - 1} 200s, one run whose tasks ran once; 100 more later change nothing`, async () => {
    const body = { name: "my.event", id: "dup-1", payload: { message: "once", shouldFail: false } };
    const send = () => dev.request("POST", "/api/v1/events", { body });
    const answers = await Promise.all(Array.from({ length: COUNT }, send));
    const statuses = answers.map((a) => a.status).sort();
    expect([statuses.filter((s) => s === 202).length, statuses.filter((s) => s === 200).length]).toEqual([1, COUNT - 1]);
    expect(new Set(answers.map((a) => JSON.stringify(a.body)))).toEqual(
      new Set([JSON.stringify({ id: "dup-1", runs: [{ id: "my-first-workflow--dup-1", jobId: "my-first-workflow" }] })]),
    );

    const run = await dev.waitForRun("my-first-workflow--dup-1");
    expect(run.status).toBe("SUCCEEDED");
    expect(run.tasks.map((t: any) => [t.id, t.attempts.length])).toEqual([
      ["process-incoming-data", 1],
      ["send-confirmation", 1],
    ]);

    const later = await Promise.all(Array.from({ length: 100 }, send));
    expect(later.every((a) => a.status === 200)).toBe(true);
    const runs = await dev.request("GET", "/api/v1/runs?jobId=my-first-workflow");
    expect(runs.body.runs.map((r: any) => r.id)).toEqual(["my-first-workflow--dup-1"]);
    expect(dev.output.split("\n").filter((l) => l.includes("my-first-workflow--dup-1] run started"))).toHaveLength(1);
  }, 120_000);
});
