import { describe, expect, it } from "vitest";
import { retryDelaySeconds } from "../../lib/compiler/asl-retry.ts";
import { compileRetry } from "../../lib/compiler/compile-retry.ts";
import { describeRetry } from "../../lib/compiler/describe-retry.ts";

describe("compileRetry maps stepjobs/Trigger.dev options to one ASL retrier (ARCHITECTURE section 4)", () => {
  it.each([
    [
      "the tutorial: 3 attempts, 1 s apart",
      { maxAttempts: 3, retryDelayInMs: 1000 },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
      [],
    ],
    [
      "no options: the documented default (3 attempts, 1 s, x2, full jitter, 60 s cap)",
      undefined,
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
      [],
    ],
    [
      "500 ms rounds up to 1 s, with a warning",
      { retryDelayInMs: 500 },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
      ["retry delay 500 ms rounded up to 1 s: Step Functions IntervalSeconds is a whole number of seconds, at least 1"],
    ],
    [
      "maxAttempts: 1 -> no retries",
      { maxAttempts: 1 },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 0, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
      [],
    ],
    [
      "backoff, cap and jitter spelled the stepjobs way",
      { maxAttempts: 5, retryDelayInMs: 2000, factor: 3, maxDelayInMs: 30_000, randomize: true },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 3, MaxDelaySeconds: 30, JitterStrategy: "FULL" },
      [],
    ],
    [
      "the Trigger.dev v2 retry shape (limit counts retries)",
      { retry: { limit: 4, factor: 1.5, minTimeoutInMs: 3000, maxTimeoutInMs: 20_000, randomize: false } },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 3, MaxAttempts: 4, BackoffRate: 1.5, MaxDelaySeconds: 20 },
      [],
    ],
    [
      "ASL-style aliases and retryOn",
      { maxAttempts: 2, backoffRate: 2, jitter: "none", retryOn: ["RateLimitError", "TimeoutError"] },
      { ErrorEquals: ["RateLimitError", "TimeoutError"], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 2, MaxDelaySeconds: 60 },
      [],
    ],
    [
      "display-only fields are ignored",
      { name: "Process", icon: "bolt", maxAttempts: 2, retryDelayInMs: 1000 },
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 1 },
      [],
    ],
  ] as const)("%s", (_name, options, retrier, warnings) => {
    const compiled = compileRetry(options as never);
    expect(compiled.retrier).toEqual(retrier);
    expect(compiled.warnings).toEqual(warnings);
    expect(compiled.maxAttempts).toBe(retrier.MaxAttempts + 1);
  });

  it("task options override client defaults field by field (a delay the defaults write is not jittered either)", () => {
    expect(compileRetry({ maxAttempts: 5 }, { retryDelayInMs: 10_000, factor: 2, maxDelayInMs: 120_000 }).retrier).toEqual({
      ErrorEquals: ["States.ALL"],
      IntervalSeconds: 10,
      MaxAttempts: 4,
      BackoffRate: 2,
      MaxDelaySeconds: 120,
    });
  });

  /**
   * Step Functions' FULL jitter waits a uniform draw from 0 up to the computed delay, so a jittered "retry after
   * 2 s" can retry at once. A written delay is a minimum unless the task or the client's defaults ask for jitter.
   */
  it.each([
    ["a delay and a backoff factor", { retryDelayInMs: 2000, factor: 2 }, undefined, false],
    ["v2's minTimeoutInMs with a factor", { retry: { limit: 3, factor: 2, minTimeoutInMs: 1000 } }, undefined, false],
    ["a task's delay under client defaults that set only a factor", { retryDelayInMs: 2000 }, { factor: 2 }, false],
    ["a delay the client's defaults write, none on the task", { maxAttempts: 4 }, { retryDelayInMs: 3000, factor: 2 }, false],
    ["the task asks for jitter", { retryDelayInMs: 2000, factor: 2, randomize: true }, undefined, true],
    ["v2's randomize on the task", { retry: { limit: 3, factor: 2, minTimeoutInMs: 1000, randomize: true } }, undefined, true],
    ["the client's defaults ask for jitter", { retryDelayInMs: 2000 }, { randomize: true }, true],
    ['the client\'s defaults ask with jitter: "full"', { retryDelayInMs: 2000 }, { jitter: "full" }, true],
    ["the task turns the defaults' jitter off", { retryDelayInMs: 2000, randomize: false }, { randomize: true }, false],
    ["no delay written anywhere: the documented default, jittered", { maxAttempts: 4 }, undefined, true],
  ] as const)("jitter only when asked: %s", (_case, options, defaults, jittered) => {
    const { retrier } = compileRetry(options as never, defaults as never);
    expect(retrier.JitterStrategy === "FULL").toBe(jittered);
    if (jittered) return;
    // The shortest wait Step Functions can draw (random() = 0) is the delay computed from what was written.
    for (let retry = 1; retry <= retrier.MaxAttempts!; retry++) {
      expect(retryDelaySeconds(retrier, retry, () => 0)).toBe(retryDelaySeconds({ ...retrier, JitterStrategy: "NONE" }, retry));
    }
  });

  it.each([
    [{ maxAttempts: 0 }, "maxAttempts must be an integer from 1 to 100000000, got 0"],
    [{ maxAttempts: 2.5 }, "maxAttempts must be an integer from 1 to 100000000, got 2.5"],
    [{ maxAttempts: 100_000_001 }, "maxAttempts must be an integer from 1 to 100000000, got 100000001"],
    [{ retryDelayInMs: -1 }, "retryDelayInMs must be a number from 0 to 99999999000, got -1"],
    [{ factor: 0.5 }, "factor must be a number from 1 to 99999999, got 0.5"],
    [{ retry: { limit: -1 } }, "retry.limit must be an integer from 0 to 99999999, got -1"],
    [{ maxAttempts: 3, retry: { limit: 2 } }, "retry.limit conflicts with maxAttempts; set only one of them"],
    [{ maxDelayInMs: 0 }, "maxDelayInMs must be a number from 1 to 31622400000, got 0"],
    [{ randomize: "yes" }, 'randomize must be true or false, got "yes"'],
    [{ jitter: "half" }, 'jitter must be "full" or "none", got "half"'],
    [{ retryOn: [] }, "retryOn must be a non-empty array of error names"],
    [{ retryOn: ["States.ALL", "X"] }, 'retryOn must list "States.ALL" alone (ASL requires it)'],
    [{ maxAtempts: 3 }, "maxAtempts is not a retry option"],
    [{ retry: { limt: 3 } }, "retry.limt is not a retry option"],
  ])("rejects %j: %s", (options, message) => {
    expect(() => compileRetry(options as never)).toThrow(expect.objectContaining({ name: "RetryOptionsError", message }));
  });

  it("names a bad client default by its place", () => {
    expect(() => compileRetry({}, { maxAttempts: -2 })).toThrow(
      "defaults.retry.maxAttempts must be an integer from 1 to 100000000, got -2",
    );
  });
});

describe("describeRetry", () => {
  it.each([
    [{ maxAttempts: 3, retryDelayInMs: 1000 }, "3 attempts, 1 s apart"],
    [undefined, "3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that)"],
    [{ retryDelayInMs: 2000, factor: 2 }, "3 attempts, 2 s then x2 up to 60 s"],
    [{ maxAttempts: 1 }, "1 attempt, no retries"],
    [{ maxAttempts: 2, retryOn: ["RateLimitError"], retryDelayInMs: 5000 }, "2 attempts, 5 s apart (on RateLimitError)"],
  ] as const)("%j -> %s", (options, text) => {
    expect(describeRetry(compileRetry(options as never).retrier)).toBe(text);
  });
});
