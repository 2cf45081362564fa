import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectPageErrors, type DevProcess, launchChromium, REPO_ROOT, startDev } from "./harness.ts";

/** The run page of a failed run shows the task's error whole: name, message, its fields and the user's stack. */
let dev: DevProcess;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev(path.join(REPO_ROOT, "test/fixtures/errors")), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

describe("a failed task's error on the run page", () => {
  it("the failed attempt and the run's error show the fields and the stack frames where the job threw", async () => {
    const sent = await dev.send("custom.errors", { orderId: "o-7" }, "browser-errors");
    const runId = sent.body.runs[0].id;
    await dev.waitForRun(runId, "FAILED");
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = collectPageErrors(page);
    await page.goto(`${dev.url}/runs/${encodeURIComponent(runId)}`);
    await page.locator('[data-run-status="FAILED"]').waitFor({ timeout: 30_000 });

    const attempt = page.locator('[data-task-id="charge"] [data-attempt="2"]').first();
    expect(await attempt.locator(".error-name").innerText()).toBe("PaymentError");
    expect(await attempt.getByTestId("error-fields").innerText()).toBe('{"code":"CARD_DECLINED","orderId":"o-7"}');
    const frames = (await attempt.getByTestId("error-stack").innerText()).split("\n");
    expect(frames[0]).toMatch(/^at .*test\/fixtures\/errors\/custom-errors\.ts:31:15\)?$/);

    const runError = page.locator(".run-error");
    expect(await runError.getByTestId("error-fields").innerText()).toBe('{"code":"CARD_DECLINED","orderId":"o-7"}');
    expect((await runError.getByTestId("error-stack").innerText()).split("\n")[0]).toBe(frames[0]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
