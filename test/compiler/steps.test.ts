import { describe, expect, it } from "vitest";
import { checkAslRanges } from "../../lib/compiler/check-asl.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { discoverJobs } from "../../lib/compiler/discover-jobs.ts";
import { LAMBDA_SERVICE_RETRIER, PUT_EVENTS_RETRIER, type AslDefinition } from "../../lib/compiler/render-state-machine.ts";
import { ROOT } from "../helpers/load-job.ts";
import { defined } from "../helpers/defined.ts";

const project = compileProject({ root: ROOT, jobsDir: "test/fixtures/steps" });
const job = (id: string) => project.jobs.find((j) => j.plan.id === id)!;
const states = (id: string) => job(id).definition.States as Record<string, any>;
const FILE = "test/fixtures/steps/fulfil-order.ts";

/** A job file around `run`'s body, for discovery errors. */
const source = (body: string, extra = "") => ({
  path: "src/jobs/j.ts",
  text: `client.defineJob({ id: "j", name: "J", version: "1", ${extra}trigger: client.on("e", { schema: { type: "object" } }),\n  run: async (payload, io) => {\n${body}\n  },\n});\n`,
});

describe("discovery of waits, sent events and parallel tasks", () => {
  it("finds each call site with its literal key (and literal seconds); a job without them has no steps", () => {
    expect(project.errors).toEqual([]);
    expect(job("fulfil-order").plan.steps).toEqual({
      wait: [{ key: "cool-off", location: { file: FILE, line: 83, column: 11 } }],
      sendEvent: [{ key: "notify", location: { file: FILE, line: 84, column: 24 } }],
      parallel: [{ location: { file: FILE, line: 57, column: 33 } }],
    });
    expect(job("send-receipt").plan.steps).toBeUndefined();
    expect(job("express-ping").plan).toMatchObject({
      mode: "express",
      steps: { wait: [{ key: "settle", seconds: 1, location: { file: "test/fixtures/steps/express-ping.ts", line: 11, column: 11 } }] },
    });
  });

  it("a Promise.race over timers (no io inside) is not parallel work", () => {
    const found = discoverJobs([source(`await Promise.race([new Promise((r) => setTimeout(r, 1))]);`)]);
    expect(defined(found.plans[0]).steps).toBeUndefined();
  });

  it.each([
    [
      "a wait longer than Express allows",
      `await io.wait("w", { seconds: 600 });`,
      'src/jobs/j.ts:3:7: job "j" is an Express workflow, which runs at most 300 seconds; io.wait("w") waits 600 seconds; use mode: "standard" for longer waits',
    ],
    [
      "a wait synth cannot bound",
      `await io.wait("w", { seconds: payload.n });`,
      'src/jobs/j.ts:3:7: job "j" is an Express workflow, which runs at most 300 seconds; io.wait("w") needs literal seconds so synth can check it; use mode: "standard" for longer waits',
    ],
  ])("Express: %s is a synth error at the call", (_name, body, message) => {
    const found = discoverJobs([source(body, `mode: "express", `)]);
    expect(found.errors.map((e) => e.message)).toEqual([message]);
  });

  it("an unknown mode is a synth error at its value", () => {
    const found = discoverJobs([source(`return 1;`, `mode: "turbo", `)]);
    expect(found.errors.map((e) => e.message)).toEqual(['src/jobs/j.ts:1:60: job "j" mode must be "standard" or "express"']);
  });
});

