import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectPageErrors, type DevProcess, launchChromium, startDev } from "./harness.ts";

/** More runs and events than one page, in Chromium: the lists say so and "Load more" shows the rest, live. */
let dev: DevProcess;
let browser: Browser;
const SENT = 55;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev(), launchChromium()]);
  for (let i = 0; i < SENT; i++) {
    const sent = await dev.send("my.event", { message: `page ${i}`, shouldFail: false }, `paging-${String(i).padStart(2, "0")}`);
    expect(sent.status).toBe(202);
  }
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

/** The ids in the list, top to bottom. */
const listed = (page: Page, attribute: string) =>
  page.locator(`[${attribute}]`).evaluateAll((els, name) => els.map((e) => e.getAttribute(name)), attribute);

describe("paged lists in the dashboard", () => {
  it("Runs shows the newest 50, says more exist, and Load more adds the rest without a gap as new runs arrive", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectPageErrors(page);
    const all = (await dev.get("/api/v1/runs?jobId=my-first-workflow&limit=1000")).runs.map((r: { id: string }) => r.id);
    expect(all).toHaveLength(SENT);
    await page.goto(`${dev.url}/runs?jobId=my-first-workflow`);
    await page.locator("[data-run-id]").nth(49).waitFor();
    expect(await listed(page, "data-run-id")).toEqual(all.slice(0, 50));
    expect(await page.getByTestId("list-count").innerText()).toBe("newest 50 runs, more below");

    await page.getByTestId("load-more").click();
    await page
      .locator("[data-run-id]")
      .nth(SENT - 1)
      .waitFor();
    expect(await listed(page, "data-run-id")).toEqual(all);
    expect(await page.getByTestId("list-count").innerText()).toBe(`${SENT} runs`);
    expect(await page.getByTestId("load-more").count()).toBe(0);

    // A new run arrives through the live feed: it joins at the top, and the oldest stays listed.
    const sent = await dev.send("my.event", { message: "late", shouldFail: false }, "paging-late");
    await page.locator(`[data-run-id="${sent.body.runs[0].id}"]`).waitFor();
    expect(await listed(page, "data-run-id")).toEqual([sent.body.runs[0].id, ...all]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("Events pages the same way", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectPageErrors(page);
    const all = (await dev.get("/api/v1/events?limit=1000")).events.map((e: { id: string }) => e.id);
    expect(all.length).toBeGreaterThan(50);
    await page.goto(`${dev.url}/events`);
    await page.locator("[data-event-id]").nth(49).waitFor();
    expect(await listed(page, "data-event-id")).toEqual(all.slice(0, 50));
    await page.getByTestId("load-more").click();
    await page
      .locator("[data-event-id]")
      .nth(all.length - 1)
      .waitFor();
    expect(await listed(page, "data-event-id")).toEqual(all);
    expect(errors).toEqual([]);
    await page.close();
  });
});
