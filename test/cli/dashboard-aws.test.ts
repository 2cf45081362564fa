import http from "node:http";
import type { AddressInfo } from "node:net";
import type { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiHandler } from "../../lambdas/api.ts";
import { startAwsDashboard } from "../../lib/cli/dashboard-aws.ts";
import type { StackResources } from "../../lib/cli/aws.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };
import { externalAddress } from "../helpers/external-address.ts";
import { ROOT } from "../helpers/load-job.ts";
import { recordingAws } from "../helpers/recording-aws.ts";
import { sessionOf } from "../helpers/defined.ts";

/** `stepjobs dashboard --aws`: the same UI and API routes, read-only, over a deployed stack (recording AWS clients). */
const SM = "arn:aws:states:us-east-1:123456789012:stateMachine:AppJobmyfirstworkflow";
const RUN = "my-first-workflow--01M88EVENT";
const KEY = "sk_stack_0123456789abcdef";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ApiKey-abc";
const stack: StackResources & { apiUrl: string } = {
  stackName: "StepJobs",
  expressJobs: new Set<string>(),
  jobs: new Map([["my-first-workflow", SM]]),
  eventBusName: "bus",
  deadLetterQueueUrl: "https://sqs/dlq",
  tableName: "stepjobs-table",
  apiUrl: "", // the stack API below, once it listens
  apiKeySecretArn: SECRET,
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
  GetSecretValueCommand: { SecretString: KEY },
});

/**
 * The stack's HTTP API: the real Function URL handler (lambdas/api.ts, the project's schemas) behind a real HTTP
 * server, with a recording EventBridge. This is what the dashboard's Send Event reaches in AWS.
 */
const putEntries: unknown[] = [];
const stackApi = http.createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const answer = await stackApiHandler({
    rawPath: req.url!,
    headers: req.headers as Record<string, string>,
    requestContext: { http: { method: req.method! } },
    body: Buffer.concat(chunks).toString("utf8"),
    isBase64Encoded: false,
  } as unknown as LambdaFunctionURLEvent);
  res.writeHead(answer.statusCode, answer.headers).end(answer.body);
});
let stackApiHandler: ReturnType<typeof createApiHandler>;
let server: http.Server;
let url = "";
let cookie = "";

beforeAll(async () => {
  const jobs = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs;
  const plans = jobs.map((j) => j.plan);
  stackApiHandler = createApiHandler({
    jobs: plans,
    validators: compileValidators(plans),
    busName: "bus",
    apiKey: async () => KEY,
    eventBridge: {
      async send(command: PutEventsCommand) {
        putEntries.push(...(command.input.Entries ?? []));
        return { FailedEntryCount: 0, Entries: [{ EventId: "eb-1" }] };
      },
    },
    newId: () => "01M88FROMDASHBOARD",
  });
  await new Promise<void>((resolve) => stackApi.listen(0, "127.0.0.1", resolve));
  stack.apiUrl = `http://127.0.0.1:${(stackApi.address() as AddressInfo).port}/`;
  ({ server, url } = await startAwsDashboard({ clients: aws.clients, stack, jobs, root: ROOT, host: "127.0.0.1", port: 0 }));
  const page = await fetch(`${url}/runs`);
  cookie = sessionOf(page);
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => stackApi.close(() => resolve()));
});

