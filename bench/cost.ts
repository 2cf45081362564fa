import "../lib/local/polyfills.ts";
import { StateMachine } from "aws-local-stepfunctions";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileProject } from "../lib/compiler/compile-project.ts";
import { discoverJobs } from "../lib/compiler/discover-jobs.ts";
import { dollarsPerRun } from "../lib/compiler/estimate-cost.ts";
import { renderStateMachine } from "../lib/compiler/render-state-machine.ts";
import { runnerStateNames } from "../lib/local/asl-walk.ts";
import type { ExecutionOutcome } from "../lib/local/execution-log.ts";
import { JobMachine } from "../lib/local/job-machine.ts";
import { registeredJobs, TriggerClient } from "../lib/sdk/index.ts";

/**
 * Cost of the compiled machine, exact: state transitions and runner invocations per run, counted from the ASL
 * executed by the local engine (aws-local-stepfunctions), against a hand-written optimal machine for the same
 * tasks (one Lambda Task state per task, no router).
 * Prices: lib/compiler/estimate-cost.ts (the same figures `stepjobs cost` uses, with their sources).
 */

/** Transitions (states entered + retries) and runner invocations (runner states entered + their retries) of one run. */
function countsOf(machine: JobMachine, outcome: ExecutionOutcome): { transitions: number; invocations: number } {
  const runnerStates = new Set(runnerStateNames(machine.definition));
  const invocations = outcome.statesEntered.filter((name) => runnerStates.has(name)).length + outcome.retries.length;
  return { transitions: outcome.statesEntered.length + outcome.retries.length, invocations };
}

/** Dollars per million runs of a shape. */
function dollarsPerMillion(transitions: number, invocations: number) {
  const perRun = dollarsPerRun({ transitions, invocations, events: 0 });
  return { standard: perRun.standard * 1e6, express: perRun.express * 1e6 };
}

/** An N-task sequential job as a user writes it (a loop; ids `task-${i}` compile to one pattern state). */
async function sequentialJob(n: number): Promise<JobMachine> {
  const id = `sequential-${n}`;
  const text = `client.defineJob({ id: "${id}", name: "n", version: "1", trigger: client.on("bench.seq", { schema: {} }),
  run: async (payload, io) => { for (let i = 0; i < ${n}; i++) await io.runTask(\`task-\${i}\`, async () => i, {}, { maxAttempts: 1 }); } });`;
  const { plans, errors } = discoverJobs([{ path: `bench/${id}.ts`, text }]);
  const [plan] = plans;
  if (errors.length || !plan) throw errors[0] ?? new Error(`no plan for ${id}`);
  const client = new TriggerClient({ id: "bench" });
  const job = client.defineJob({
    id,
    name: "n",
    version: "1",
    trigger: client.on("bench.seq", { schema: {} }),
    run: async (_payload, io) => {
      for (let i = 0; i < n; i++) await io.runTask(`task-${i}`, async () => i, {}, { maxAttempts: 1 });
    },
  });
  return new JobMachine(job, { plan, definition: renderStateMachine(plan), entry: "" }, { waits: "zero" });
}

/** The optimal machine for N Lambda tasks: T0 -> T1 -> ... -> T(N-1), no router. Counted on the same engine. */
async function optimalCounts(n: number): Promise<{ transitions: number; invocations: number }> {
  const States = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `T${i}`,
      {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: "task", "Payload.$": "$" },
        OutputPath: "$.Payload",
        ...(i === n - 1 ? { End: true } : { Next: `T${i + 1}` }),
      },
    ]),
  );
  const handlers = Object.fromEntries(Object.keys(States).map((name) => [name, async (input: unknown) => ({ Payload: input })]));
  const machine = new StateMachine({ StartAt: "T0", States } as never);
  const execution = machine.run({}, { overrides: { taskResourceLocalHandlers: handlers as never } });
  let transitions = 0;
  for await (const event of execution.eventLogs as AsyncGenerator<{ type: string }>) if (event.type === "StateEntered") transitions++;
  await execution.result;
  return { transitions, invocations: n };
}

/** Rows of the cost table. */
export async function benchCost(mode: "quick" | "full") {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const project = compileProject({ root, jobsDir: "src/jobs" });
  const tutorial = project.jobs.find((j) => j.plan.id === "my-first-workflow")!;
  await import(tutorial.entry);
  const tutorialMachine = new JobMachine(registeredJobs().get("my-first-workflow")!, tutorial, { waits: "zero" });
  const event = (payload: unknown) => ({
    runId: `r-${Math.random()}`,
    event: { id: "e", name: "my.event", timestamp: new Date(0).toISOString(), payload },
  });

  const optimalTwo = await optimalCounts(2);
  const rows: Record<string, string | number>[] = [];
  const add = (
    shape: string,
    tasks: number,
    counts: { transitions: number; invocations: number },
    optimal: { transitions: number; invocations: number },
  ) => {
    const cost = dollarsPerMillion(counts.transitions, counts.invocations);
    rows.push({
      shape,
      tasks,
      transitions: counts.transitions,
      "optimal transitions": optimal.transitions,
      "transitions per task": tasks ? (counts.transitions - 3) / tasks : 0,
      invocations: counts.invocations,
      "$/M runs Standard": cost.standard,
      "$/M runs Express": cost.express,
    });
  };
  add(
    "tutorial, no failure",
    2,
    countsOf(tutorialMachine, await tutorialMachine.execute(event({ message: "m", shouldFail: false }))),
    optimalTwo,
  );
  // The optimal machine retries natively too: one more transition for the one retry.
  add(
    "tutorial, shouldFail: true",
    2,
    countsOf(tutorialMachine, await tutorialMachine.execute(event({ message: "m", shouldFail: true }))),
    {
      ...optimalTwo,
      transitions: optimalTwo.transitions + 1,
    },
  );
  for (const n of mode === "full" ? [1, 10, 100, 1000] : [1, 10, 100]) {
    const machine = await sequentialJob(n);
    const outcome = await machine.execute({
      runId: `seq-${n}`,
      event: { id: "e", name: "bench.seq", timestamp: new Date(0).toISOString(), payload: {} },
    });
    if (outcome.status !== "SUCCEEDED") throw new Error(`sequential-${n} did not succeed: ${JSON.stringify(outcome)}`);
    add(`${n}-task sequential`, n, countsOf(machine, outcome), await optimalCounts(n));
  }
  return rows;
}
