import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile, ROOT } from "./helpers.ts";

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
    expect(run.tasks.map((t: any) => [t.id, t.status, t.attempts.length])).toEqual([
      ["reserve-stock", "SUCCEEDED", 1],
      ["charge-card", "SUCCEEDED", 1],
    ]);
    expect(run.steps).toEqual([
      { kind: "wait", id: "cool-off", key: "wait:cool-off#0", index: 2, status: "SUCCEEDED", wakeAt: null, eventId: null, error: null },
      { kind: "event", id: "notify", key: "event:notify#0", index: 3, status: "SUCCEEDED", wakeAt: null, eventId, error: null },
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
    const waiting = await dev.waitForRun("fulfil-order--order-10", (r) => r.steps.length > 0);
    expect(waiting.status).toBe("RUNNING");
    expect(waiting.steps).toEqual([
      {
        kind: "wait",
        id: "cool-off",
        key: "wait:cool-off#0",
        index: 2,
        status: "WAITING",
        wakeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        eventId: null,
        error: null,
      },
    ]);
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
});
