import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAwsDashboard } from "../../lib/cli/dashboard-aws.ts";
import type { StackResources } from "../../lib/cli/aws.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };
import { ROOT } from "../helpers/load-job.ts";
import { recordingAws } from "../helpers/recording-aws.ts";

/** `stepjobs dashboard --aws`: the same UI and API routes, read-only, over a deployed stack (recording AWS clients). */
const SM = "arn:aws:states:us-east-1:123456789012:stateMachine:AppJobmyfirstworkflow";
const RUN = "my-first-workflow--01M88EVENT";
const stack: StackResources = {
  stackName: "StepJobs",
  jobs: new Map([["my-first-workflow", SM]]),
  eventBusName: "bus",
  deadLetterQueueUrl: "https://sqs/dlq",
  tableName: "stepjobs-table",
};
const aws = recordingAws({
  ListExecutionsCommand: {
    executions: [
      { name: RUN, status: "SUCCEEDED", startDate: new Date("2026-11-25T10:00:00Z"), stopDate: new Date("2026-11-25T10:00:03.2Z") },
    ],
  },
  DescribeExecutionCommand: { name: RUN, stateMachineArn: SM, status: "SUCCEEDED" },
  GetExecutionHistoryCommand: { events: tutorial.events },
  QueryCommand: { Items: [] },
});
let server: http.Server;
let url = "";
let cookie = "";

beforeAll(async () => {
  const jobs = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs;
  ({ server, url } = await startAwsDashboard({ clients: aws.clients, stack, jobs, root: ROOT, host: "127.0.0.1", port: 0 }));
  const page = await fetch(`${url}/runs`);
  cookie = page.headers.get("set-cookie")!.split(";")[0];
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = async (path: string) => {
  const response = await fetch(url + path, { headers: { cookie } });
  return { status: response.status, body: await response.json() };
};

describe("stepjobs dashboard --aws", () => {
  it("Runs come from ListExecutions of the stack's state machines", async () => {
    const runs = await get("/api/v1/runs?status=SUCCEEDED");
    expect(runs).toEqual({
      status: 200,
      body: {
        runs: [
          {
            id: RUN,
            jobId: "my-first-workflow",
            status: "SUCCEEDED",
            startedAt: "2026-11-25T10:00:00.000Z",
            completedAt: "2026-11-25T10:00:03.200Z",
          },
        ],
      },
    });
    expect(aws.calls.find((c) => c.command === "ListExecutionsCommand")?.input).toEqual({
      stateMachineArn: SM,
      maxResults: 20,
      statusFilter: "SUCCEEDED",
    });
  });

  it("a run's timeline comes from its execution history, in the view the dashboard renders for local runs", async () => {
    const run = await get(`/api/v1/runs/${RUN}`);
    expect(run.status).toBe(200);
    expect(run.body.tasks.map((t: any) => [t.id, t.status, t.attempts.map((a: any) => a.status)])).toEqual([
      ["process-incoming-data", "SUCCEEDED", ["FAILED", "SUCCEEDED"]],
      ["send-confirmation", "SUCCEEDED", ["SUCCEEDED"]],
    ]);
  });

  it("events come from the stack's table; jobs from the project's sources", async () => {
    expect(await get("/api/v1/events")).toEqual({ status: 200, body: { events: [] } });
    expect(aws.calls.find((c) => c.command === "QueryCommand")?.input).toMatchObject({ TableName: "stepjobs-table" });
    expect((await get("/api/v1/jobs")).body.jobs.map((j: any) => j.id)).toEqual(["my-first-workflow", "priority-workflow"]);
  });

  it("it is read-only: a POST says which CLI command to use", async () => {
    const response = await fetch(`${url}/api/v1/events`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect([response.status, await response.json()]).toEqual([
      405,
      {
        error: {
          code: "READ_ONLY",
          message: "this dashboard reads a deployed stack; use `stepjobs send|redrive|cancel --aws` to change it",
        },
      },
    ]);
  });

  it("serves the same dashboard page, without a key in it", async () => {
    const page = await fetch(`${url}/runs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"></div>');
  });
});
