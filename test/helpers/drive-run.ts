import { decideRetry } from "../../lib/compiler/asl-retry.ts";
import type { AslRetrier } from "../../lib/compiler/compile-retry.ts";
import type { AslDefinition } from "../../lib/compiler/render-state-machine.ts";
import type { RunInput, RunState } from "../../lib/runtime/run-state.ts";
import { type StepMode, stepRun } from "../../lib/runtime/runner-event.ts";
import type { Job } from "../../lib/sdk/client.ts";
import type { LogLine } from "../../lib/sdk/types.ts";
import { stringMatches } from "../../lib/compiler/string-matches.ts";

/** One state the driver entered, in order, with what happened there. */
export interface Visit {
  readonly state: string;
  readonly retryCount?: number;
  readonly error?: string;
  readonly waitSeconds?: number;
}

/** The outcome of {@link driveRun}. */
export interface DrivenRun {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly output?: unknown;
  readonly error?: { name: string; cause: string };
  readonly visits: readonly Visit[];
  readonly logs: readonly LogLine[];
  /** Waits between attempts (seconds), per state, as the Retry blocks computed them (no real sleeping). */
  readonly waits: readonly { state: string; seconds: number }[];
  readonly final: RunState;
}

/**
 * Walks a compiled state machine the way Step Functions does for the subset stepjobs renders
 * (Task with Retry/Catch, Choice on StringEquals/StringMatches, Wait, Succeed, Fail), calling
 * `stepRun` for each runner invocation with `$$.State.RetryCount`. Retries are decided by the ASL retry
 * module (lib/compiler/asl-retry.ts) over the visit's errors, as the ASL spec says. A fast, deterministic driver for unit tests; the real engine
 * (aws-local-stepfunctions) is exercised by the local runtime's tests.
 */
export async function driveRun(job: Job<any>, definition: AslDefinition, input: RunInput, maxSteps = 10_000): Promise<DrivenRun> {
  const visits: Visit[] = [];
  const logs: LogLine[] = [];
  const waits: { state: string; seconds: number }[] = [];
  let data: any = input;
  let name = definition.StartAt;
  for (let step = 0; step < maxSteps; step++) {
    const state = definition.States[name] as any;
    switch (state.Type) {
      case "Task": {
        const mode = state.Parameters.Payload.mode as StepMode;
        const errors: string[] = [];
        let retryCount = 0;
        for (;;) {
          try {
            const result = await stepRun(job, data, mode, retryCount, { onLog: (l) => logs.push(l), random: () => 0.5 });
            visits.push({ state: name, retryCount });
            data = result; // OutputPath $.Payload of { Payload: result }
            name = state.Next;
            break;
          } catch (error) {
            const errorName = (error as Error).name;
            visits.push({ state: name, retryCount, error: errorName });
            errors.push(errorName);
            const decision = decideRetry((state.Retry ?? []) as AslRetrier[], errors);
            if (decision.retry) {
              waits.push({ state: name, seconds: decision.waitSeconds });
              retryCount++;
              continue;
            }
            const catcher = (state.Catch ?? []).find((c: any) => c.ErrorEquals.includes(errorName) || c.ErrorEquals.includes("States.ALL"));
            if (!catcher)
              return { status: "FAILED", error: { name: errorName, cause: (error as Error).message }, visits, logs, waits, final: data };
            // Local Catch semantics: Cause is the plain message (real Lambda: a JSON string; both are normalized).
            data = { ...data, caught: { Error: errorName, Cause: (error as Error).message } };
            name = catcher.Next;
            break;
          }
        }
        break;
      }
      case "Choice": {
        visits.push({ state: name });
        const get = (path: string) =>
          path
            .slice(2)
            .split(".")
            .reduce((o: any, k) => o?.[k], data);
        const rule = state.Choices.find((c: any) => {
          const value = get(c.Variable);
          if ("StringEquals" in c) return value === c.StringEquals;
          if ("StringMatches" in c) return typeof value === "string" && stringMatches(c.StringMatches, value);
          return false;
        });
        name = rule ? rule.Next : state.Default;
        break;
      }
      case "Wait":
        visits.push({ state: name, waitSeconds: data.next.waitSeconds });
        waits.push({ state: name, seconds: data.next.waitSeconds });
        name = state.Next;
        break;
      case "Succeed":
        visits.push({ state: name });
        return { status: "SUCCEEDED", output: data.output, visits, logs, waits, final: data };
      case "Fail":
        visits.push({ state: name });
        return { status: "FAILED", error: { name: data.error.name, cause: data.error.message }, visits, logs, waits, final: data };
      default:
        throw new Error(`driveRun: unsupported state type ${state.Type}`);
    }
  }
  throw new Error(`driveRun: no end after ${maxSteps} steps`);
}
