import path from "node:path";
import type { Browser, Page } from "playwright-core";
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

/** The states the graph draws with a class (`.visited`, `.active`), in drawing order. */
const graphStates = (page: Page, cls: string) =>
  page.locator(`.graph-node${cls}`).evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));

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
    await step.getByTestId("step-time").waitFor();
    // Since when it waits (running on), and until when.
    expect((await step.textContent())!.replace(/\s+/g, " ")).toMatch(
      /^io\.wait cool-off WAITING \d\d:\d\d:\d\d\.\d{3} → … \(\d+(\.\d+)? m?s…\) until \S/,
    );
    // Both parallel tasks finished before the wait; the page shows them in call order.
    const taskIds = await page.locator("[data-task-id]").evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id")));
    expect([...new Set(taskIds)]).toEqual(["reserve-stock", "charge-card"]);
    // The graph: the wait in progress pulses in Sleep; the batch ran in Parallel, not in the top-level task states.
    await page.locator('[data-state="Sleep"].active').waitFor();
    expect(await graphStates(page, ".visited")).toEqual(["Plan", "Route", "Sleep", "Parallel"]);
    expect(await graphStates(page, ".active")).toEqual(["Sleep"]);

    // Cancel from the run page: the run ends ABORTED and offers Redrive instead.
    await page.getByTestId("run-cancel").click();
    await page.locator('[data-run-status="ABORTED"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("run-redrive").waitFor();
    expect((await dev.get(`/api/v1/runs/${encodeURIComponent(runId)}`)).status).toBe("ABORTED");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a finished run: the graph highlights the states it entered and fits at 1400 px; each wait and event shows when it ran", async () => {
    const sent = await dev.send("order.placed", { orderId: "b-2", coolOffSeconds: 1 }, "browser-order-done");
    const runId = sent.body.runs[0].id;
    const run = await dev.waitForRun(runId, "SUCCEEDED");
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = collectPageErrors(page);
    await page.goto(`${dev.url}/runs/${encodeURIComponent(runId)}`);
    await page.locator('[data-run-status="SUCCEEDED"]').waitFor();
    await page.locator(".graph-node.visited").first().waitFor();
    expect(await graphStates(page, ".visited")).toEqual(["Plan", "Route", "Succeeded", "Sleep", "SendEvent", "Parallel"]);
    expect(await graphStates(page, ".active")).toEqual([]);
    await expectGraphFits(page);

    // Every step with its start and end, in the list and as rows of the timeline, in the order they ran.
    const [wait, event] = run.steps;
    const clock = (iso: string) => iso.slice(11, 23);
    const shown = (key: string) => page.locator(`[data-step-key="${key}"] [data-testid="step-time"]`).innerText();
    expect(await shown("wait:cool-off#0")).toMatch(new RegExp(`^${clock(wait.startedAt)} → ${clock(wait.endedAt)} \\(1(\\.\\d+)? s\\)$`));
    expect(await shown("event:notify#0")).toMatch(new RegExp(`^${clock(event.startedAt)} → ${clock(event.endedAt)} \\(\\d+ ms\\)$`));
    const rows = await page
      .locator('[data-testid="timeline"] [data-task-id], [data-testid="timeline"] [data-step-row]')
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id") ?? e.getAttribute("data-step-row")));
    expect(rows).toEqual(["reserve-stock", "charge-card", "wait:cool-off#0", "event:notify#0"]);

    // The job page draws the same machine in its narrower column: it fits there too.
    await page.goto(`${dev.url}/jobs/fulfil-order`);
    await page.locator(".graph-node").first().waitFor();
    await expectGraphFits(page);
    expect(errors).toEqual([]);
    await page.close();
  });
});

/** The whole graph is inside its card: nothing scrolls, and every state's box is within the visible area. */
async function expectGraphFits(page: Page): Promise<void> {
  const fit = await page.locator(".graph-scroll").evaluate((scroller) => {
    const box = scroller.getBoundingClientRect();
    const outside = Array.from(scroller.querySelectorAll(".graph-node"))
      .filter((node) => {
        const r = node.getBoundingClientRect();
        return r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom;
      })
      .map((node) => node.getAttribute("data-state"));
    return { overflow: scroller.scrollWidth - scroller.clientWidth, outside };
  });
  expect(fit).toEqual({ overflow: 0, outside: [] });
}
