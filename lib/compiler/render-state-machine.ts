import { type AslRetrier, NON_RETRIABLE_RETRIER } from "./compile-retry.ts";
import { describeRetry } from "./describe-retry.ts";
import type { JobPlan, StepSite, TaskPlan } from "./job-plan.ts";
import { RESERVED_STATE_NAMES, stateNameFor } from "./state-names.ts";
import { renderTaskRules } from "./task-routing.ts";

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

/**
 * Substitution variable for the partition (`aws`, `aws-cn`, `aws-us-gov`) in service-integration ARNs: Step Functions
 * rejects `arn:aws:states:::...` in another partition's regions. CDK binds it to `AWS::Partition`; local runs use `aws`.
 */
export const PARTITION_VARIABLE = "Partition";

/** The optimized Lambda integration; its result is `{ Payload, StatusCode, ... }`. */
export const LAMBDA_INVOKE_RESOURCE = `arn:\${${PARTITION_VARIABLE}}:states:::lambda:invoke`;

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

/** Substitution variable for the app's EventBridge bus name (`io.sendEvent`); CDK binds it via `definitionSubstitutions`. */
export const EVENT_BUS_VARIABLE = "EventBusName";

/** The optimized EventBridge integration (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html). */
export const PUT_EVENTS_RESOURCE = `arn:\${${PARTITION_VARIABLE}}:states:::events:putEvents`;

/** The durable steps besides tasks a machine has states for; the runner is told, so it never routes to a missing state. */
export type StepSupport = "wait" | "sendEvent" | "parallel";

/** Which of {@link StepSupport} the plan's machine has (from the calls discovery found in the job file). */
export function supportedSteps(plan: JobPlan): StepSupport[] {
  const steps = plan.steps;
  if (!steps) return [];
  return (["wait", "sendEvent", "parallel"] as const).filter((k) => steps[k].length > 0);
}

/** Parameters of a runner invocation; the runner receives `{ mode, retryCount, state }` (and `steps` when the machine has any). */
export function renderRunnerParameters(
  mode: "plan" | "task" | "retry" | "fail",
  steps: readonly StepSupport[] = [],
): Record<string, unknown> {
  return {
    FunctionName: `\${${RUNNER_ARN_VARIABLE}}`,
    Payload: {
      mode,
      "retryCount.$": "$$.State.RetryCount",
      "state.$": "$",
      ...(steps.length > 0 ? { steps } : {}),
    },
  };
}

