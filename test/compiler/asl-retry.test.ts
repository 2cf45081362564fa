import { describe, expect, it } from "vitest";
import { decideRetry, remainingRetriers, retryDelaySeconds } from "../../lib/compiler/asl-retry.ts";

describe("the Retry field as a pure function", () => {
  const tutorial = [
    { ErrorEquals: ["NonRetriableError", "TaskOutputTooLargeError"], MaxAttempts: 0 },
    { ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 5 },
  ];
  it.each([
    [[], { retry: false, waitSeconds: 0, jitter: false, used: [0, 0] }],
    [["Error"], { retry: true, retrierIndex: 1, waitSeconds: 2, jitter: false, used: [0, 1] }],
    [["Error", "Error"], { retry: true, retrierIndex: 1, waitSeconds: 4, jitter: false, used: [0, 2] }],
    [["Error", "Error", "Error"], { retry: true, retrierIndex: 1, waitSeconds: 5, jitter: false, used: [0, 3] }],
    [
      ["Error", "Error", "Error", "Error"],
      { retry: false, retrierIndex: 1, waitSeconds: 0, jitter: false, used: [0, 3], stop: "exhausted" },
    ],
    [["NonRetriableError"], { retry: false, retrierIndex: 0, waitSeconds: 0, jitter: false, used: [0, 0], stop: "none-allowed" }],
  ])("after failures %j", (errors, expected) => {
    expect(decideRetry(tutorial, errors)).toEqual(expected);
  });

  it("remaining retriers keep the total and continue the backoff", () => {
    expect(remainingRetriers(tutorial, [0, 2])).toEqual([
      tutorial[0],
      { ErrorEquals: ["States.ALL"], IntervalSeconds: 8, MaxAttempts: 1, BackoffRate: 2, MaxDelaySeconds: 5 },
    ]);
  });
});

describe("retryDelaySeconds computes the wait Step Functions would", () => {
  const r = { ErrorEquals: ["States.ALL"], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 3, MaxDelaySeconds: 30 };
  it.each([
    [1, 2],
    [2, 6],
    [3, 18],
    [4, 30],
  ])("retry %i waits %i s (capped at MaxDelaySeconds)", (retry, seconds) => {
    expect(retryDelaySeconds(r, retry)).toBe(seconds);
  });
  it("applies FULL jitter as a uniform fraction", () => {
    expect(retryDelaySeconds({ ...r, JitterStrategy: "FULL" }, 2, () => 0.5)).toBe(3);
  });
});
