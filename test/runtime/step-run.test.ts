import { beforeAll, describe, expect, it } from "vitest";
import { stepRun } from "../../lib/runtime/runner-event.ts";
import { nextOf } from "../../lib/runtime/run-state.ts";
import { withStatus } from "../helpers/run-states.ts";
import type { AslDefinition } from "../../lib/compiler/render-state-machine.ts";
import type { Job } from "../../lib/sdk/client.ts";
import { driveRun } from "../helpers/drive-run.ts";
import { TUTORIAL_RETRY_LOGS } from "../helpers/tutorial-expectations.ts";
import { loadJobs, runInput } from "../helpers/load-job.ts";
import { flags } from "../fixtures/jobs/nondeterministic.ts";
import { calls } from "../fixtures/jobs/dynamic-ids.ts";

let jobs: Map<string, { job: Job<any>; definition: AslDefinition }>;
beforeAll(async () => {
  jobs = new Map([...(await loadJobs("src/jobs")), ...(await loadJobs("test/fixtures/jobs"))]);
});
const get = (id: string) => jobs.get(id)!;

const messages = (logs: readonly { level: string; message: string; taskId?: string; attempt?: number }[]) =>
  logs.map((l) => [l.level, l.message, l.taskId ?? null, l.attempt ?? null]);

describe("the tutorial job, driven through its compiled state machine", () => {
  it("shouldFail: true -> task 1 fails once and succeeds on attempt 2, task 2 runs once with task 1's result", async () => {
    const { job, definition } = get("my-first-workflow");
    const run = await driveRun(job, definition, runInput("my.event", { message: "Hello via curl!", shouldFail: true }));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.visits).toEqual([
      { state: "Plan", retryCount: 0 },
      { state: "Route" },
      { state: "process-incoming-data", retryCount: 0, error: "Error" },
      { state: "process-incoming-data", retryCount: 1 },
      { state: "Route" },
      { state: "send-confirmation", retryCount: 0 },
      { state: "Route" },
      { state: "Succeeded" },
    ]);
    expect(run.waits).toEqual([{ state: "process-incoming-data", seconds: 1 }]);
    expect(messages(run.logs)).toEqual(TUTORIAL_RETRY_LOGS);
    expect(run.logs[0]?.data).toEqual({ message: "Hello via curl!", shouldFail: true });
    expect(run.final.memo).toEqual([
      {
        key: "process-incoming-data#0",
        id: "process-incoming-data",
        ok: true,
        result: { status: "processed", originalMessage: "Hello via curl!" },
      },
      { key: "send-confirmation#0", id: "send-confirmation", ok: true, result: { confirmationSent: true } },
    ]);
    expect(run.output).toBeNull();
  });

  it("shouldFail: false -> each task runs once", async () => {
    const { job, definition } = get("my-first-workflow");
    const run = await driveRun(job, definition, runInput("my.event", { message: "hi", shouldFail: false }));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.visits.filter((v) => v.retryCount !== undefined).map((v) => [v.state, v.retryCount, v.error ?? null])).toEqual([
      ["Plan", 0, null],
      ["process-incoming-data", 0, null],
      ["send-confirmation", 0, null],
    ]);
  });
});

describe("the mini-challenge job", () => {
  const attemptsOf = async (priority: string) => {
    const { job, definition } = get("priority-workflow");
    const run = await driveRun(job, definition, runInput("priority.event", { message: "m", shouldFail: true, priority }));
    expect(run.status).toBe("SUCCEEDED");
    return run.visits.filter((v) => v.state === "process-incoming-data").map((v) => v.error ?? "ok");
  };
  it("high priority fails twice and succeeds on the 3rd attempt", async () => {
    expect(await attemptsOf("high")).toEqual(["Error", "Error", "ok"]);
  });
  it("low priority never fails", async () => {
    expect(await attemptsOf("low")).toEqual(["ok"]);
  });
});

