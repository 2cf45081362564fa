import type { Job } from "../sdk/client.ts";
import type { IO, JsonValue, TaskContext } from "../sdk/types.ts";

/**
 * Task mocks for `stepjobs/testing`: a mocked task's callback is replaced, the task itself still runs through its
 * state (its Retry, its attempt numbers, its place in the memo), so a test proves what the state machine does with
 * the mocked result or error.
 */

/** What a mocked task returns (a JSON value), computes (a function called like the task's callback) or throws (an Error). */
export type MockStep = JsonValue | Error | ((payload: any, task: TaskContext) => unknown);

/**
 * A task's mock: one {@link MockStep} for every attempt, or an array of them, one per attempt (`[new Error("x"),
 * { ok: true }]`: attempt 1 throws, attempt 2 returns; later attempts take the last). An array *is* a sequence: to
 * return an array, use a function (`() => [1, 2]`).
 */
export type Mock = MockStep | readonly MockStep[];

/** Mocks by task id (every call of it) or by memo key `<id>#<n>` (its n-th call, from 0), which wins. */
export type Mocks = Readonly<Record<string, Mock>>;

/** The callback a mock stands for: it picks its step by the attempt number Step Functions' retries produce. */
function mockedCallback(mock: Mock): (payload: unknown, task: TaskContext) => Promise<unknown> {
  return async (payload, task) => {
    const step = Array.isArray(mock) ? mock[Math.min(task.attempt.number, mock.length) - 1] : (mock as MockStep);
    if (step instanceof Error) throw step;
    if (typeof step === "function") return step(payload, task);
    return step;
  };
}

/**
 * The job with its tasks' callbacks replaced where `mocks` names them. Occurrences are counted per replay, as the
 * runtime counts them for memo keys, so `"fetch#1"` is the second `io.runTask("fetch", ...)` of the run.
 */
export function withMocks<T>(job: Job<T>, mocks: Mocks): Job<T> {
  const keys = Object.keys(mocks);
  if (keys.length === 0) return job;
  return {
    ...job,
    run: (payload, io, ctx) => {
      const occurrences = new Map<string, number>();
      const mocked: IO = {
        ...io,
        runTask: ((id: string, fn: Function, ...rest: unknown[]) => {
          const n = occurrences.get(id) ?? 0;
          occurrences.set(id, n + 1);
          const mock = Object.hasOwn(mocks, `${id}#${n}`) ? mocks[`${id}#${n}`] : Object.hasOwn(mocks, id) ? mocks[id] : undefined;
          return (io.runTask as Function)(id, mock === undefined ? fn : mockedCallback(mock), ...rest);
        }) as IO["runTask"],
      };
      return job.run(payload, mocked, ctx);
    },
  };
}
