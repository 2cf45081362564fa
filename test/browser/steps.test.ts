import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectPageErrors, type DevProcess, launchChromium, REPO_ROOT, startDev } from "./harness.ts";

/** The dashboard in Chromium on the step fixtures: a schedule's next fire time, and a run waiting in io.wait. */
let dev: DevProcess;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev(path.join(REPO_ROOT, "test/fixtures/steps")), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

describe("waits, events and schedules in the dashboard", () => {
  it("the Jobs page shows a cron job's expression and next fire time; a waiting run shows its wait and wake time", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = collectPageErrors(page);
    await page.goto(`${dev.url}/jobs`);
    const card = page.locator('[data-job-id="daily-report"]');
    await card.waitFor();
    expect(await card.locator(".job-trigger").innerText()).toBe("on cron(0 9 ? * MON-FRI *)");
    expect(await card.getByTestId("next-fire").innerText()).toMatch(/^next .+/);

    const sent = await dev.send("order.placed", { orderId: "b-1", coolOffSeconds: 600 }, "browser-order");
    expect(sent.status).toBe(202);
    const runId = sent.body.runs[0].id;
    await page.goto(`${dev.url}/runs/${encodeURIComponent(runId)}`);
    const step = page.locator('[data-step-key="wait:cool-off#0"]');
    await step.waitFor({ timeout: 30_000 });
    await step.locator(".badge", { hasText: "WAITING" }).waitFor();
    const run = await dev.get(`/api/v1/runs/${encodeURIComponent(runId)}`);
    expect(run.steps).toHaveLength(1);
    expect((await step.textContent())!.replace(/\s+/g, " ")).toMatch(/^io\.wait cool-off WAITING until \S/);
    // Both parallel tasks finished before the wait; the page shows them in call order.
    const taskIds = await page.locator("[data-task-id]").evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id")));
    expect([...new Set(taskIds)]).toEqual(["reserve-stock", "charge-card"]);

    // Cancel from the run page: the run ends ABORTED and offers Redrive instead.
    await page.getByTestId("run-cancel").click();
    await page.locator('[data-run-status="ABORTED"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("run-redrive").waitFor();
    expect((await dev.get(`/api/v1/runs/${encodeURIComponent(runId)}`)).status).toBe("ABORTED");
    expect(errors).toEqual([]);
    await page.close();
  });
});
