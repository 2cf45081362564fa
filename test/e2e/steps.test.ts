import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../lib/local/terminal.ts";
import { devServerForThisFile, ROOT, runCli } from "./helpers.ts";
import { FULFIL_ORDER_STATES_ENTERED } from "../helpers/steps-expectations.ts";

/**
 * `stepjobs dev` with the step fixtures: a real Wait (1 s), a real Map over two tasks, and io.sendEvent going
 * through the in-process bus and ingest to start another job, exactly once.
 */
const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/steps"));

describe("io.wait, io.sendEvent and Promise.all through stepjobs dev", () => {
  it("fulfil-order waits, then its event starts send-receipt exactly once, even when the order and the sent event are posted again", async () => {
    const posted = await dev.send("order.placed", { orderId: "o-9", coolOffSeconds: 1 }, "order-9");
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ id: "order-9", runs: [{ id: "fulfil-order--order-9", jobId: "fulfil-order" }] });

    const run = await dev.waitForRun("fulfil-order--order-9");
    expect(run.status).toBe("SUCCEEDED");
    const eventId = "fulfil-order--order-9:event:notify#0";
    expect(run.output).toEqual({ stock: { reserved: true }, card: { charged: 42 }, eventId });
    // Each task with the state that really ran it: the Map's copy, not the top-level state.
    expect(run.tasks.map((t: any) => [t.id, t.stateName, t.status, t.attempts.length])).toEqual([
      ["reserve-stock", "reserve-stock (parallel)", "SUCCEEDED", 1],
      ["charge-card", "charge-card (parallel)", "SUCCEEDED", 1],
    ]);
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(run.steps).toEqual([
      {
        kind: "wait",
        id: "cool-off",
        key: "wait:cool-off#0",
        index: 2,
        stateName: "Sleep",
        status: "SUCCEEDED",
        startedAt: iso,
        endedAt: iso,
        wakeAt: null,
        eventId: null,
        error: null,
      },
      {
        kind: "event",
        id: "notify",
        key: "event:notify#0",
        index: 3,
        stateName: "SendEvent",
        status: "SUCCEEDED",
        startedAt: iso,
        endedAt: iso,
        wakeAt: null,
        eventId,
        error: null,
      },
    ]);
    // The wait took its second, after both tasks; the event was sent after the wait.
    const [wait, sendEvent] = run.steps;
    const lastTaskEnd = Math.max(...run.tasks.map((t: any) => Date.parse(t.attempts[0].endedAt)));
    expect(Date.parse(wait.startedAt)).toBeGreaterThanOrEqual(lastTaskEnd);
    expect(Date.parse(wait.endedAt) - Date.parse(wait.startedAt)).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(sendEvent.startedAt)).toBeGreaterThanOrEqual(Date.parse(wait.endedAt));
    expect(Date.parse(sendEvent.endedAt)).toBeGreaterThanOrEqual(Date.parse(sendEvent.startedAt));
    // The states the execution entered, each once, in the order first entered: the Map and its inner states included.
    expect(run.statesEntered).toEqual([...FULFIL_ORDER_STATES_ENTERED]);

    // `stepjobs run` shows every step with its start and end, in the order they ran.
    const shown = await runCli(["run", run.id], { TRIGGER_API_URL: dev.url }, dev.root);
    expect(shown.code).toBe(0);
    const clock = (at: string) => at.slice(11, 23);
    const lines = shown.stdout.split("\n");
    const taskLines = lines.filter((l) => /^ {2}(task|wait|event) /.test(l));
    expect(taskLines).toEqual([
      "  task reserve-stock  SUCCEEDED  (1 attempt)",
      "  task charge-card  SUCCEEDED  (1 attempt)",
      `  wait cool-off  SUCCEEDED  ${clock(wait.startedAt)} -> ${clock(wait.endedAt)} (${formatDuration(Date.parse(wait.endedAt) - Date.parse(wait.startedAt))})`,
      `  event notify  SUCCEEDED  ${clock(sendEvent.startedAt)} -> ${clock(sendEvent.endedAt)} (${formatDuration(Date.parse(sendEvent.endedAt) - Date.parse(sendEvent.startedAt))})  sent ${eventId}`,
    ]);

    const sent = await dev.request("GET", `/api/v1/events/${encodeURIComponent(eventId)}`);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ id: eventId, name: "order.fulfilled", status: "ACCEPTED", payload: { orderId: "o-9" } });
    const receiptRunId = sent.body.runs[0].id;
    expect(sent.body.runs).toEqual([{ id: receiptRunId, jobId: "send-receipt" }]);
    const receipt = await dev.waitForRun(receiptRunId);
    expect([receipt.status, receipt.output]).toEqual(["SUCCEEDED", { emailed: "o-9" }]);

    // Duplicates: the same order again, and the sent event posted by hand, start nothing new.
    expect((await dev.send("order.placed", { orderId: "o-9", coolOffSeconds: 1 }, "order-9")).status).toBe(200);
    expect((await dev.send("order.fulfilled", { orderId: "o-9" }, eventId)).status).toBe(200);
    const receipts = await dev.request("GET", "/api/v1/runs?jobId=send-receipt");
    expect(receipts.body.runs.map((r: any) => r.id)).toEqual([receiptRunId]);
    expect(dev.output).toContain(`[send-receipt ${receiptRunId}]`);
  });

  it("while a run waits, its run view says WAITING with the wake time", async () => {
    const postedAt = Date.now();
    const posted = await dev.send("order.placed", { orderId: "o-10", coolOffSeconds: 30 }, "order-10");
    expect(posted.status).toBe(202);
    const waiting = await dev.waitForRun("fulfil-order--order-10", (r) => r.steps[0]?.startedAt);
    expect(waiting.status).toBe("RUNNING");
    expect(waiting.steps).toEqual([
      {
        kind: "wait",
        id: "cool-off",
        key: "wait:cool-off#0",
        index: 2,
        stateName: "Sleep",
        status: "WAITING",
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        endedAt: null,
        wakeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        eventId: null,
        error: null,
      },
    ]);
    expect(waiting.statesEntered).toEqual(FULFIL_ORDER_STATES_ENTERED.slice(0, 7));
    // The runner computed it after the POST: 30 s after that, rounded up to the second (RFC 3339 for TimestampPath).
    expect(Date.parse(waiting.steps[0].wakeAt)).toBeGreaterThanOrEqual(postedAt + 30_000);
  });

  it("a cronTrigger job is scheduled by dev: the job view shows its expression and next fire time, the terminal its schedule", async () => {
    const job = await dev.request("GET", "/api/v1/jobs/daily-report");
    expect(job.status).toBe(200);
    expect(job.body.trigger.event).toBe("stepjobs.schedule.daily-report");
    expect(job.body.trigger.schedule.expression).toBe("cron(0 9 ? * MON-FRI *)");
    const next = new Date(job.body.trigger.schedule.next);
    // Weekdays at 09:00 UTC, the next one after now.
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([9, 0, 0]);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(dev.output).toMatch(/job daily-report v1\.0\.0 {2}on cron\(0 9 \? \* MON-FRI \*\)/);
  });

  it("stepjobs redrive: a failed run continues from its failed task after the fix; the finished task does not run again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-redrive-"));
    const payload = { unlockFile: path.join(dir, "unlocked"), countFile: path.join(dir, "count") };
    const posted = await dev.send("orders.import", payload, "import-1");
    const runId = posted.body.runs[0].id;
    const failed = await dev.waitForRun(runId);
    const locked = {
      name: "NonRetriableError",
      message: "the importer is locked",
      stack: "at io.runTask.maxAttempts (src/jobs/import-orders.ts:35:49)",
    };
    expect([failed.status, failed.error]).toEqual(["FAILED", locked]);

    // Not fixed yet: a redrive fails again at the same task.
    const cli = (args: string[]) => runCli(args, { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey }, dev.root);
    expect((await cli(["redrive", runId])).code).toBe(0);
    const again = await dev.waitForRun(runId, (r) => r.status === "FAILED" && r.tasks[1].attempts.length === 2);
    expect(again.error).toEqual(locked);

    fs.writeFileSync(payload.unlockFile, "");
    const redriven = await cli(["redrive", runId]);
    expect([redriven.code, redriven.stdout]).toEqual([0, `${runId}: redriven, RUNNING (follow it with: stepjobs run ${runId} --follow)\n`]);
    const done = await dev.waitForRun(runId, (r) => r.status !== "RUNNING");
    expect([done.status, done.output]).toEqual(["SUCCEEDED", { imported: 3 }]);
    expect(done.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => [a.number, a.status])])).toEqual([
      ["prepare", "SUCCEEDED", [[1, "SUCCEEDED"]]],
      [
        "import",
        "SUCCEEDED",
        [
          [1, "FAILED"],
          [2, "FAILED"],
          [3, "SUCCEEDED"],
        ],
      ],
    ]);
    expect(fs.readFileSync(payload.countFile, "utf8")).toBe("prepare\n");
    // What the task saw matches its record: the redrives went on counting (the AWS runner's counter does too).
    expect(fs.readFileSync(`${payload.countFile}.import`, "utf8")).toBe("#1\n#2\n#3\n");
    expect(dev.output).toContain(`run ${runId} redriven (redrive 2)`);

    const refused = await cli(["redrive", runId]);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      `stepjobs redrive: NOT_REDRIVABLE: run ${runId} SUCCEEDED and cannot be redriven\n`,
    ]);
  });

  it("stepjobs cancel: a waiting run ends ABORTED; redriven, it waits again for what is left; unknown ids are 404", async () => {
    const posted = await dev.send("order.placed", { orderId: "o-11", coolOffSeconds: 600 }, "order-11");
    const runId = posted.body.runs[0].id;
    await dev.waitForRun(runId, (r) => r.steps.length > 0);
    const cli = (args: string[]) => runCli(args, { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey }, dev.root);
    const cancelled = await cli(["cancel", runId]);
    expect([cancelled.code, cancelled.stdout]).toEqual([0, `${runId}: ABORTED\n`]);
    expect((await dev.request("GET", `/api/v1/runs/${runId}`)).body.status).toBe("ABORTED");
    expect((await cli(["cancel", runId])).stderr).toBe(
      `stepjobs cancel: NOT_CANCELLABLE: run ${runId} is ABORTED and cannot be cancelled\n`,
    );

    expect((await cli(["redrive", runId])).code).toBe(0);
    const waiting = await dev.waitForRun(runId, (r) => r.status === "RUNNING" && r.steps[0]?.status === "WAITING");
    expect(waiting.steps[0].key).toBe("wait:cool-off#0");
    expect((await cli(["cancel", runId])).code).toBe(0);

    const missing = await dev.request("POST", "/api/v1/runs/nope/redrive");
    expect([missing.status, missing.body]).toEqual([404, { error: { code: "NOT_FOUND", message: 'no run with id "nope"' } }]);
    expect((await cli(["cancel"])).code).toBe(2);
  });

  it("versions: a run waiting while its job is edited finishes on the version it started on; new runs get the new one", async () => {
    const first = (await dev.send("versioned.go", {}, "v-1")).body.runs[0].id;
    await dev.waitForRun(first, (r) => r.steps[0]?.status === "WAITING");
    const file = path.join(dev.root, "src/jobs/versioned.ts");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('version: "1.0.0"', 'version: "2.0.0"').replace('"one"', '"two"'));
    await dev.waitForOutput(/re-registered job versioned v2\.0\.0/);
    const second = (await dev.send("versioned.go", {}, "v-2")).body.runs[0].id;
    const [old, fresh] = await Promise.all([dev.waitForRun(first), dev.waitForRun(second)]);
    expect([old.status, old.jobVersion, old.output]).toEqual(["SUCCEEDED", "1.0.0", { answeredBy: "one" }]);
    expect([fresh.status, fresh.jobVersion, fresh.output]).toEqual(["SUCCEEDED", "2.0.0", { answeredBy: "two" }]);
  });

  it('an Express job (mode: "express") runs its wait and task through dev like any other', async () => {
    const runId = (await dev.send("ping", {}, "ping-1")).body.runs[0].id;
    const run = await dev.waitForRun(runId);
    expect([run.status, run.output, run.steps.map((s: any) => [s.key, s.status])]).toEqual([
      "SUCCEEDED",
      "pong",
      [["wait:settle#0", "SUCCEEDED"]],
    ]);
    const job = await dev.request("GET", "/api/v1/jobs/express-ping");
    expect(job.body.mode).toBe("express");
  });

  it("a wait across a restart keeps its start from before the stop and ends after the restart, when it was due", async () => {
    const runId = (await dev.send("order.placed", { orderId: "o-12", coolOffSeconds: 3 }, "order-12")).body.runs[0].id;
    const before = await dev.waitForRun(runId, (r) => r.steps[0]?.startedAt);
    await dev.kill("SIGTERM");
    const restartedAt = Date.now();
    await dev.start();
    const run = await dev.waitForRun(runId);
    expect(run.status).toBe("SUCCEEDED");
    const [wait] = run.steps;
    expect([wait.key, wait.status, wait.startedAt]).toEqual(["wait:cool-off#0", "SUCCEEDED", before.steps[0].startedAt]);
    expect(Date.parse(wait.endedAt)).toBeGreaterThanOrEqual(restartedAt);
    expect(Date.parse(wait.endedAt) - Date.parse(wait.startedAt)).toBeGreaterThanOrEqual(3000);
    expect(run.statesEntered).toEqual(expect.arrayContaining(["Sleep", "SendEvent", "Succeeded"]));
  });
});
