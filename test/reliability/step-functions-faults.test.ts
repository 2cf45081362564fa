import "../../lib/local/polyfills.ts";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createRunnerHandler, type RunnerEvent } from "../../lambdas/runner.ts";
import { allStates, localDefinition, runnerStateNames, zeroWaitOverrides } from "../../lib/local/asl-walk.ts";
import { decideRetry } from "../../lib/compiler/asl-retry.ts";
import type { AslRetrier } from "../../lib/compiler/compile-retry.ts";
import type { AslDefinition } from "../../lib/compiler/render-state-machine.ts";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { loadJobs, runInput } from "../helpers/load-job.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

/**
 * Step Functions faults against the tutorial's compiled ASL (aws-local-stepfunctions) and the real runner Lambda
 * handler with its DynamoDB attempt counter (dynalite). Between them sits a scripted "Lambda service": per task
 * state, what each invocation does. Errors carry the names Step Functions reports for a `lambda:invoke` task:
 * a throttle is `Lambda.TooManyRequestsException` (the function never ran), a function timeout is `Lambda.Unknown`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 */
type Fault = "throttle" | "service-error" | "timeout-after-running" | "run";

const db = useDynalite();
let definition: AslDefinition;
let table = "";
beforeAll(async () => {
  definition = localDefinition((await loadJobs("src/jobs")).get("my-first-workflow")!.definition);
  table = await db.freshTable();
});

/** The runner's log lines (it writes one JSON object per line to stdout, as in CloudWatch). */
let logged: { message: string; taskId?: string; attempt?: number }[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  logged = [];
});

const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Runs one execution; `script[stateName]` says what each invocation of that state does (then "run"). */
async function execute(runId: string, payload: unknown, script: Record<string, Fault[]>) {
  vi.spyOn(console, "log").mockImplementation((line: string) => void logged.push(JSON.parse(line)));
  const runs = new DynamoRunStore({ client: db.client(), tableName: table });
  const runner = createRunnerHandler("my-first-workflow", (id, key) => runs.countAttempt(id, key));
  const invocations: [string, Fault][] = [];
  const seen = new Map<string, number>();
  // aws-local-stepfunctions has no `$$.State.RetryCount`: keep it as Step Functions does (the retries of the
  // current state visit), deciding retries with the spec's rules over this state's errors so far.
  const context = { State: { RetryCount: 0 }, Execution: { RedriveCount: 0 } };
  const retriers = new Map(allStates(definition).map(([name, state]) => [name, (state.Retry ?? []) as AslRetrier[]]));
  let visitErrors: string[] = [];
  const lambda = (stateName: string) => async (input: unknown) => {
    const parameters = input as { Payload: RunnerEvent };
    const n = seen.get(stateName) ?? 0;
    seen.set(stateName, n + 1);
    const fault = script[stateName]?.[n] ?? "run";
    invocations.push([stateName, fault]);
    try {
      if (fault === "throttle") throw lambdaError("Lambda.TooManyRequestsException", "Rate Exceeded.");
      if (fault === "service-error") throw lambdaError("Lambda.ServiceException", "Lambda is unavailable");
      const payloadOut = await runner(parameters.Payload);
      if (fault === "timeout-after-running") throw lambdaError("Lambda.Unknown", "Task timed out after 900.00 seconds");
      visitErrors = [];
      context.State.RetryCount = 0;
      return { StatusCode: 200, Payload: payloadOut } as never;
    } catch (error) {
      visitErrors.push((error as Error).name);
      const retried = decideRetry(retriers.get(stateName) ?? [], visitErrors).retry;
      if (!retried) visitErrors = [];
      context.State.RetryCount = visitErrors.length;
      throw error;
    }
  };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const execution = machine.run({ ...runInput("my.event", payload, runId), runId } as never, {
    context,
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(runnerStateNames(definition).map((name) => [name, lambda(name)])),
      // Retry waits are scheduling, not behaviour: zero them so the test is about which retrier counts what.
      ...zeroWaitOverrides(definition),
    },
  });
  let error: { name?: string; cause?: { name?: string; message?: string } } | undefined;
  await execution.result.catch((e: typeof error) => void (error = e));
  const taskLines = (message: RegExp) => logged.filter((l) => message.test(l.message)).map((l) => [l.taskId, l.attempt]);
  return { error, invocations, taskLines };
}

describe("Step Functions faults on the compiled ASL", () => {
  it("two throttles and a service error before the first real attempt: the service retrier takes them; the task sees attempts 1 then 2, as without faults", async () => {
    const run = await execute(
      "throttled",
      { message: "m", shouldFail: true },
      {
        "process-incoming-data": ["throttle", "throttle", "service-error"],
      },
    );
    expect(run.error).toBeUndefined();
    expect(run.taskLines(/^Workflow completed successfully/)).toEqual([[undefined, undefined]]);
    // The tutorial fails only on attempt 1: had the throttles counted, it would have started at attempt 4 and
    // exhausted nothing but the count. Attempt 1 failed (simulated), attempt 2 succeeded.
    expect(run.taskLines(/^Processing data/)).toEqual([
      ["process-incoming-data", 1],
      ["process-incoming-data", 2],
    ]);
    expect(run.taskLines(/^Simulating a temporary failure/)).toEqual([["process-incoming-data", 1]]);
    expect(run.invocations.filter(([state]) => state === "process-incoming-data").map(([, fault]) => fault)).toEqual([
      "throttle",
      "throttle",
      "service-error",
      "run",
      "run",
    ]);
    // The user's policy (3 attempts) still had room: only one of its retries was used.
    expect(run.taskLines(/^Sending confirmation/)).toEqual([["send-confirmation", 1]]);
  });

  it("a runner timeout counts as a failed attempt: the work ran (attempt 1), its result was lost, attempt 2 completes the task once", async () => {
    const run = await execute(
      "timed-out-once",
      { message: "m", shouldFail: false },
      {
        "process-incoming-data": ["timeout-after-running"],
      },
    );
    expect(run.error).toBeUndefined();
    expect(run.taskLines(/^Workflow completed successfully/)).toEqual([[undefined, undefined]]);
    expect(run.taskLines(/^Data processed successfully/)).toEqual([
      ["process-incoming-data", 1],
      ["process-incoming-data", 2],
    ]);
    expect(run.taskLines(/^Sending confirmation/)).toEqual([["send-confirmation", 1]]);
  });

  it("timeouts on every attempt exhaust the task's 3 attempts, then the run fails naming the timeout", async () => {
    const run = await execute(
      "always-times-out",
      { message: "m", shouldFail: false },
      {
        "process-incoming-data": ["timeout-after-running", "timeout-after-running", "timeout-after-running"],
      },
    );
    expect(run.taskLines(/^Data processed successfully/)).toEqual([
      ["process-incoming-data", 1],
      ["process-incoming-data", 2],
      ["process-incoming-data", 3],
    ]);
    expect(run.taskLines(/^Sending confirmation/)).toEqual([]);
    expect(run.error?.cause).toMatchObject({ name: "Lambda.Unknown", message: "Task timed out after 900.00 seconds" });
  });

  it("throttles that outlast the service retrier (6 retries) fail the state without ever running the task", async () => {
    const run = await execute(
      "throttled-out",
      { message: "m", shouldFail: false },
      {
        "process-incoming-data": Array<Fault>(7).fill("throttle"),
      },
    );
    expect(run.taskLines(/^Processing data/)).toEqual([]);
    expect(run.error?.cause).toMatchObject({ name: "Lambda.TooManyRequestsException" });
  });
});
