import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalAddress } from "../helpers/external-address.ts";
import { collectPageErrors, type DevProcess, launchChromium, startDev } from "./harness.ts";

/**
 * `stepjobs dev --host 0.0.0.0` in Chromium from another address of this machine: the dashboard asks for the API
 * key once, before any API access, and then works as on loopback.
 */
let dev: DevProcess;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev(undefined, { host: "0.0.0.0" }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

describe("the dashboard from another machine", () => {
  it("shows the login form, refuses a wrong key, and opens the page asked for with the right one", async () => {
    const sent = await dev.send("my.event", { message: "from afar", shouldFail: false }, "login-run");
    const runId = sent.body.runs[0].id;
    await dev.waitForRun(runId, "SUCCEEDED");
    const remote = `http://${externalAddress()}:${new URL(dev.url).port}`;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectPageErrors(page);
    const apiCalls: number[] = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/")) apiCalls.push(r.status());
    });

    await page.goto(`${remote}/runs?jobId=my-first-workflow`);
    await page.getByLabel("API key").waitFor();
    // No dashboard script runs before the login, so nothing reaches the API.
    expect(apiCalls).toEqual([]);

    await page.getByLabel("API key").fill("tr_dev_not_the_key");
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").innerText()).toBe(
      "That is not the key. Enter the API key (TRIGGER_API_KEY in the project's .env).",
    );
    expect(apiCalls).toEqual([]);

    await page.getByLabel("API key").fill(dev.apiKey);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.locator(`[data-run-id="${runId}"]`).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/runs?jobId=my-first-workflow");
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["stepjobs_session", true, "Strict"]]);
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.filter((status) => status === 401)).toEqual([]);
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    await page.close();
  });
});