describe("failures", () => {
  it("a task that always fails runs exactly maxAttempts times, with backoff, then the run fails with its error", async () => {
    const { job, definition } = get("always-fails");
    const run = await driveRun(job, definition, runInput("always.fails", {}));
    expect(run.status).toBe("FAILED");
    expect(run.error).toEqual({ name: "UpstreamError", cause: "upstream returned 503 on attempt 4" });
    expect(run.visits.filter((v) => v.state === "flaky-api").map((v) => v.retryCount)).toEqual([0, 1, 2, 3]);
    expect(run.waits).toEqual([
      { state: "flaky-api", seconds: 2 },
      { state: "flaky-api", seconds: 4 },
      { state: "flaky-api", seconds: 8 },
    ]);
    expect(messages(run.logs)).toEqual([1, 2, 3, 4].map((n) => ["warn", `attempt ${n}`, "flaky-api", n]));
    expect(run.final.memo).toEqual([
      { key: "flaky-api#0", id: "flaky-api", ok: false, error: { name: "UpstreamError", message: "upstream returned 503 on attempt 4" } },
    ]);
  });

  it("try/catch around a failing task: NonRetriableError is not retried, the catch block runs once, the run continues", async () => {
    const { job, definition } = get("try-catch");
    const run = await driveRun(job, definition, runInput("try.catch", {}));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.visits.filter((v) => v.state === "charge-card").map((v) => v.error)).toEqual(["NonRetriableError"]);
    expect(run.output).toEqual({ fallback: true, sent: { mailed: true } });
    expect(messages(run.logs)).toEqual([["error", "charge failed: NonRetriableError: card declined", null, null]]);
  });

  it("replay reaching a different task than recorded fails the run with NonDeterminismError naming both keys and file:line", async () => {
    const { job } = get("nondeterministic");
    flags.swap = false;
    const first = await stepRun(job, runInput("non.deterministic", {}), "plan");
    const afterA = await stepRun(job, first, "task");
    expect(nextOf(afterA)).toEqual({ key: "c#0", task: "c", index: 1 });
    flags.swap = true;
    const replayed = await stepRun(job, afterA, "task");
    flags.swap = false;
    expect(replayed.status).toBe("failed");
    expect(withStatus(replayed, "failed").error.name).toBe("NonDeterminismError");
    expect(withStatus(replayed, "failed").error.message).toMatch(
      /^replay expected task "a#0" but the job called "b#0" at .*test\/fixtures\/jobs\/nondeterministic\.ts:\d+:\d+; task order must depend only on the payload and earlier task results$/,
    );
    expect(replayed.memo).toEqual(afterA.memo);
  });

  it("an error thrown between tasks fails the run without re-running the finished task", async () => {
    const { job } = get("my-first-workflow");
    let runs = 0;
    const broken: Job<any> = {
      ...job,
      run: async (_p, io) => {
        await io.runTask("once", async () => ++runs, {});
        throw new TypeError("cannot read properties of undefined");
      },
    };
    const planned = await stepRun(broken, runInput("x", {}), "plan");
    const done = await stepRun(broken, planned, "task");
    expect(runs).toBe(1);
    expect(done.status).toBe("failed");
    expect(withStatus(done, "failed").error).toEqual({
      name: "TypeError",
      message: "cannot read properties of undefined",
      stack: expect.stringMatching(/^at Object\.run \(test\/runtime\/step-run\.test\.ts:\d+:\d+\)$/),
    });
    expect(done.memo).toEqual([{ key: "once#0", id: "once", ok: true, result: 1 }]);
  });

  it.each([
    ["300 KB", 300_000],
    ["5 MB", 5_000_000],
  ])("a task result of %s exceeds the state quota: TaskOutputTooLargeError naming its size and the limit", async (_label, length) => {
    const { job } = get("my-first-workflow");
    const big: Job<any> = { ...job, run: async (_p, io) => io.runTask("big", async () => "x".repeat(length), {}) };
    const planned = await stepRun(big, runInput("x", {}), "plan");
    const error = await stepRun(big, planned, "task").then(
      () => undefined,
      (e: { name: string; message: string; stateSize: number }) => e,
    );
    // The result is the string's characters and two quotes; the state adds the event, the run id and the memo entry.
    expect(error?.stateSize).toBeGreaterThan(length + 2);
    expect(error?.stateSize).toBeLessThan(length + 2 + 500);
    expect([error?.name, error?.message]).toEqual([
      "TaskOutputTooLargeError",
      `task "big#0" returned ${length + 2} bytes of JSON, making the run state ${error?.stateSize} bytes; the limit is 253952 bytes (Step Functions' 256 KiB state quota): return a reference to the data (an S3 key, a row id) instead`,
    ]);
  });
});