const post = async (path: string, body: unknown) => {
  const response = await fetch(url + path, {
    method: "POST",
    headers: { cookie, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};

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
        nextCursor: null,
      },
    });
    expect(aws.calls.find((c) => c.command === "ListExecutionsCommand")?.input).toEqual({
      stateMachineArn: SM,
      maxResults: 50,
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
    expect(await get("/api/v1/events")).toEqual({ status: 200, body: { events: [], nextCursor: null } });
    expect(aws.calls.find((c) => c.command === "QueryCommand")?.input).toMatchObject({ TableName: "stepjobs-table" });
    expect((await get("/api/v1/jobs")).body.jobs.map((j: any) => j.id)).toEqual(["my-first-workflow", "priority-workflow"]);
  });

  it("Send Event goes through the stack's HTTP API with the key from Secrets Manager; its schemas judge the event", async () => {
    const sent = await post("/api/v1/events", { name: "my.event", payload: { message: "from the dashboard", shouldFail: false } });
    expect(sent).toEqual({
      status: 202,
      body: { id: "01M88FROMDASHBOARD", runs: [{ id: "my-first-workflow--01M88FROMDASHBOARD", jobId: "my-first-workflow" }] },
    });
    expect(putEntries).toHaveLength(1);
    expect(aws.calls.filter((c) => c.command === "GetSecretValueCommand").map((c) => c.input)).toEqual([{ SecretId: SECRET }]);

    const invalid = await post("/api/v1/events", { name: "my.event", payload: { message: 42 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe("EVENT_VALIDATION");
    expect(putEntries).toHaveLength(1);
    // The key was read once, not per send.
    expect(aws.calls.filter((c) => c.command === "GetSecretValueCommand")).toHaveLength(1);
  });

  it("a stack API that cannot be reached is a 502 naming it, not a crash", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const jobs = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs;
    const other = await startAwsDashboard({
      clients: aws.clients,
      stack: { ...stack, apiUrl: deadUrl },
      jobs,
      root: ROOT,
      host: "127.0.0.1",
      port: 0,
    });
    try {
      const page = await fetch(`${other.url}/runs`);
      const response = await fetch(`${other.url}/api/v1/events`, {
        method: "POST",
        headers: { cookie: sessionOf(page), "content-type": "application/json" },
        body: JSON.stringify({ name: "my.event", payload: { message: "hi" } }),
      });
      const body = await response.json();
      expect([response.status, body.error.code]).toEqual([502, "STACK_API_UNREACHABLE"]);
      expect(body.error.message).toMatch(new RegExp(`^could not send through ${deadUrl.replace(/[.]/g, "\\.")}: `));
    } finally {
      await new Promise<void>((resolve) => other.server.close(() => resolve()));
    }
  });

  it("bound beyond loopback, a browser elsewhere gets the login form and opens it with the key made for this run", async () => {
    const jobs = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs;
    const shared = await startAwsDashboard({ clients: aws.clients, stack, jobs, root: ROOT, host: "0.0.0.0", port: 0 });
    try {
      expect(shared.beyondLoopback).toBe(true);
      expect(shared.key).toMatch(/^tr_dash_/);
      const remote = `http://${externalAddress()}:${new URL(shared.url).port}`;
      const page = await fetch(`${remote}/runs`, { headers: { "x-forwarded-for": "127.0.0.1" } });
      expect([page.headers.get("set-cookie"), (await page.text()).includes('action="/login"')]).toEqual([null, true]);
      expect((await fetch(`${remote}/api/v1/runs`)).status).toBe(401);
      const login = await fetch(`${remote}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ key: shared.key, next: "/runs" }).toString(),
        redirect: "manual",
      });
      expect([login.status, login.headers.get("location")]).toEqual([303, "/runs"]);
      const runs = await fetch(`${remote}/api/v1/runs`, { headers: { cookie: sessionOf(login) } });
      expect(runs.status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => shared.server.close(() => resolve()));
    }
  });

  it("other writes are read-only: redrive says which CLI command to use", async () => {
    expect(await post(`/api/v1/runs/${RUN}/redrive`, {})).toEqual({
      status: 405,
      body: {
        error: {
          code: "READ_ONLY",
          message: "this dashboard reads a deployed stack; use `stepjobs redrive|cancel --aws` to change it",
        },
      },
    });
  });

  it("serves the same dashboard page, without a key in it", async () => {
    const page = await fetch(`${url}/runs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"></div>');
  });
});
