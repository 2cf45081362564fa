// `npm run screenshots`: starts the real `stepjobs dev`, replays the tutorial and saves the README's
// pictures of the dashboard: docs/runs.png (the Runs list), docs/run-timeline.png (a run's timeline) and
// docs/state-machine.png (the tutorial job's compiled state machine).
import fs from "node:fs";
import path from "node:path";
import { launchChromium, REPO_ROOT, startDev } from "../test/browser/harness.ts";

const OUT = path.join(REPO_ROOT, "docs");

const dev = await startDev();
const browser = await launchChromium();
try {
  fs.mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1360, height: 760 }, deviceScaleFactor: 1 });
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });

  const tutorial = await dev.send("my.event", { message: "Hello from Trigger.dev!", shouldFail: true });
  await dev.send("my.event", { message: "Hello via curl!", shouldFail: false });
  await dev.send("priority.event", { message: "Low priority data", shouldFail: true, priority: "low" });
  await dev.send("my.event", { message: 42 });
  const runId: string = tutorial.body.runs[0].id;
  await dev.waitForRun(runId, "SUCCEEDED");
  const high = await dev.send("priority.event", { message: "High priority data", shouldFail: true, priority: "high" });
  const highRun: string = high.body.runs[0].id;
  for (;;) {
    const run = await dev.get(`/api/v1/runs/${encodeURIComponent(highRun)}`);
    if (run.tasks?.some((t: { status: string }) => t.status === "RETRYING")) break;
    await new Promise((r) => setTimeout(r, 50));
  }

  await page.goto(`${dev.url}/runs`);
  await page.locator(`tr[data-run-id="${highRun}"] [data-status="RETRYING"]`).waitFor();
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  await page.screenshot({ path: path.join(OUT, "runs.png") });

  await page.setViewportSize({ width: 1360, height: 1100 });
  await page.goto(`${dev.url}/runs/${encodeURIComponent(runId)}`);
  await page.locator('[data-run-status="SUCCEEDED"]').waitFor();
  await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
  await page.screenshot({ path: path.join(OUT, "run-timeline.png"), fullPage: true });
  // The tutorial job's compiled state machine, as the job page draws it from the ASL (docs/how-it-maps.md).
  await page.goto(`${dev.url}/jobs/my-first-workflow`);
  const graph = page.locator("figure.graph").first();
  await graph.waitFor();
  await graph.screenshot({ path: path.join(OUT, "state-machine.png") });
  console.log("saved docs/runs.png, docs/run-timeline.png and docs/state-machine.png");
} finally {
  await browser.close();
  await dev.stop();
}
