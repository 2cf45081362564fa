import type { JobPlan } from "./job-plan.ts";
import { type AslDefinition, type AslState, LAMBDA_INVOKE_RESOURCE } from "./render-state-machine.ts";
import { stringMatches } from "./string-matches.ts";

/**
 * What a run of a compiled job costs, counted from its ASL: the states a run enters (Standard workflows bill one
 * state transition per state entered and per retry) and the Lambda invocations among them, for a successful run and
 * for one where every task fails once and is retried. Pure: walks the definition's `Next`/`Choices` the way Step
 * Functions would for the run's steps, so a change of the renderer changes the estimate.
 *
 * Prices, us-east-1, read 2026-11-25: Standard $0.025 per 1,000 state transitions (retries included) and Express
 * $1.00 per million requests plus $0.00001667 per GB-second in 64 MB chunks and 100 ms steps
 * (https://aws.amazon.com/step-functions/pricing/); Lambda $0.20 per million requests
 * (https://aws.amazon.com/lambda/pricing/; compute not included: it is the task code's own cost either way);
 * EventBridge custom events $1.00 per million (https://aws.amazon.com/eventbridge/pricing/).
 */
export const PRICES = {
  standardPerTransition: 0.025 / 1000,
  expressPerRequest: 1 / 1_000_000,
  expressPerGbSecond: 0.00001667,
  lambdaPerRequest: 0.2 / 1_000_000,
  eventPerPut: 1 / 1_000_000,
} as const;

/** Express duration assumption: 64 MB (one chunk) and 100 ms per Lambda invocation. */
export const EXPRESS_MS_PER_INVOCATION = 100;

/** One durable step of a run, as `Route` sees it. */
export type RunStep =
  { readonly kind: "task"; readonly id: string } | { readonly kind: "wait"; readonly seconds: boolean } | { readonly kind: "event" };

/** Transitions, Lambda invocations and PutEvents calls of one run. */
export interface RunCounts {
  readonly transitions: number;
  readonly invocations: number;
  readonly events: number;
}

/** What one pass of `Route`'s Choice picks for a state (StringEquals, StringMatches, IsPresent, And). */
function choose(route: AslState, data: Record<string, any>): string {
  const get = (path: string) =>
    path
      .slice(2)
      .split(".")
      .reduce<any>((o, k) => o?.[k], data);
  const test = (rule: any): boolean => {
    if (rule.And) return rule.And.every(test);
    const value = get(rule.Variable);
    if ("StringEquals" in rule) return value === rule.StringEquals;
    if ("StringMatches" in rule) return typeof value === "string" && stringMatches(rule.StringMatches, value);
    if ("IsPresent" in rule) return (value !== undefined) === rule.IsPresent;
    return false;
  };
  const rule = (route.Choices as any[]).find(test);
  return rule ? rule.Next : (route.Default as string);
}

/** The states a run with these steps enters, from `StartAt` to `Succeeded` (each step once, in order). */
export function statesEntered(definition: AslDefinition, steps: readonly RunStep[]): string[] {
  const entered: string[] = [];
  const states = definition.States;
  let name = definition.StartAt;
  let index = 0;
  for (let guard = 0; guard < 10 * (steps.length + 2); guard++) {
    const state = states[name];
    if (!state) throw new Error(`${definition.Comment}: no state "${name}"`);
    entered.push(name);
    if (state.Type === "Succeed" || state.Type === "Fail") return entered;
    if (state.Type === "Choice") {
      const step = steps[index];
      const data =
        step === undefined
          ? { status: "succeeded" }
          : step.kind === "task"
            ? { status: "running", next: { task: step.id } }
            : step.kind === "wait"
              ? { status: "sleeping", next: step.seconds ? { seconds: 1 } : { wakeAt: "" } }
              : { status: "sending", next: {} };
      if (step) index++;
      name = choose(state, data);
      continue;
    }
    name = state.Next as string;
  }
  throw new Error(`the run's steps do not reach Succeeded in ${definition.Comment}`);
}

/** Counts for one run with these steps; `retryEachTask` adds one failed attempt (and its retry) per task. */
export function countRun(definition: AslDefinition, steps: readonly RunStep[], retryEachTask = false): RunCounts {
  const entered = statesEntered(definition, steps);
  const isLambda = (name: string) => definition.States[name]?.Resource === LAMBDA_INVOKE_RESOURCE;
  const tasks = steps.filter((s) => s.kind === "task").length;
  const retries = retryEachTask ? tasks : 0;
  return {
    transitions: entered.length + retries,
    invocations: entered.filter(isLambda).length + retries,
    events: steps.filter((s) => s.kind === "event").length,
  };
}

/** The steps a plan's run takes when every discovered call runs once: each task, then each wait and sent event. */
export function planSteps(plan: JobPlan): RunStep[] {
  return [
    ...plan.tasks.map((t) => ({ kind: "task" as const, id: t.match === "literal" ? t.id : t.id.replace(/\*/g, "x") })),
    ...(plan.steps?.wait ?? []).map((w) => ({ kind: "wait" as const, seconds: w.seconds !== undefined })),
    ...(plan.steps?.sendEvent ?? []).map(() => ({ kind: "event" as const })),
  ];
}

/** Dollars for one run of these counts, Standard and Express (Lambda requests and PutEvents included in both). */
export function dollarsPerRun(counts: RunCounts): { readonly standard: number; readonly express: number } {
  const shared = counts.invocations * PRICES.lambdaPerRequest + counts.events * PRICES.eventPerPut;
  const seconds = Math.ceil((counts.invocations * EXPRESS_MS_PER_INVOCATION) / 100) / 10;
  return {
    standard: counts.transitions * PRICES.standardPerTransition + shared,
    express: PRICES.expressPerRequest + seconds * (64 / 1024) * PRICES.expressPerGbSecond + shared,
  };
}

/** A job's estimate: counts and dollars per run, succeeded and with each task retried once. */
export interface JobCostEstimate {
  readonly jobId: string;
  readonly succeeded: RunCounts & { readonly dollars: ReturnType<typeof dollarsPerRun> };
  readonly retriedOnce: RunCounts & { readonly dollars: ReturnType<typeof dollarsPerRun> };
}

/** The estimate of one compiled job (each discovered call once per run). */
export function estimateJobCost(plan: JobPlan, definition: AslDefinition): JobCostEstimate {
  const steps = planSteps(plan);
  const succeeded = countRun(definition, steps);
  const retriedOnce = countRun(definition, steps, true);
  return {
    jobId: plan.id,
    succeeded: { ...succeeded, dollars: dollarsPerRun(succeeded) },
    retriedOnce: { ...retriedOnce, dollars: dollarsPerRun(retriedOnce) },
  };
}
