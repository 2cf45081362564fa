import { beforeAll, describe, expect, it } from "vitest";
import { createRunnerHandler } from "../../lambdas/runner.ts";
import type { RunState } from "../../lib/runtime/run-state.ts";
import { TriggerClient } from "../../lib/sdk/client.ts";
import { DynamoRunStore } from "../../lib/store/dynamo-run-store.ts";
import { runStateOf } from "../helpers/run-states.ts";
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
    const runs = new DynamoRunStore({ client: db.client(), tableName: table });
    const handler = createRunnerHandler("attempts", (runId, key) => runs.countAttempt(runId, key));
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

describe("a task's error through the runner Lambda (what Lambda's Node runtime and Step Functions make of it)", () => {
  class PlainCustomError extends Error {}
  class PaymentError extends Error {
    constructor(
      message: string,
      readonly code: string,
    ) {
      super(message);
    }
  }
  const client = new TriggerClient({ id: "runner-errors" });
  const caughtCodes: string[] = [];
  client.defineJob({
    id: "errors",
    name: "errors",
    version: "1",
    trigger: client.on("errors", { schema: { type: "object" } }),
    run: async (_payload, io) => {
      try {
        await io.runTask("pay", async () => {
          throw new PaymentError("card declined", "CARD_DECLINED");
        });
      } catch (error) {
        caughtCodes.push((error as PaymentError).code);
      }
      await io.runTask("plain", async () => {
        throw new PlainCustomError("no name set");
      });
    },
  });
  const handler = createRunnerHandler("errors", undefined);
  const state = (next: { key: string; task: string; index: number }, memo: RunState["memo"] = []): RunState => ({
    runId: "r",
    event: { id: "e", name: "errors", timestamp: "2026-11-25T00:00:00Z", payload: {} },
    status: "running",
    memo,
    next,
  });
  /** What the Node runtime sends as the function error, and Step Functions records as the Catch's Cause. */
  const lambdaEnvelope = (error: Error) => ({ errorType: error.name, errorMessage: error.message, trace: error.stack!.split("\n") });

  it("throws the error under its class name when it sets none, so native Retry and retryOn see that name", async () => {
    const thrown = await handler({
      mode: "task",
      state: state({ key: "plain#0", task: "plain", index: 1 }, [
        { key: "pay#0", id: "pay", ok: false, error: { name: "PaymentError", message: "card declined" } },
      ]),
    }).catch((e: Error) => e);
    expect((thrown as Error).name).toBe("PlainCustomError");
  });

  it("the envelope's trace carries the user's frames and fields; Plan records them, and try/catch gets error.code", async () => {
    const thrown = (await handler({ mode: "task", state: state({ key: "pay#0", task: "pay", index: 0 }) }).catch((e: Error) => e)) as Error;
    const envelope = lambdaEnvelope(thrown);
    expect(envelope.errorType).toBe("PaymentError");
    expect(envelope.trace[1]).toMatch(/^ {4}at .*test\/lambdas\/runner\.test\.ts:\d+:\d+\)?$/);
    expect(envelope.trace.join("\n")).not.toMatch(/lib\/runtime|node:internal/);
    expect(envelope.trace.at(-1)).toBe('    stepjobs.fields {"code":"CARD_DECLINED"}');
    const caught = {
      ...state({ key: "pay#0", task: "pay", index: 0 }),
      caught: { Error: "PaymentError", Cause: JSON.stringify(envelope) },
    };
    caughtCodes.length = 0;
    const planned = runStateOf(await handler({ mode: "plan", state: caught }));
    expect(planned.memo[0]).toEqual({
      key: "pay#0",
      id: "pay",
      ok: false,
      error: {
        name: "PaymentError",
        message: "card declined",
        stack: expect.stringMatching(/^at .*test\/lambdas\/runner\.test\.ts:\d+:\d+\)?/),
        fields: { code: "CARD_DECLINED" },
      },
    });
    expect(caughtCodes).toEqual(["CARD_DECLINED"]);
  });
});
