import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INTERRUPTED_ERROR } from "../../lib/local/resume.ts";
import { devServerForThisFile, linesOf, ROOT, sleep } from "../e2e/helpers.ts";

/**
 * Crash anywhere: `stepjobs dev` is SIGKILLed at seeded random moments while 30 runs of a 5-task job are being
 * ingested and executed (during tasks, between them, during ingest), and restarted on the same data dir each time.
 * Promised: every accepted event's run ends, and succeeds unless kills landed in all 3 attempts of one of its tasks
 * (an interrupted attempt is a failed one); every task completes at most once (one SUCCEEDED attempt); a task's side
 * effect may be executed again only when the kill landed inside it (at-least-once execution), so `end` lines are
 * >= 1 per finished task, and `start` lines exceed `end` lines only by kills.
 */
const SOAK = process.env.STEPJOBS_SOAK === "1";
const RUNS = SOAK ? 100 : 30;
const KILLS = SOAK ? 20 : 6;
const SEED = Number(process.env.STEPJOBS_SEED ?? 20261125);

/** mulberry32: a small seeded PRNG, so a failing schedule can be replayed with STEPJOBS_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/reliability"));

describe(`crash anywhere (seed ${SEED}, ${RUNS} runs, ${KILLS} SIGKILLs)`, () => {
  it("every accepted event's run completes, every task completes once, nothing is lost", async () => {
    const random = prng(SEED);
    const dir = fs.mkdtempSync(path.join(dev.root, "effects-"));
    const accepted = new Set<string>();
    const killedAt: number[] = [];
    const fileOf = (i: number) => path.join(dir, `run-${i}.log`);

    // Sends every event until it is accepted; a POST cut by a kill is retried with the same id (idempotent).
    const sendAll = async () => {
      for (let i = 0; i < RUNS; i++) {
        if (accepted.has(`crash-${i}`)) continue;
        try {
          const answer = await dev.send("five.tasks", { file: fileOf(i), pauseMs: 20 + Math.floor(random() * 80) }, `crash-${i}`);
          if (answer.status === 200 || answer.status === 202) accepted.add(`crash-${i}`);
        } catch {
          return; // the server died mid-request; the next round retries
        }
      }
    };

    for (let kill = 0; kill < KILLS; kill++) {
      const sending = sendAll();
      await sleep(150 + Math.floor(random() * 900));
      await dev.kill("SIGKILL");
      // Taken once the process is gone: every attempt it cut started before this, every later one after it.
      killedAt.push(Date.now());
      await sending;
      await dev.start();
    }
    while (accepted.size < RUNS) await sendAll();

    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await dev.waitForRun(`five-tasks--crash-${i}`, (r) => r.status !== "RUNNING", 60_000));
    // An interrupted attempt counts as a failed one (as a Lambda timeout does in AWS; a task that kills the process
    // must not crash-loop it), so a run whose task a kill landed in on all 3 of its attempts FAILS with that error.
    // Every other run succeeds.
    const failed = runs.filter((r) => r.status === "FAILED");
    for (const run of failed) {
      const last = run.tasks.at(-1);
      expect(run.tasks.map((t: any) => [t.id, t.status])).toEqual(
        run.tasks.map((_: unknown, n: number) => [`task-${n + 1}`, n === run.tasks.length - 1 ? "FAILED" : "SUCCEEDED"]),
      );
      expect([run.error, last.status, last.attempts.map((a: any) => [a.number, a.status, a.error])]).toEqual([
        INTERRUPTED_ERROR,
        "FAILED",
        [1, 2, 3].map((n) => [n, "FAILED", INTERRUPTED_ERROR]),
      ]);
    }
    expect(runs.filter((r) => r.status !== "FAILED").map((r) => [r.id, r.status, r.output])).toEqual(
      Array.from({ length: RUNS }, (_, i) => `five-tasks--crash-${i}`)
        .filter((id) => !failed.some((r) => r.id === id))
        .map((id) => [id, "SUCCEEDED", { total: 15 }]),
    );
    // Each interruption was a kill of its own: the first kill after each attempt started is a later one each time.
    for (const run of failed) {
      const killAfter = run.tasks.at(-1).attempts.map((a: any) => killedAt.findIndex((t) => t > Date.parse(a.startedAt)));
      expect(killAfter.every((k: number, n: number) => k >= 0 && (n === 0 || k > killAfter[n - 1]))).toBe(true);
    }

    let reexecuted = 0;
    for (let i = 0; i < RUNS; i++) {
      // Exactly-once completion: each finished task once in the run view, with exactly one SUCCEEDED attempt.
      const done = runs[i].tasks.filter((t: any) => t.status === "SUCCEEDED");
      expect(done.map((t: any) => [t.id, t.attempts.filter((a: any) => a.status === "SUCCEEDED").length])).toEqual(
        runs[i].status === "SUCCEEDED" ? [1, 2, 3, 4, 5].map((n) => [`task-${n}`, 1]) : done.map((t: any) => [t.id, 1]),
      );
      const lines = linesOf(fileOf(i));
      for (const task of runs[i].tasks) {
        const starts = lines.filter((l) => l === `start ${task.id}`).length;
        const ends = lines.filter((l) => l === `end ${task.id}`).length;
        // At-least-once execution: a kill inside the task may repeat it; a task that succeeded finished at least once.
        if (task.status === "SUCCEEDED") expect(ends).toBeGreaterThanOrEqual(1);
        expect(starts).toBeGreaterThanOrEqual(ends);
        reexecuted += Math.max(0, starts - 1);
      }
    }
    // Re-executions only come from kills: at most one per kill per task running at that moment (runs execute concurrently).
    expect(reexecuted).toBeLessThanOrEqual(KILLS * RUNS);

    const events = await dev.request("GET", "/api/v1/events?name=five.tasks&limit=500");
    expect(events.body.events.map((e: any) => e.id).sort()).toEqual([...accepted].sort());
  }, 240_000);
});