describe("limits", () => {
  const loopJob = (n: number): Job<any> => ({
    ...get("my-first-workflow").job,
    run: async (_p, io) => {
      for (let i = 0; i < n; i++) await io.runTask(`item-${i}`, async () => i, {});
    },
  });
  const memoOf = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `item-${i}#0`, id: `item-${i}`, ok: true as const, result: i }));

  it("a run of 2,000 tasks replays to its end", async () => {
    const done = await stepRun(loopJob(2000), { ...runInput("x", {}), status: "running", memo: memoOf(2000) }, "plan");
    expect(done.status).toBe("succeeded");
  });

  it("the 3,001st task fails the run with TooManyTasksError naming the limit", async () => {
    const failed = await stepRun(loopJob(3001), { ...runInput("x", {}), status: "running", memo: memoOf(3000) }, "plan");
    expect(failed.status).toBe("failed");
    expect(withStatus(failed, "failed").error).toEqual({
      name: "TooManyTasksError",
      message:
        "the run called more than 3000 tasks; one Step Functions execution keeps at most 25,000 history events (about 7 per task), so batch items inside a task or start child runs",
      fields: { code: "TOO_MANY_TASKS", limit: 3000 },
      stack: expect.stringMatching(/^at Object\.run \(test\/runtime\/step-run\.test\.ts:\d+:\d+\)$/),
    });
  });
});

describe("ids synth cannot read literally", () => {
  it("template-literal ids route to their pattern state; computed ids run in DynamicTask with runner-driven retries", async () => {
    const { job, definition } = get("dynamic-ids");
    for (const k of Object.keys(calls)) delete calls[k];
    const run = await driveRun(job, definition, runInput("dynamic.ids", { items: ["a", "b"] }));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.output).toEqual({ results: ["A", "B"], total: 2 });
    expect(
      run.visits
        .filter((v) => v.retryCount !== undefined || v.waitSeconds !== undefined)
        .map((v) => [v.state, v.error ?? v.waitSeconds ?? "ok"]),
    ).toEqual([
      ["Plan", "ok"],
      ["fetch-*", "ok"],
      ["fetch-*", "ok"],
      ["DynamicTask", "Error"],
      ["DynamicRetry", "ok"],
      ["DynamicWait", 5],
      ["DynamicTask", "Error"],
      ["DynamicRetry", "ok"],
      ["DynamicWait", 5],
      ["DynamicTask", "ok"],
    ]);
    expect(calls).toEqual({ "compute-total#0": 3 });
  });
});

describe("replayed results", () => {
  it("are copies: a job changing what a task returned does not change the memo the next state carries", async () => {
    const { job } = get("my-first-workflow");
    const mutating: Job<any> = {
      ...job,
      run: async (_p, io) => {
        // An own "__proto__" key, as JSON.parse makes it, must survive the copy as a key.
        const first = await io.runTask("first", async () => JSON.parse('{"list":[1],"__proto__":1}') as { list: number[] }, {});
        first.list.push(2);
        await io.runTask("second", async () => first.list.length, {});
      },
    };
    const planned = await stepRun(mutating, runInput("x", {}), "plan");
    const afterFirst = await stepRun(mutating, planned, "task");
    const afterSecond = await stepRun(mutating, afterFirst, "task");
    expect(afterSecond.memo.map((m) => [m.key, m.ok && m.result])).toEqual([
      ["first#0", JSON.parse('{"list":[1],"__proto__":1}')],
      ["second#0", 2],
    ]);
    expect(Object.getPrototypeOf((afterSecond.memo[0] as { result: object }).result)).toBe(Object.prototype);
  });
});

describe("the attempt counter port", () => {
  it("a counter that fails fails the attempt (thrown, for the state's Retry); the job's try/catch never sees it", async () => {
    const { job } = get("my-first-workflow");
    const caught: string[] = [];
    let ran = 0;
    const guarded: Job<any> = {
      ...job,
      run: async (_p, io) => {
        try {
          await io.runTask("charge", async () => ++ran, {});
        } catch (error) {
          caught.push((error as Error).name);
        }
      },
    };
    const planned = await stepRun(guarded, runInput("x", {}), "plan");
    const throttled = Object.assign(new Error("Rate of requests exceeds the allowed throughput."), { name: "ThrottlingException" });
    const countAttempt = async () => Promise.reject(throttled);
    await expect(stepRun(guarded, planned, "task", 0, { countAttempt })).rejects.toMatchObject({ name: "ThrottlingException" });
    expect([ran, caught]).toEqual([0, []]);
  });
});
