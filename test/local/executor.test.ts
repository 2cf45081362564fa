import { beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { localDefinition, runnerStateNames } from "../../lib/local/asl-walk.ts";
import type { ExecutionOutcome } from "../../lib/local/execution-log.ts";
import { type ExecuteOptions, JobMachine } from "../../lib/local/job-machine.ts";
import type { AttemptEnd, RunObserver } from "../../lib/local/run-observer.ts";
import { decideRetry, remainingRetriers } from "../../lib/compiler/asl-retry.ts";
import { attemptStop } from "../../lib/local/attempt-stop.ts";
import type { RunInput, RunState } from "../../lib/runtime/run-state.ts";
import { registeredJobs } from "../../lib/sdk/client.ts";
import type { LogLine } from "../../lib/sdk/types.ts";
import { ROOT, runInput } from "../helpers/load-job.ts";
import { calls } from "../fixtures/jobs/dynamic-ids.ts";
import { TUTORIAL_RETRY_LOGS } from "../helpers/tutorial-expectations.ts";

/** The real compiled ASL of each job, on aws-local-stepfunctions, with zero retry and Wait durations. */
const machines = new Map<string, JobMachine>();
beforeAll(async () => {
  for (const jobsDir of ["src/jobs", "test/fixtures/jobs", "test/fixtures/errors"]) {
    const project = compileProject({ root: ROOT, jobsDir });
    for (const compiled of project.jobs) {
      await import(compiled.entry);
      machines.set(compiled.plan.id, new JobMachine(registeredJobs().get(compiled.plan.id)!, compiled, { waits: "zero" }));
    }
  }
});

/** Runs an execution, collecting what the observer sees. */
async function execute(jobId: string, input: RunInput | RunState, resumed: Pick<ExecuteOptions, "resume" | "attemptsBefore"> = {}) {
  const attempts: AttemptEnd[] = [];
  const logs: LogLine[] = [];
  const steps: string[] = [];
  const observer: RunObserver = {
    attemptEnded: (a) => void attempts.push(a),
    log: (_runId, line) => void logs.push(line),
    stepped: (_runId, _state, stateName) => void steps.push(stateName),
  };
  const outcome: ExecutionOutcome = await machines.get(jobId)!.execute(input, { observer, ...resumed });
  return { outcome, attempts, logs, steps };
}

/** Where test/fixtures/jobs/always-fails.ts throws, as the error records it: the task function, then `run`. */
const ALWAYS_FAILS_STACK =
  "at io.runTask.maxAttempts (test/fixtures/jobs/always-fails.ts:14:23)\nat Object.run (test/fixtures/jobs/always-fails.ts:10:5)";

const attemptRows = (attempts: readonly AttemptEnd[]) =>
  attempts.map((a) => [a.taskId, a.stateName, a.number, a.status, a.error ? `${a.error.name}: ${a.error.message}` : null, a.retry]);
const logRows = (logs: readonly LogLine[]) => logs.map((l) => [l.level, l.message, l.taskId ?? null, l.attempt ?? null]);

describe("the tutorial job on its compiled ASL (aws-local-stepfunctions, zero waits)", () => {
  it("shouldFail: true -> the native Retry re-runs task 1 once (attempt 2 succeeds), task 2 gets task 1's result", async () => {
    const { outcome, attempts, logs, steps } = await execute(
      "my-first-workflow",
      runInput("my.event", { message: "Hello via curl!", shouldFail: true }),
    );
    expect(outcome.status).toBe("SUCCEEDED");
    expect(outcome.retries.map((r) => r.stateName)).toEqual(["process-incoming-data"]);
    expect(attemptRows(attempts)).toEqual([
      [
        "process-incoming-data",
        "process-incoming-data",
        1,
        "FAILED",
        "Error: Simulated transient error during processing!",
        { waitSeconds: 0, intervalSeconds: 1, jitter: false },
      ],
      ["process-incoming-data", "process-incoming-data", 2, "SUCCEEDED", null, null],
      ["send-confirmation", "send-confirmation", 1, "SUCCEEDED", null, null],
    ]);
    expect(steps).toEqual(["Plan", "process-incoming-data", "send-confirmation"]);
    // What Standard workflows bill: each state entered plus each retry (7 + 1 = 8 transitions for this run).
    expect(outcome.statesEntered).toEqual(["Plan", "Route", "process-incoming-data", "Route", "send-confirmation", "Route", "Succeeded"]);
    expect(outcome.retries.map((r) => r.stateName)).toEqual(["process-incoming-data"]);
    expect(logRows(logs)).toEqual(TUTORIAL_RETRY_LOGS);
    expect(outcome.final.memo).toEqual([
      {
        key: "process-incoming-data#0",
        id: "process-incoming-data",
        ok: true,
        result: { status: "processed", originalMessage: "Hello via curl!" },
      },
      { key: "send-confirmation#0", id: "send-confirmation", ok: true, result: { confirmationSent: true } },
    ]);
  });

  it("shouldFail: false -> one attempt per task, no retry", async () => {
    const { outcome, attempts } = await execute("my-first-workflow", runInput("my.event", { message: "m", shouldFail: false }));
    expect(outcome.status).toBe("SUCCEEDED");
    expect(outcome.retries).toEqual([]);
    expect(attemptRows(attempts)).toEqual([
      ["process-incoming-data", "process-incoming-data", 1, "SUCCEEDED", null, null],
      ["send-confirmation", "send-confirmation", 1, "SUCCEEDED", null, null],
    ]);
  });
});

describe("the challenge job", () => {
  it("high -> attempts 1 and 2 fail, the 3rd (the last the policy allows) succeeds", async () => {
    const { outcome, attempts } = await execute(
      "priority-workflow",
      runInput("priority.event", { message: "High priority data", shouldFail: true, priority: "high" }),
    );
    expect(outcome.status).toBe("SUCCEEDED");
    expect(attemptRows(attempts)).toEqual([
      [
        "process-incoming-data",
        "process-incoming-data",
        1,
        "FAILED",
        "Error: Simulated transient error during processing!",
        { waitSeconds: 0, intervalSeconds: 1, jitter: false },
      ],
      [
        "process-incoming-data",
        "process-incoming-data",
        2,
        "FAILED",
        "Error: Simulated transient error during processing!",
        { waitSeconds: 0, intervalSeconds: 1, jitter: false },
      ],
      ["process-incoming-data", "process-incoming-data", 3, "SUCCEEDED", null, null],
      ["send-confirmation", "send-confirmation", 1, "SUCCEEDED", null, null],
    ]);
  });

  it("low -> one attempt even with shouldFail", async () => {
    const { outcome, attempts } = await execute(
      "priority-workflow",
      runInput("priority.event", { message: "Low priority data", shouldFail: true, priority: "low" }),
    );
    expect(outcome.status).toBe("SUCCEEDED");
    expect(attemptRows(attempts)).toEqual([
      ["process-incoming-data", "process-incoming-data", 1, "SUCCEEDED", null, null],
      ["send-confirmation", "send-confirmation", 1, "SUCCEEDED", null, null],
    ]);
  });
});

describe("a task that always fails", () => {
  const failed = (n: number, retry: unknown) => [
    "flaky-api",
    "flaky-api",
    n,
    "FAILED",
    `UpstreamError: upstream returned 503 on attempt ${n}`,
    retry,
  ];

  it("gets exactly maxAttempts (4) attempts, then the run fails with the task's error name and message", async () => {
    const { outcome, attempts, steps } = await execute("always-fails", runInput("always.fails", {}));
    expect(outcome.status).toBe("FAILED");
    // The stack of the task's error reaches the run's error through the Catch, the memo and RunFailed, as in AWS.
    const error = { name: "UpstreamError", message: "upstream returned 503 on attempt 4", stack: ALWAYS_FAILS_STACK };
    expect(outcome.status === "FAILED" && outcome.error).toEqual(error);
    // A written delay (2 s, x2) is not jittered unless the task asks: each wait is at least the computed delay.
    // The waits the deployed machine makes (2 s x2) are reported; this execution (waits: "zero") made none.
    const retry = (intervalSeconds: number) => ({ waitSeconds: 0, intervalSeconds, jitter: false });
    expect(attemptRows(attempts)).toEqual([failed(1, retry(2)), failed(2, retry(4)), failed(3, retry(8)), failed(4, null)]);
    expect(outcome.retries.map((r) => r.stateName)).toEqual(["flaky-api", "flaky-api", "flaky-api"]);
    // After the Catch, Plan records the failure in the memo; the run then fails through RunFailed.
    expect(steps).toEqual(["Plan", "Plan"]);
    expect(outcome.final.memo).toEqual([{ key: "flaky-api#0", id: "flaky-api", ok: false, error }]);
  });

  it("resumed after 2 attempts: attempts continue at 3 and stop at 4, the policy's total", async () => {
    const machine = machines.get("always-fails")!;
    const used = decideRetry(machine.retriersOf("flaky-api"), ["UpstreamError", "UpstreamError"]).used;
    const saved: RunState = {
      ...runInput("always.fails", {}),
      status: "running",
      memo: [],
      next: { key: "flaky-api#0", task: "flaky-api", index: 0 },
    };
    const { outcome, attempts } = await execute("always-fails", saved, {
      resume: { stateName: "flaky-api", used },
      attemptsBefore: new Map([["flaky-api#0", 2]]),
    });
    expect(outcome.status).toBe("FAILED");
    expect(attemptRows(attempts)).toEqual([failed(3, { waitSeconds: 0, intervalSeconds: 8, jitter: false }), failed(4, null)]);
  });
});

/** The tutorial run as saved when the process stopped in task 1's retry wait after one failed attempt. */
function stoppedInTask1RetryWait(message: string): { saved: RunState; resumed: Pick<ExecuteOptions, "resume" | "attemptsBefore"> } {
  const machine = machines.get("my-first-workflow")!;
  const saved: RunState = {
    ...runInput("my.event", { message, shouldFail: true }),
    status: "running",
    memo: [],
    next: { key: "process-incoming-data#0", task: "process-incoming-data", index: 0 },
  };
  const used = decideRetry(machine.retriersOf("process-incoming-data"), ["Error"]).used;
  return {
    saved,
    resumed: { resume: { stateName: "process-incoming-data", used }, attemptsBefore: new Map([["process-incoming-data#0", 1]]) },
  };
}

describe("errors users write (test/fixtures/errors/custom-errors.ts)", () => {
  it("retryOn matches a class that sets no name by its class name; the run fails with the next error's stack and fields", async () => {
    const { outcome, attempts } = await execute("custom-errors", runInput("custom.errors", { orderId: "o-42" }));
    expect(attempts.map((a) => [a.number, a.error?.name, a.retry])).toEqual([
      [1, "PlainCustomError", { waitSeconds: 0, intervalSeconds: 1, jitter: false }],
      [2, "PaymentError", null],
    ]);
    const error = {
      name: "PaymentError",
      message: "card declined",
      stack:
        "at io.runTask.maxAttempts (test/fixtures/errors/custom-errors.ts:31:15)\nat Object.run (test/fixtures/errors/custom-errors.ts:27:5)",
      fields: { code: "CARD_DECLINED", orderId: "o-42" },
    };
    // The attempt as recorded, the memo entry the Catch leads to, and the run's error: the same, whole.
    expect(attempts[1]?.error).toEqual(error);
    expect(outcome.final.memo).toEqual([{ key: "charge#0", id: "charge", ok: false, error }]);
    expect(outcome.status === "FAILED" && outcome.error).toEqual(error);
  });
});

describe("why a failed attempt is its task's last (what the terminal says instead of always 'no retries left')", () => {
  const stops = (attempts: readonly AttemptEnd[]) =>
    attempts.map((a) => [a.taskId, a.number, a.status, a.retry ? "retry" : (a.stop ?? null)]);

  it("used up, not in retryOn, never retried, and a dynamic task whose retries the runner decides", async () => {
    expect(stops((await execute("always-fails", runInput("always.fails", {}))).attempts).at(-1)).toEqual([
      "flaky-api",
      4,
      "FAILED",
      "exhausted",
    ]);
    expect(stops((await execute("custom-errors", runInput("custom.errors", {}))).attempts)).toEqual([
      ["charge", 1, "FAILED", "retry"],
      ["charge", 2, "FAILED", "not-in-retryOn"],
    ]);
    expect(stops((await execute("try-catch", runInput("try.catch", {}))).attempts)[0]).toEqual([
      "charge-card",
      1,
      "FAILED",
      "non-retriable",
    ]);
    const dynamic = stops((await execute("dynamic-ids", runInput("dynamic.ids", { items: [] }, "evt-dyn-stop"))).attempts);
    delete calls["compute-total#0"]; // the fixture's call counter, which another test reads
    expect(dynamic).toEqual([
      ["compute-total", 1, "FAILED", "runner-decides"],
      ["compute-total", 2, "FAILED", "runner-decides"],
      ["compute-total", 3, "SUCCEEDED", null],
    ]);
  });

  it("a task allowing one attempt, and a policy used up on a resumed visit, are told apart by the compiled retriers", () => {
    const single = [{ ErrorEquals: ["States.ALL"], MaxAttempts: 0 }];
    expect(attemptStop(single, decideRetry(single, ["Error"]), false)).toBe("single-attempt");
    const three = [{ ErrorEquals: ["States.ALL"], MaxAttempts: 2 }];
    // After a restart the visit runs on retriers reduced to what is left (0), yet the policy had retries.
    const reduced = remainingRetriers(three, [2]);
    expect(attemptStop(three, decideRetry(reduced, ["Error"]), false)).toBe("exhausted");
  });
});

describe("resuming the tutorial job after a restart during its retry wait", () => {
  it("re-enters task 1 at attempt 2; later task states get their full policy again", async () => {
    const { saved, resumed } = stoppedInTask1RetryWait("again");
    const { outcome, attempts, logs } = await execute("my-first-workflow", saved, resumed);
    expect(outcome.status).toBe("SUCCEEDED");
    expect(attemptRows(attempts)).toEqual([
      ["process-incoming-data", "process-incoming-data", 2, "SUCCEEDED", null, null],
      ["send-confirmation", "send-confirmation", 1, "SUCCEEDED", null, null],
    ]);
    // Replay is silent for work already logged: the payload line of the first execution is not repeated.
    expect(logRows(logs)[0]).toEqual(["info", "Processing data: again", "process-incoming-data", 2]);
  });
});

describe("a resumed execution after it hands off to the unmodified machine", () => {
  it("keeps its options: a cancel during a later task still ends it ABORTED", async () => {
    const { saved, resumed } = stoppedInTask1RetryWait("cancel me");
    const controller = new AbortController();
    const started: string[] = [];
    const observer: RunObserver = {
      attemptStarted: (a) => {
        started.push(a.taskId);
        if (a.taskId === "send-confirmation") controller.abort();
      },
    };
    const outcome = await machines.get("my-first-workflow")!.execute(saved, { observer, ...resumed, signal: controller.signal });
    expect([outcome.status, started]).toEqual(["ABORTED", ["process-incoming-data", "send-confirmation"]]);
  });
});

describe("tasks synth sees as a pattern or not at all", () => {
  it("a pattern state visited once per item, and a DynamicTask whose retries the runner drives via DynamicWait", async () => {
    const { outcome, attempts } = await execute("dynamic-ids", runInput("dynamic.ids", { items: ["a", "b"] }, "evt-dyn"));
    expect(outcome.status).toBe("SUCCEEDED");
    expect(outcome.status === "SUCCEEDED" && outcome.output).toEqual({ results: ["A", "B"], total: 2 });
    expect(attemptRows(attempts)).toEqual([
      ["fetch-a", "fetch-*", 1, "SUCCEEDED", null, null],
      ["fetch-b", "fetch-*", 1, "SUCCEEDED", null, null],
      ["compute-total", "DynamicTask", 1, "FAILED", "Error: not yet (1)", null],
      ["compute-total", "DynamicTask", 2, "FAILED", "Error: not yet (2)", null],
      ["compute-total", "DynamicTask", 3, "SUCCEEDED", null, null],
    ]);
    expect(calls["compute-total#0"]).toBe(3);
  });
});

describe("the definition the executor runs", () => {
  it("is the compiled ASL with the runner ARN and the commercial partition substituted and the cloud's task time bound (900 s) on every Task state", () => {
    const compiled = machines.get("my-first-workflow")!.compiled.definition;
    const local = localDefinition(compiled);
    expect(runnerStateNames(local)).toEqual([
      "Plan",
      "process-incoming-data",
      "send-confirmation",
      "DynamicTask",
      "DynamicRetry",
      "RunFailed",
    ]);
    for (const [name, state] of Object.entries(local.States)) {
      const original = compiled.States[name] as Record<string, unknown>;
      if (state.Type !== "Task") expect(state).toEqual(original);
      else
        expect(state).toEqual({
          ...original,
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { ...(original.Parameters as object), FunctionName: "local" },
          TimeoutSeconds: 900,
        });
    }
  });
});
