import { stepRun } from "../lib/runtime/runner-event.ts";
import type { RunState } from "../lib/runtime/run-state.ts";
import { TriggerClient } from "../lib/sdk/index.ts";
import { timeMedian } from "./stats.ts";

/**
 * Replay overhead: the runner invocation that executes the last task of an N-task job (replaying N-1
 * memoized tasks) against two baselines measured in the same run: the bare task function, and
 * `JSON.parse` of the same input state (what any Lambda pays to read its event).
 * Target (issue 7): replaying 1000 memoized tasks under 5 ms, growth linear per invocation.
 */
export async function benchReplay(mode: "quick" | "full") {
  const client = new TriggerClient({ id: "bench" });
  const sizes = [10, 100, 1000];
  const reps = mode === "full" ? 200 : 40;
  const rows = [];
  for (const n of sizes) {
    const task = async () => ({ ok: true, text: "a small result" });
    const job = client.defineJob({
      id: `replay-${n}`,
      name: "replay",
      version: "1",
      trigger: client.on("bench.replay", { schema: {} }),
      run: async (_payload, io) => {
        for (let i = 0; i < n; i++) await io.runTask(`task-${i}`, task, {});
      },
    });
    const memo = Array.from({ length: n - 1 }, (_, i) => ({
      key: `task-${i}#0`,
      id: `task-${i}`,
      ok: true as const,
      result: { ok: true, text: "a small result" },
    }));
    const state: RunState = {
      runId: "r",
      event: { id: "e", name: "bench.replay", timestamp: new Date(0).toISOString(), payload: {} },
      status: "running",
      memo,
      next: { key: `task-${n - 1}#0`, task: `task-${n - 1}`, index: n - 1 },
    };
    const text = JSON.stringify(state);
    const lastInvocation = await timeMedian(() => stepRun(job, state, "task"), reps);
    const bare = await timeMedian(task, reps * 10);
    const parse = await timeMedian(() => JSON.parse(text), reps);
    // Total runner time across the run: plan + N task invocations, each replaying what came before.
    let total = 0;
    if (n <= (mode === "full" ? 1000 : 100)) {
      let current: RunState = await stepRun(job, { runId: "r", event: state.event }, "plan");
      const start = performance.now();
      while (current.status === "running") current = await stepRun(job, current, "task");
      total = performance.now() - start;
    }
    rows.push({
      tasks: n,
      "last invocation ms": lastInvocation,
      "x bare task fn": lastInvocation / bare,
      "x JSON.parse(state)": lastInvocation / parse,
      "per memoized task us": (lastInvocation * 1000) / Math.max(1, n - 1),
      "whole run ms": total || "-",
    });
  }
  return rows;
}
