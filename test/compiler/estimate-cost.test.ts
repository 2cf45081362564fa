import { beforeAll, describe, expect, it } from "vitest";
import { costReport } from "../../lib/cli/cost.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { countRun, estimateJobCost, planSteps, statesEntered } from "../../lib/compiler/estimate-cost.ts";
import { JobMachine } from "../../lib/local/job-machine.ts";
import { registeredJobs } from "../../lib/sdk/client.ts";
import { ROOT, runInput } from "../helpers/load-job.ts";

const tutorial = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
const steps = compileProject({ root: ROOT, jobsDir: "test/fixtures/steps" }).jobs;

describe("cost of the tutorial job, counted from its ASL", () => {
  it("succeeded: Plan, Route, process-incoming-data, Route, send-confirmation, Route, Succeeded = 7 transitions; Plan + 2 tasks = 3 Lambda calls", () => {
    expect(statesEntered(tutorial.definition, planSteps(tutorial.plan))).toEqual([
      "Plan",
      "Route",
      "process-incoming-data",
      "Route",
      "send-confirmation",
      "Route",
      "Succeeded",
    ]);
    expect(countRun(tutorial.definition, planSteps(tutorial.plan))).toEqual({ transitions: 7, invocations: 3, events: 0 });
  });

  it("each task retried once: 7 + 2 retries = 9 transitions, 3 + 2 = 5 Lambda calls", () => {
    expect(countRun(tutorial.definition, planSteps(tutorial.plan), true)).toEqual({ transitions: 9, invocations: 5, events: 0 });
  });

  it("dollars per run: Standard 7 x $0.000025 + 3 x $0.0000002 = $0.0001756; Express $0.000001 + 0.3 s x 0.0625 GB x $0.00001667 + 3 x $0.0000002 = $0.0000019126", () => {
    const e = estimateJobCost(tutorial.plan, tutorial.definition);
    expect(e.succeeded.dollars.standard).toBeCloseTo(0.0001756, 12);
    expect(e.succeeded.dollars.express).toBeCloseTo(0.000001 + 0.3 * 0.0625 * 0.00001667 + 0.0000006, 12);
    expect(e.retriedOnce.dollars.standard).toBeCloseTo(9 * 0.000025 + 5 * 0.0000002, 12);
  });

  it("stepjobs cost prints it per month: 100,000 runs = $17.56 Standard, $0.19 Express; retried $22.60 and $0.25", () => {
    expect(costReport([estimateJobCost(tutorial.plan, tutorial.definition)], 100_000)).toEqual([
      "estimated cost at 100,000 runs per month (us-east-1 prices of 2026-11-25, Lambda compute not included)",
      "",
      "my-first-workflow",
      "  succeeded run:           7 transitions, 3 Lambda calls  -> Standard $17.56/month, Express $0.19/month",
      "  each task retried once:  9 transitions, 5 Lambda calls  -> Standard $22.60/month, Express $0.25/month",
    ]);
  });

  it("a wait adds Sleep, Plan, Route (3 transitions, 1 call); a sent event SendEvent, Plan, Route (3 transitions, 1 call, 1 event)", () => {
    const express = steps.find((j) => j.plan.id === "express-ping")!;
    expect(statesEntered(express.definition, planSteps(express.plan))).toEqual([
      "Plan",
      "Route",
      "pong",
      "Route",
      "Sleep",
      "Plan",
      "Route",
      "Succeeded",
    ]);
    const order = steps.find((j) => j.plan.id === "fulfil-order")!;
    expect(countRun(order.definition, planSteps(order.plan))).toEqual({
      transitions: 3 + 2 * 2 + 3 + 3,
      invocations: 1 + 2 + 1 + 1,
      events: 1,
    });
  });
});

describe("the static count agrees with the local engine running the same ASL", () => {
  let machine: JobMachine;
  beforeAll(async () => {
    await import(tutorial.entry);
    machine = new JobMachine(registeredJobs().get("my-first-workflow")!, tutorial, { waits: "zero" });
  });

  it("a succeeded run enters exactly the states the estimate walks", async () => {
    const outcome = await machine.execute(runInput("my.event", { message: "m", shouldFail: false }, "cost-1"));
    expect(outcome.statesEntered).toEqual(statesEntered(tutorial.definition, planSteps(tutorial.plan)));
  });

  it("a run whose first task is retried once costs the estimate's transitions plus that one retry", async () => {
    const outcome = await machine.execute(runInput("my.event", { message: "m", shouldFail: true }, "cost-2"));
    const counted = countRun(tutorial.definition, planSteps(tutorial.plan));
    expect(outcome.statesEntered.length + outcome.retries.length).toBe(counted.transitions + 1);
  });
});