/** A `lambda:invoke` of the runner whose output (the new run state) replaces the state. */
export function renderRunnerInvoke(
  mode: "plan" | "task" | "retry" | "fail",
  next: string,
  comment: string,
  steps: readonly StepSupport[] = [],
): AslState {
  return {
    Type: "Task",
    Comment: comment,
    Resource: LAMBDA_INVOKE_RESOURCE,
    Parameters: renderRunnerParameters(mode, steps),
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

/** Where a task state goes: on to `next` (or `End` inside a `Parallel` item), and its `Catch` to `catchTo`. */
export interface TaskExits {
  /** @default "Route"; `undefined` with `end: true` ends a `Parallel` item */
  readonly next?: string;
  readonly end?: boolean;
  /** @default "Plan" */
  readonly catchTo?: string;
}

/** One task state: the runner in `task` mode with the task's native retries. */
export function renderTaskState(task: TaskPlan, steps: readonly StepSupport[] = [], exits: TaskExits = {}): AslState {
  const where = `${task.location.file}:${task.location.line}`;
  const { Next: _next, ...invoke } = renderRunnerInvoke(
    "task",
    exits.next ?? "Route",
    `io.runTask("${task.id}") at ${where}: ${describeRetry(task.retry)}`,
    steps,
  );
  return {
    ...invoke,
    Retry: renderTaskRetry(task),
    Catch: renderTaskCatch(exits.catchTo ?? "Plan"),
    ...(exits.end ? { End: true } : { Next: exits.next ?? "Route" }),
  };
}

/** `Route` rules for the durable steps the machine has: `io.wait`, `io.sendEvent` and parallel batches. */
export function renderStepRules(steps: readonly StepSupport[], waits: readonly StepSite[] = []): Record<string, unknown>[] {
  const status = (value: string) => ({ Variable: "$.status", StringEquals: value });
  return [
    ...(steps.includes("wait") && secondsOnly(waits) ? [{ ...status("sleeping"), Next: "Sleep" }] : []),
    ...(steps.includes("wait") && !secondsOnly(waits)
      ? [
          { And: [status("sleeping"), { Variable: "$.next.seconds", IsPresent: true }], Next: "Sleep" },
          { ...status("sleeping"), Next: "SleepUntil" },
        ]
      : []),
    ...(steps.includes("sendEvent") ? [{ ...status("sending"), Next: "SendEvent" }] : []),
    ...(steps.includes("parallel") ? [{ ...status("parallel"), Next: "Parallel" }] : []),
  ];
}

/** Every `io.wait` has literal seconds: the machine needs `Sleep` only, not `SleepUntil`. */
function secondsOnly(waits: readonly StepSite[]): boolean {
  return waits.length > 0 && waits.every((w) => w.seconds !== undefined);
}

/** The `Route` Choice: finished runs first, then runner-driven waits, then durable steps, then one rule per task. */
export function renderRouteState(
  tasks: readonly TaskPlan[],
  steps: readonly StepSupport[] = [],
  waits: readonly StepSite[] = [],
): AslState {
  return {
    Type: "Choice",
    Comment: "Where the run goes next, as decided by the runner's replay",
    Choices: [
      { Variable: "$.status", StringEquals: "succeeded", Next: "Succeeded" },
      { Variable: "$.status", StringEquals: "failed", Next: "RunFailed" },
      { Variable: "$.status", StringEquals: "waiting", Next: "DynamicWait" },
      ...renderStepRules(steps, waits),
      ...renderTaskRules(tasks, (t) => t.stateName),
    ],
    Default: "DynamicTask",
  };
}

/**
 * States for tasks whose ids synth could not see (computed ids, helpers): retries driven by the runner.
 * `prefix` names the copy inside a `Parallel` item (state names are unique across a whole machine).
 */
export function renderDynamicStates(steps: readonly StepSupport[] = [], prefix = "", route = "Route"): Record<string, AslState> {
  return {
    [`${prefix}DynamicTask`]: {
      ...renderRunnerInvoke(
        "task",
        route,
        "A task whose id synth could not read; its retries are driven by the runner via DynamicRetry/DynamicWait",
        steps,
      ),
      Retry: [LAMBDA_SERVICE_RETRIER],
      Catch: renderTaskCatch(`${prefix}DynamicRetry`),
    },
    [`${prefix}DynamicRetry`]: renderRunnerInvoke("retry", route, "Decides whether the failed dynamic task gets another attempt", steps),
    [`${prefix}DynamicWait`]: {
      Type: "Wait",
      Comment: "The wait before the next attempt of a dynamic task",
      SecondsPath: "$.next.waitSeconds",
      Next: `${prefix}DynamicTask`,
    },
  };
}

/** Up to three call sites as `"key" at file:line`, for a state's Comment. */
function describeSites(call: string, sites: readonly StepSite[]): string {
  const shown = sites
    .slice(0, 3)
    .map((s) => `${call}${s.key === undefined ? "" : `("${s.key}")`} at ${s.location.file}:${s.location.line}`);
  return shown.join(", ") + (sites.length > 3 ? ` and ${sites.length - 3} more` : "");
}

/**
 * `io.wait` as native `Wait` states: `Sleep` for `{ seconds }` (`SecondsPath`), `SleepUntil` for `{ until }`
 * (`TimestampPath`), both back to `Plan`, which records the wait as done. No Lambda runs while a run waits.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
export function renderSleepStates(sites: readonly StepSite[]): Record<string, AslState> {
  const where = describeSites("io.wait", sites);
  const sleep: AslState = {
    Type: "Wait",
    Comment: `${where}: waits { seconds }, no Lambda runs meanwhile`,
    SecondsPath: "$.next.seconds",
    Next: "Plan",
  };
  if (secondsOnly(sites)) return { Sleep: sleep };
  return {
    Sleep: sleep,
    SleepUntil: {
      Type: "Wait",
      Comment: `${where}: waits { until }, no Lambda runs meanwhile`,
      TimestampPath: "$.next.wakeAt",
      Next: "Plan",
    },
  };
}

/**
 * Retries of `PutEvents`: a non-zero `FailedEntryCount` fails the state with `EventBridge.FailedEntry`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html); throttling and service
 * errors are task failures too. The event id is fixed, so a retry never starts a second run.
 */
export const PUT_EVENTS_RETRIER: AslRetrier = {
  ErrorEquals: ["EventBridge.FailedEntry", "States.TaskFailed"],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
  JitterStrategy: "FULL",
};

/**
 * `io.sendEvent` as the native EventBridge integration (no Lambda): one `PutEvents` entry on the app's bus,
 * shaped like every stepjobs event, so the bus rules send it through ingest like an HTTP event.
 */
export function renderSendEventState(sites: readonly StepSite[]): AslState {
  return {
    Type: "Task",
    Comment: `${describeSites("io.sendEvent", sites)}: PutEvents on the app's bus; ingest validates it and starts the jobs it triggers`,
    Resource: PUT_EVENTS_RESOURCE,
    Parameters: {
      Entries: [
        {
          EventBusName: `\${${EVENT_BUS_VARIABLE}}`,
          "Source.$": "$.next.event.source",
          "DetailType.$": "$.next.event.name",
          "Detail.$": "$.next.event.detail",
        },
      ],
    },
    ResultSelector: { "eventId.$": "$.Entries[0].EventId" },
    ResultPath: "$.sent",
    Retry: [PUT_EVENTS_RETRIER],
    Catch: renderTaskCatch("Plan"),
    Next: "Plan",
  };
}

/** Name prefix of the states inside a `Parallel` item. */
export const PARALLEL_PREFIX = "Parallel ";

/** The state name of a task's copy inside a `Parallel` item. */
export function parallelStateName(task: TaskPlan, taken: Set<string>): string {
  const name = stateNameFor(`${task.stateName} (parallel)`, taken);
  taken.add(name);
  return name;
}

/**
 * Tasks reached together (`Promise.all`) as a native `Map` over the `batch` the runner returned: each item
 * routes its task to a copy of the task's state (same native `Retry`), and returns the finished task or its
 * caught failure; `Plan` records them all in call order. https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
 */
export function renderParallelState(tasks: readonly TaskPlan[], sites: readonly StepSite[], steps: readonly StepSupport[]): AslState {
  const taken = new Set<string>(RESERVED_STATE_NAMES);
  for (const t of tasks) taken.add(t.stateName);
  const inner = new Map(tasks.map((t) => [t, parallelStateName(t, taken)]));
  const route = `${PARALLEL_PREFIX}Route`;
  const taskStates = Object.fromEntries(
    tasks.map((t) => [inner.get(t)!, renderTaskState(t, steps, { end: true, catchTo: `${PARALLEL_PREFIX}Caught` })]),
  );
  return {
    Type: "Map",
    Comment: `${describeSites("Promise.all", sites)}: the tasks reached together run concurrently, each with its own Retry`,
    ItemsPath: "$.batch",
    ItemSelector: {
      "runId.$": "$.runId",
      "event.$": "$.event",
      "memo.$": "$.memo",
      status: "running",
      branch: true,
      "next.$": "$$.Map.Item.Value",
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: "INLINE" },
      StartAt: route,
      States: {
        [route]: {
          Type: "Choice",
          Comment: "The item's task state (a dynamic task's retry loop ends in Done too)",
          Choices: [
            { Variable: "$.status", StringEquals: "branched", Next: `${PARALLEL_PREFIX}Done` },
            { Variable: "$.status", StringEquals: "waiting", Next: `${PARALLEL_PREFIX}DynamicWait` },
            ...renderTaskRules(tasks, (t) => inner.get(t)!),
          ],
          Default: `${PARALLEL_PREFIX}DynamicTask`,
        },
        ...taskStates,
        ...renderDynamicStates(steps, PARALLEL_PREFIX, route),
        [`${PARALLEL_PREFIX}Caught`]: {
          Type: "Pass",
          Comment: "The task failed after its last attempt: hand the error to Plan, which rethrows it into the job",
          Parameters: { status: "caught", "next.$": "$.next", "caught.$": "$.caught" },
          End: true,
        },
        [`${PARALLEL_PREFIX}Done`]: { Type: "Succeed" },
      },
    },
    ResultPath: "$.branches",
    Next: "Plan",
  };
}

/**
 * `Succeeded` outputs the run's return value. `RunFailed` is a runner invocation, not a `Fail` state: it throws
 * the job's error so the execution fails right there, and after a `RedriveExecution` (which re-runs the failed
 * state, https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html) it sees a higher
 * `$$.Execution.RedriveCount` and continues the run from its failed task instead. A `Fail` state would only fail again.
 */
export function renderEndStates(steps: readonly StepSupport[] = []): Record<string, AslState> {
  const fail = renderRunnerInvoke(
    "fail",
    "Route",
    "The run failed: throws its error, so the execution fails here; after a redrive, continues from the failed task",
    steps,
  );
  const parameters = fail.Parameters as { Payload: Record<string, unknown> };
  return {
    Succeeded: { Type: "Succeed", OutputPath: "$.output" },
    RunFailed: {
      ...fail,
      Parameters: { ...parameters, Payload: { ...parameters.Payload, "redriveCount.$": "$$.Execution.RedriveCount" } },
    },
  };
}

/** The states for the durable steps the plan uses besides tasks. */
function renderStepStates(plan: JobPlan, steps: readonly StepSupport[]): Record<string, AslState> {
  const sites = plan.steps;
  if (!sites) return {};
  return {
    ...(steps.includes("wait") ? renderSleepStates(sites.wait) : {}),
    ...(steps.includes("sendEvent") ? { SendEvent: renderSendEventState(sites.sendEvent) } : {}),
    ...(steps.includes("parallel") ? { Parallel: renderParallelState(plan.tasks, sites.parallel, steps) } : {}),
  };
}

/**
 * The whole state machine of a job: `Plan` -> `Route` -> one state per task -> back to `Route`, ending in
 * `Succeeded` or `RunFailed`. Every task costs one Lambda invocation and two transitions (task, Route).
 * Waits, sent events and parallel batches add their native states (`Wait`, `PutEvents`, `Map`) when the job uses them.
 */
export function renderStateMachine(plan: JobPlan): AslDefinition {
  const steps = supportedSteps(plan);
  const taskStates = Object.fromEntries(plan.tasks.map((t) => [t.stateName, renderTaskState(t, steps)]));
  return {
    Comment: `stepjobs job "${plan.id}" v${plan.version} (${plan.location.file}), triggered by "${plan.trigger.event}"`,
    StartAt: "Plan",
    States: {
      Plan: renderRunnerInvoke("plan", "Route", "Replays the job to find its next task (and records a failed task's error)", steps),
      Route: renderRouteState(plan.tasks, steps, plan.steps?.wait),
      ...taskStates,
      ...renderStepStates(plan, steps),
      ...renderDynamicStates(steps),
      ...renderEndStates(steps),
    },
  };
}

/** Replaces `${Name}` substitution variables, as Step Functions' `definitionSubstitutions` does. */
export function substitute(definition: AslDefinition, values: Readonly<Record<string, string>>): AslDefinition {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => values[name] ?? whole);
  return JSON.parse(text) as AslDefinition;
}
