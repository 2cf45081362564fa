import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectPageErrors, type DevProcess, launchChromium, startDev } from "./harness.ts";

/**
 * The dashboard in real Chromium against the real `stepjobs dev` (spawned on a free port with a temp
 * data dir), walking the tutorial's dashboard steps: Events, Send Event, Runs, the run's timeline.
 */

const TUTORIAL_PAYLOAD = '{"message":"Hello from Trigger.dev!","shouldFail":true}';

let dev: DevProcess;
let browser: Browser;

beforeAll(async () => {
  [dev, browser] = await Promise.all([startDev(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

async function openPage(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors = collectPageErrors(page);
  await page.goto(dev.url + path);
  await page.getByTestId("connection").and(page.locator('[data-state="live"]')).waitFor();
  return { page, errors };
}

async function openSendEventDialog(page: Page, name: string, payload: string): Promise<void> {
  await page.getByTestId("open-send-event").first().click();
  const dialog = page.getByTestId("send-event-dialog");
  await dialog.getByLabel("Event name").fill(name);
  await dialog.getByLabel("Payload (JSON)").fill(payload);
}

async function textsOf(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).allInnerTexts();
}

describe("dashboard on stepjobs dev, in Chromium", () => {
  it("tutorial: Send Event my.event from the dialog, follow the link, the timeline shows the retry and the success", async () => {
    const { page, errors } = await openPage("/events");
    await openSendEventDialog(page, "my.event", TUTORIAL_PAYLOAD);
    await page.getByTestId("send-event-submit").click();

    const link = page.getByTestId("started-run-link");
    await link.waitFor();
    expect(await link.count()).toBe(1);
    const href = await link.getAttribute("href");
    await link.click();
    await page.waitForURL(dev.url + href);
    await page.locator('[data-run-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });

    const runId = decodeURIComponent(href!.replace("/runs/", ""));
    expect((await dev.get(`/api/v1/runs/${encodeURIComponent(runId)}`)).jobId).toBe("my-first-workflow");
    const first = '[data-task-id="process-incoming-data"]';
    const second = '[data-task-id="send-confirmation"]';
    expect(
      await page
        .locator(`${first} [data-attempt]`)
        .evaluateAll((els) => els.map((e) => [e.getAttribute("data-attempt"), e.getAttribute("data-status")])),
    ).toEqual([
      ["1", "FAILED"],
      ["2", "SUCCEEDED"],
    ]);
    expect(await textsOf(page, `${first} [data-attempt="1"] .error-message`)).toEqual(["Simulated transient error during processing!"]);
    expect(await textsOf(page, `${first} [data-attempt="1"] .log-message`)).toEqual([
      "Processing data: Hello from Trigger.dev!",
      "Simulating a temporary failure for attempt 1...",
    ]);
    expect(await page.locator(`${first} [data-testid="retry-wait"]`).count()).toBe(1);
    expect(await page.locator(`${first} .tl-bar`).count()).toBe(2);
    expect(await page.locator(`${first} .tl-wait`).count()).toBe(1);
    expect(
      await page
        .locator(`${second} [data-attempt]`)
        .evaluateAll((els) => els.map((e) => [e.getAttribute("data-attempt"), e.getAttribute("data-status")])),
    ).toEqual([["1", "SUCCEEDED"]]);
    expect(await textsOf(page, `${first} .retry-policy`)).toEqual(["3 attempts, 1 s apart"]);
    expect(await page.locator("g.graph-node.visited").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")))).toEqual([
      "Plan",
      "Route",
      "Succeeded",
      "process-incoming-data",
      "send-confirmation",
    ]);
    expect(errors).toEqual([]);
  });

  it("an invalid payload: the dialog shows the schema error and sends nothing; forced through the API, Events shows REJECTED with the pointer", async () => {
    const { page, errors } = await openPage("/events");
    const posts: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posts.push(request.url());
    });
    const eventsBefore = (await dev.get("/api/v1/events")).events.length;

    await openSendEventDialog(page, "my.event", '{"message": }');
    await page.getByTestId("send-event-submit").click();
    await page.locator('[data-testid="payload-problems"] .problem').first().waitFor();
    expect(await textsOf(page, '[data-testid="payload-problems"] .problem')).toEqual(["line 1, column 13\nUnexpected token '}'"]);

    await page.getByTestId("send-event-dialog").getByLabel("Payload (JSON)").fill('{"message":"Hello from Trigger.dev!"}');
    await page.getByTestId("send-event-submit").click();
    await page.getByTestId("schema-issue").first().waitFor();
    expect(await textsOf(page, '[data-testid="schema-issue"]')).toEqual(["/shouldFail\nmust have required property 'shouldFail'"]);
    expect(await page.getByTestId("send-event-dialog").isVisible()).toBe(true);
    expect(posts).toEqual([]);
    expect((await dev.get("/api/v1/events")).events.length).toBe(eventsBefore);

    const forced = await dev.send("my.event", { message: "Hello from Trigger.dev!" });
    expect(forced.status).toBe(400);
    expect(forced.body.error.code).toBe("EVENT_VALIDATION");
    const eventId: string = forced.body.error.details.id;

    await page.keyboard.press("Escape");
    await page.getByRole("link", { name: "Events" }).click();
    const row = page.locator(`[data-event-id="${eventId}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("REJECTED");
    expect(await row.locator('[data-testid="error-pointer"]').allInnerTexts()).toEqual(["/shouldFail"]);
    expect(await row.locator(".issue-message").allInnerTexts()).toEqual(["must have required property 'shouldFail'"]);
    expect(posts).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("the Runs list shows a run started from outside the browser without a reload", async () => {
    const { page, errors } = await openPage("/runs");
    await page.locator('main .page[aria-busy="false"]').waitFor();
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    const sent = await dev.send("priority.event", { message: "Low priority data", shouldFail: true, priority: "low" });
    expect(sent.status).toBe(202);
    const runId: string = sent.body.runs[0].id;
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    await row.locator('[data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
    expect(await row.locator("td").nth(1).innerText()).toBe("Priority Workflow\npriority-workflow");
    expect(navigations).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("a run that ends between the page's first fetch and its live stream opening still shows (the page refetches once live)", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = collectPageErrors(page);
    // Hold the stream's request until the run has ended: every change of that run happens in the gap.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/api/v1/stream", async (route) => {
      await gate;
      await route.continue();
    });
    await page.goto(`${dev.url}/runs`);
    await page.locator('main .page[aria-busy="false"]').waitFor();
    const sent = await dev.send("my.event", { message: "in the gap", shouldFail: false });
    const runId: string = sent.body.runs[0].id;
    await dev.waitForRun(runId, "SUCCEEDED");
    expect(await page.locator(`tr[data-run-id="${runId}"]`).count()).toBe(0);

    release();
    await page.getByTestId("connection").and(page.locator('[data-state="live"]')).waitFor();
    await page.locator(`tr[data-run-id="${runId}"] [data-status="SUCCEEDED"]`).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a payload containing <script> renders as text on the Events and Run pages", async () => {
    const hostile = '<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">';
    const sent = await dev.send("my.event", { message: hostile, shouldFail: false });
    const runId: string = sent.body.runs[0].id;
    await dev.waitForRun(runId, "SUCCEEDED");

    const { page, errors } = await openPage(`/runs/${encodeURIComponent(runId)}`);
    await page.locator('[data-run-status="SUCCEEDED"]').waitFor();
    expect(await page.locator('[aria-label="Run payload"]').innerText()).toBe(
      JSON.stringify({ message: hostile, shouldFail: false }, null, 2),
    );
    expect(await page.locator("#app script, #app img").count()).toBe(0);

    await page.getByRole("link", { name: "Events" }).click();
    const item = page.locator(`[data-event-id="${sent.body.id}"]`);
    await item.locator("summary").click();
    expect(await item.locator("pre.json").innerText()).toBe(JSON.stringify({ message: hostile, shouldFail: false }, null, 2));
    expect(await page.locator("#app script, #app img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBe(undefined);
    expect(errors).toEqual([]);
  });

  it("no console errors on any page, at laptop and phone widths", async () => {
    const sent = await dev.send("my.event", { message: "Hello from Trigger.dev!", shouldFail: false });
    const runId: string = sent.body.runs[0].id;
    await dev.waitForRun(runId, "SUCCEEDED");
    const paths = [
      "/",
      "/jobs",
      "/jobs/my-first-workflow",
      "/events",
      "/runs",
      `/runs/${encodeURIComponent(runId)}`,
      "/runs?jobId=my-first-workflow&status=SUCCEEDED",
    ];
    const seen: Record<string, string[]> = {};
    for (const viewport of [
      { width: 1280, height: 860 },
      { width: 390, height: 844 },
    ]) {
      const page = await browser.newPage({ viewport });
      const errors = collectPageErrors(page);
      for (const path of paths) {
        await page.goto(dev.url + path);
        await page.locator('main .page[aria-busy="false"]').waitFor();
        await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
        seen[`${viewport.width} ${path}`] = errors.splice(0);
      }
      await page.close();
    }
    expect(Object.values(seen).flat()).toEqual([]);
    expect(Object.keys(seen).length).toBe(paths.length * 2);
  });
});
