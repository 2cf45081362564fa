import type http from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackResources } from "../../lib/cli/aws.ts";
import { startAwsDashboard } from "../../lib/cli/dashboard-aws.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import alwaysFails from "../fixtures/histories/always-fails.json" with { type: "json" };
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };
import { ROOT } from "../helpers/load-job.ts";
import { recordingAws } from "../helpers/recording-aws.ts";
import { collectPageErrors, launchChromium } from "./harness.ts";
import { defined } from "../helpers/defined.ts";

/**
 * `stepjobs dashboard --aws` in Chromium: the same pages over a deployed stack, read from recorded Step Functions
 * histories (no AWS is reachable here); the header says `aws` and a failed run names the CLI command to redrive it.
 */
const ACCOUNT = "arn:aws:states:us-east-1:123456789012";
const TUTORIAL_SM = `${ACCOUNT}:stateMachine:AppJobmyfirstworkflow`;
const FAILS_SM = `${ACCOUNT}:stateMachine:AppJobalwaysfails`;
const OK_RUN = "my-first-workflow--01M88EVENT";
const FAILED_RUN = "always-fails--01M88FAIL";
const stack: StackResources = {
  stackName: "StepJobs",
  expressJobs: new Set<string>(),
  jobs: new Map([
    ["my-first-workflow", TUTORIAL_SM],
    ["always-fails", FAILS_SM],
  ]),
  tableName: "stepjobs-table",
};
const executions: Record<string, { name: string; stateMachineArn: string; status: string; events: unknown[] }> = {
  [`${ACCOUNT}:execution:AppJobmyfirstworkflow:${OK_RUN}`]: {
    name: OK_RUN,
    stateMachineArn: TUTORIAL_SM,
    status: "SUCCEEDED",
    events: tutorial.events,
  },
  [`${ACCOUNT}:execution:AppJobalwaysfails:${FAILED_RUN}`]: {
    name: FAILED_RUN,
    stateMachineArn: FAILS_SM,
    status: "FAILED",
    events: alwaysFails.events,
  },
};
const aws = recordingAws({
  ListExecutionsCommand: (input: { stateMachineArn: string }) => ({
    executions: Object.values(executions)
      .filter((e) => e.stateMachineArn === input.stateMachineArn)
      .map((e) => ({
        name: e.name,
        status: e.status,
        startDate: new Date("2026-11-25T10:00:00Z"),
        stopDate: new Date("2026-11-25T10:00:03Z"),
      })),
  }),
  DescribeExecutionCommand: (input: { executionArn: string }) => executions[input.executionArn],
  GetExecutionHistoryCommand: (input: { executionArn: string }) => ({
    events: defined(executions[input.executionArn], input.executionArn).events,
  }),
  QueryCommand: { Items: [] },
});

let server: http.Server;
let url = "";
let browser: Browser;

beforeAll(async () => {
  const jobs = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs;
  [{ server, url }, browser] = await Promise.all([
    startAwsDashboard({ clients: aws.clients, stack, jobs, root: ROOT, host: "127.0.0.1", port: 0 }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe("the dashboard over a deployed stack", () => {
  it("lists the stack's runs, shows a retried run's timeline, and names the CLI command to redrive a failed one", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = collectPageErrors(page);
    await page.goto(`${url}/runs`);
    expect(await page.getByTestId("app-env").innerText()).toBe("aws");
    expect(await page.getByTestId("app-id").innerText()).toBe("StepJobs");
    const rows = page.locator("[data-run-id]");
    await rows.first().waitFor();
    expect((await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")))).sort()).toEqual([FAILED_RUN, OK_RUN]);

    await page.goto(`${url}/runs/${OK_RUN}`);
    await page.locator('[data-run-status="SUCCEEDED"]').waitFor();
    const taskIds = await page.locator("[data-task-id]").evaluateAll((els) => els.map((e) => e.getAttribute("data-task-id")));
    expect([...new Set(taskIds)]).toEqual(["process-incoming-data", "send-confirmation"]);
    expect(await page.getByTestId("run-read-only").count()).toBe(0);

    await page.goto(`${url}/runs/${FAILED_RUN}`);
    await page.locator('[data-run-status="FAILED"]').waitFor();
    expect(await page.getByTestId("run-redrive").count()).toBe(0);
    expect((await page.getByTestId("run-read-only").innerText()).replace(/\s+/g, " ")).toMatch(
      new RegExp(`^Redrive with npx stepjobs redrive ${FAILED_RUN} --aws`),
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