describe("the states they compile to", () => {
  it("Route: finished, runner-driven wait, then sleeping (Sleep with seconds, else SleepUntil), sending, parallel, then the tasks", () => {
    expect(states("fulfil-order").Route.Choices).toEqual([
      { Variable: "$.status", StringEquals: "succeeded", Next: "Succeeded" },
      { Variable: "$.status", StringEquals: "failed", Next: "RunFailed" },
      { Variable: "$.status", StringEquals: "waiting", Next: "DynamicWait" },
      {
        And: [
          { Variable: "$.status", StringEquals: "sleeping" },
          { Variable: "$.next.seconds", IsPresent: true },
        ],
        Next: "Sleep",
      },
      { Variable: "$.status", StringEquals: "sleeping", Next: "SleepUntil" },
      { Variable: "$.status", StringEquals: "sending", Next: "SendEvent" },
      { Variable: "$.status", StringEquals: "parallel", Next: "Parallel" },
      { Variable: "$.next.task", StringEquals: "reserve-stock", Next: "reserve-stock" },
      { Variable: "$.next.task", StringEquals: "charge-card", Next: "charge-card" },
    ]);
  });

  it("io.wait: native Wait states back to Plan; with only literal seconds, Sleep alone", () => {
    expect(states("fulfil-order").Sleep).toEqual({
      Type: "Wait",
      Comment: `io.wait("cool-off") at ${FILE}:83: waits { seconds }, no Lambda runs meanwhile`,
      SecondsPath: "$.next.seconds",
      Next: "Plan",
    });
    expect(states("fulfil-order").SleepUntil).toEqual({
      Type: "Wait",
      Comment: `io.wait("cool-off") at ${FILE}:83: waits { until }, no Lambda runs meanwhile`,
      TimestampPath: "$.next.wakeAt",
      Next: "Plan",
    });
    expect(Object.keys(states("express-ping"))).toEqual([
      "Plan",
      "Route",
      "pong",
      "Sleep",
      "DynamicTask",
      "DynamicRetry",
      "DynamicWait",
      "Succeeded",
      "RunFailed",
    ]);
    expect(states("express-ping").Route.Choices[3]).toEqual({ Variable: "$.status", StringEquals: "sleeping", Next: "Sleep" });
  });

  it("io.sendEvent: the optimized PutEvents integration on the substituted bus, retried, caught back into the job", () => {
    expect(states("fulfil-order").SendEvent).toEqual({
      Type: "Task",
      Comment: `io.sendEvent("notify") at ${FILE}:84: PutEvents on the app's bus; ingest validates it and starts the jobs it triggers`,
      Resource: "arn:${Partition}:states:::events:putEvents",
      Parameters: {
        Entries: [
          {
            EventBusName: "${EventBusName}",
            "Source.$": "$.next.event.source",
            "DetailType.$": "$.next.event.name",
            "Detail.$": "$.next.event.detail",
          },
        ],
      },
      ResultSelector: { "eventId.$": "$.Entries[0].EventId" },
      ResultPath: "$.sent",
      Retry: [PUT_EVENTS_RETRIER],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Plan" }],
      Next: "Plan",
    });
  });

  it("Promise.all: an inline Map over the batch; each item routes to a copy of its task state and ends in Done or Caught", () => {
    const { ItemProcessor, ...map } = states("fulfil-order").Parallel;
    expect(map).toEqual({
      Type: "Map",
      Comment: `Promise.all at ${FILE}:57: the tasks reached together run concurrently, each with its own Retry`,
      ItemsPath: "$.batch",
      ItemSelector: {
        "runId.$": "$.runId",
        "event.$": "$.event",
        "memo.$": "$.memo",
        status: "running",
        branch: true,
        "next.$": "$$.Map.Item.Value",
      },
      ResultPath: "$.branches",
      Next: "Plan",
    });
    expect(ItemProcessor.StartAt).toBe("Parallel Route");
    expect(Object.keys(ItemProcessor.States)).toEqual([
      "Parallel Route",
      "reserve-stock (parallel)",
      "charge-card (parallel)",
      "Parallel DynamicTask",
      "Parallel DynamicRetry",
      "Parallel DynamicWait",
      "Parallel Caught",
      "Parallel Done",
    ]);
    const { Next: _next, ...topLevel } = states("fulfil-order")["reserve-stock"];
    expect(ItemProcessor.States["reserve-stock (parallel)"]).toEqual({
      ...topLevel,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: "Parallel Caught" }],
      End: true,
    });
    expect(ItemProcessor.States["Parallel DynamicTask"].Retry).toEqual([LAMBDA_SERVICE_RETRIER]);
    expect(ItemProcessor.States["Parallel Caught"]).toEqual({
      Type: "Pass",
      Comment: "The task failed after its last attempt: hand the error to Plan, which rethrows it into the job",
      Parameters: { status: "caught", "next.$": "$.next", "caught.$": "$.caught" },
      End: true,
    });
  });

  it("the runner is told which step states exist; the tutorial's payload is unchanged", () => {
    expect(states("fulfil-order").Plan.Parameters.Payload.steps).toEqual(["wait", "sendEvent", "parallel"]);
    expect(states("wait-until").Plan.Parameters.Payload.steps).toEqual(["wait"]);
    expect(states("send-receipt").Plan.Parameters.Payload.steps).toBeUndefined();
  });

  it("a task named like a step state gets a prefix; the range check catches a state name used twice, nested included", () => {
    const found = discoverJobs([source(`await io.runTask("Sleep", async () => 1); await io.wait("w", 1);`)]);
    expect(defined(found.plans[0]).tasks[0]?.stateName).toBe("Task Sleep");
    const broken: AslDefinition = {
      Comment: "",
      StartAt: "A",
      States: {
        A: { Type: "Map", ItemProcessor: { StartAt: "A", States: { A: { Type: "Succeed" } } }, End: true },
      },
    };
    expect(checkAslRanges(broken)).toEqual(["A: the state name is used twice (names are unique across a machine, nested ones included)"]);
  });
});
