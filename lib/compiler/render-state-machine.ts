import type { AslRetrier } from "./compile-retry.ts";
import { describeRetry } from "./describe-retry.ts";
import type { JobPlan, TaskPlan } from "./job-plan.ts";

/**
 * Rendering a JobPlan into Amazon States Language (JSONPath), one small function per concept.
 * The output is plain JSON: CDK passes it to `DefinitionBody.fromString` with `definitionSubstitutions`,
 * the local runtime executes it, `stepjobs synth` prints it. Spec: https://states-language.net/spec.html
 */

/** A state machine definition as JSON. */
export interface AslDefinition {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

/** One ASL state (the subset of fields stepjobs renders). */
export type AslState = Record<string, unknown> & { readonly Type: string };

/** Substitution variable for the job's runner Lambda ARN; CDK binds it via `definitionSubstitutions`. */
export const RUNNER_ARN_VARIABLE = "RunnerFunctionArn";

/** The optimized Lambda integration; its result is `{ Payload, StatusCode, ... }`. */
export const LAMBDA_INVOKE_RESOURCE = "arn:aws:states:::lambda:invoke";

/**
 * Errors of the Lambda service itself (throttling, service faults), retried by their own retrier placed
 * before the user's so they never consume the user's attempts. As recommended in
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_SERVICE_RETRIER: AslRetrier = {
  ErrorEquals: [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
  ],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};

/** Errors that must never be retried; placed first with `MaxAttempts: 0` so they go straight to `Catch`. */
export const NON_RETRIABLE_RETRIER: AslRetrier = {
  ErrorEquals: ["NonRetriableError", "TaskOutputTooLargeError"],
  MaxAttempts: 0,
};

/** Parameters of a runner invocation; the runner receives `{ mode, retryCount, state }`. */
export function renderRunnerParameters(mode: "plan" | "task" | "retry"): Record<string, unknown> {
  return {
    FunctionName: `\${${RUNNER_ARN_VARIABLE}}`,
    Payload: {
      mode,
      "retryCount.$": "$$.State.RetryCount",
      "state.$": "$",
    },
  };
}

/** A `lambda:invoke` of the runner whose output (the new run state) replaces the state. */
export function renderRunnerInvoke(mode: "plan" | "task" | "retry", next: string, comment: string): AslState {
  return {
    Type: "Task",
    Comment: comment,
    Resource: LAMBDA_INVOKE_RESOURCE,
    Parameters: renderRunnerParameters(mode),
    OutputPath: "$.Payload",
    Retry: [LAMBDA_SERVICE_RETRIER],
    Next: next,
  };
}

/** The `Retry` array of a task state: non-retriable first, Lambda service errors next, the user's policy last. */
export function renderTaskRetry(task: TaskPlan): AslRetrier[] {
  return [NON_RETRIABLE_RETRIER, LAMBDA_SERVICE_RETRIER, task.retry];
}

/** After the last attempt, record the failure in the state and let `Plan` replay it into the job. */
export function renderTaskCatch(next: string): Record<string, unknown>[] {
  return [{ ErrorEquals: ["States.ALL"], ResultPath: "$.caught", Next: next }];
}

/** One task state: the runner in `task` mode with the task's native retries. */
export function renderTaskState(task: TaskPlan): AslState {
  const where = `${task.location.file}:${task.location.line}`;
  return {
    ...renderRunnerInvoke("task", "Route", `io.runTask("${task.id}") at ${where}: ${describeRetry(task.retry)}`),
    Retry: renderTaskRetry(task),
    Catch: renderTaskCatch("Plan"),
  };
}

/** The `Route` Choice: finished runs first, then runner-driven waits, then one rule per task. */
export function renderRouteState(tasks: readonly TaskPlan[]): AslState {
  const taskRules = tasks.map((t) =>
    t.match === "literal"
      ? { Variable: "$.next.task", StringEquals: t.id, Next: t.stateName }
      : { Variable: "$.next.task", StringMatches: t.id, Next: t.stateName },
  );
  return {
    Type: "Choice",
    Comment: "Where the run goes next, as decided by the runner's replay",
    Choices: [
      { Variable: "$.status", StringEquals: "succeeded", Next: "Succeeded" },
      { Variable: "$.status", StringEquals: "failed", Next: "RunFailed" },
      { Variable: "$.status", StringEquals: "waiting", Next: "DynamicWait" },
      ...taskRules,
    ],
    Default: "DynamicTask",
  };
}

/** States for tasks whose ids synth could not see (computed ids, helpers): retries driven by the runner. */
export function renderDynamicStates(): Record<string, AslState> {
  return {
    DynamicTask: {
      ...renderRunnerInvoke(
        "task",
        "Route",
        "A task whose id synth could not read; its retries are driven by the runner via DynamicRetry/DynamicWait",
      ),
      Retry: [LAMBDA_SERVICE_RETRIER],
      Catch: renderTaskCatch("DynamicRetry"),
    },
    DynamicRetry: renderRunnerInvoke("retry", "Route", "Decides whether the failed dynamic task gets another attempt"),
    DynamicWait: {
      Type: "Wait",
      Comment: "The wait before the next attempt of a dynamic task",
      SecondsPath: "$.next.waitSeconds",
      Next: "DynamicTask",
    },
  };
}

/** `Succeeded` outputs the run's return value; `RunFailed` surfaces the job's error name and message. */
export function renderEndStates(): Record<string, AslState> {
  return {
    Succeeded: { Type: "Succeed", OutputPath: "$.output" },
    RunFailed: {
      Type: "Fail",
      Comment: "The job failed: its error name and message",
      ErrorPath: "$.error.name",
      CausePath: "$.error.message",
    },
  };
}

/**
 * The whole state machine of a job: `Plan` -> `Route` -> one state per task -> back to `Route`, ending in
 * `Succeeded` or `RunFailed`. Every task costs one Lambda invocation and two transitions (task, Route).
 */
export function renderStateMachine(plan: JobPlan): AslDefinition {
  const taskStates = Object.fromEntries(plan.tasks.map((t) => [t.stateName, renderTaskState(t)]));
  return {
    Comment: `stepjobs job "${plan.id}" v${plan.version} (${plan.location.file}), triggered by "${plan.trigger.event}"`,
    StartAt: "Plan",
    States: {
      Plan: renderRunnerInvoke("plan", "Route", "Replays the job to find its next task (and records a failed task's error)"),
      Route: renderRouteState(plan.tasks),
      ...taskStates,
      ...renderDynamicStates(),
      ...renderEndStates(),
    },
  };
}

/** Replaces `${Name}` substitution variables, as Step Functions' `definitionSubstitutions` does. */
export function substitute(definition: AslDefinition, values: Readonly<Record<string, string>>): AslDefinition {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => values[name] ?? whole);
  return JSON.parse(text) as AslDefinition;
}
