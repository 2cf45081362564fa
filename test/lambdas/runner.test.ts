import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createRunnerHandler, dynamoAttemptCounter } from "../../lambdas/runner.ts";
import type { RunState } from "../../lib/runtime/run-state.ts";
import { TriggerClient } from "../../lib/sdk/client.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

/**
 * The runner Lambda's attempt counter on real dynalite: `ctx.attempt.number` counts the times the task function
 * ran, so Lambda throttles (which `$$.State.RetryCount` counts, because the service retrier retried them) do not
 * inflate it.
 */
const db = useDynalite();
let table = "";
beforeAll(async () => {
  table = await db.freshTable();
});

describe("the runner's attempt counter (DynamoDB ADD per attempt)", () => {
  it("counts 1, 2, 3 per (run, task key), separately per key, with a TTL", async () => {
    const count = dynamoAttemptCounter(db.client(), table, () => 1_000_000_000_000);
    expect([await count("r1", "a#0"), await count("r1", "a#0"), await count("r1", "b#0"), await count("r1", "a#0")]).toEqual([1, 2, 1, 3]);
    const { Item } = await db.client().send(new GetCommand({ TableName: table, Key: { pk: "RUN#r1", sk: "ATTEMPTS#a#0" } }));
    expect(Item).toEqual({ pk: "RUN#r1", sk: "ATTEMPTS#a#0", attempts: 3, expiresAt: 1_000_000_000 + 400 * 24 * 3600 });
  });

  it("after two throttles ($$.State.RetryCount = 2, the function never ran), the first real attempt is attempt 1", async () => {
    const client = new TriggerClient({ id: "runner-test" });
    const seen: number[] = [];
    client.defineJob({
      id: "attempts",
      name: "attempts",
      version: "1",
      trigger: client.on("attempts", { schema: { type: "object" } }),
      run: async (_payload, io, ctx) => io.runTask("t", async () => void seen.push(ctx.attempt.number)),
    });
    const handler = createRunnerHandler("attempts", dynamoAttemptCounter(db.client(), table));
    const state: RunState = {
      runId: "throttled",
      event: { id: "e", name: "attempts", timestamp: "2026-11-25T00:00:00Z", payload: {} },
      status: "running",
      memo: [],
      next: { key: "t#0", task: "t", index: 0 },
    };
    await handler({ mode: "task", retryCount: 2, state });
    expect(seen).toEqual([1]);
    // Without the counter, RetryCount alone would have said 3 (the over-count the counter fixes).
    await createRunnerHandler("attempts", undefined)({ mode: "task", retryCount: 2, state });
    expect(seen).toEqual([1, 3]);
  });
});
