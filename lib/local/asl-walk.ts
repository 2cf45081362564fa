import type { AslRetrier } from "../compiler/compile-retry.ts";
import {
  type AslDefinition,
  type AslState,
  EVENT_BUS_VARIABLE,
  LAMBDA_INVOKE_RESOURCE,
  PARTITION_VARIABLE,
  PUT_EVENTS_RESOURCE,
  RUNNER_ARN_VARIABLE,
  substitute,
} from "../compiler/render-state-machine.ts";
import { TABLE_VARIABLE } from "../compiler/concurrency-limit.ts";
import { SLOT_STATE_NAMES } from "../compiler/state-names.ts";
import { STEPJOBS_TABLE } from "../store/table-definition.ts";

/**
 * Reading a compiled definition the way the dev executor needs it: every state (those inside `Map` item processors
 * too), which states it binds, their retriers, and the local copy of the definition it runs.
 */

/** A state machine's states by name, the nested ones included (names are unique machine-wide). */
export type StatesByName = ReadonlyMap<string, AslState>;

/** Every state of a definition, those inside `Map` item processors included (names are unique machine-wide). */
export function allStates(definition: { readonly States: Record<string, AslState> }): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
    return [[name, state] as [string, AslState], ...(processor ? allStates(processor) : [])];
  });
}

/** What the dev runtime binds the substitution variables to (the partition is the commercial one, `aws`). */
const LOCAL_SUBSTITUTIONS = {
  [RUNNER_ARN_VARIABLE]: "local",
  [EVENT_BUS_VARIABLE]: "local",
  [PARTITION_VARIABLE]: "aws",
  [TABLE_VARIABLE]: STEPJOBS_TABLE.defaultName,
};

/**
 * Milliseconds a concurrency slot's poll waits in tests: zero would have every queued run re-read the table in a
 * tight loop, starving the runs that hold the slots.
 */
export const ZERO_MODE_SLOT_WAIT_MS = 20;

/** A resource ARN as it reads in the local copy of a definition. */
function localResource(resource: string): string {
  return resource.replace(`\${${PARTITION_VARIABLE}}`, LOCAL_SUBSTITUTIONS[PARTITION_VARIABLE]);
}

/** The ASL Task states bound to the runner: every `lambda:invoke` state (Plan, DynamicTask, DynamicRetry, tasks, their `Parallel` copies). */
export function runnerStateNames(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, s]) => s.Type === "Task" && s.Resource === localResource(LAMBDA_INVOKE_RESOURCE))
    .map(([name]) => name);
}

/** The `PutEvents` states (`io.sendEvent`), bound to the dev runtime's in-process bus. */
export function putEventsStateNames(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, s]) => s.Type === "Task" && s.Resource === localResource(PUT_EVENTS_RESOURCE))
    .map(([name]) => name);
}

/** The `Retry` field of a state (empty when it has none). */
export function retriersOf(states: StatesByName, stateName: string): AslRetrier[] {
  const retry = states.get(stateName)?.Retry;
  return Array.isArray(retry) ? (retry as AslRetrier[]) : [];
}

/** True for a state whose `Catch` leads to the runner's `retry` mode (`DynamicTask`): its retries are the runner's. */
export function retriedByRunner(states: StatesByName, stateName: string): boolean {
  const catchers = (states.get(stateName)?.Catch ?? []) as { Next?: string }[];
  return catchers.some((c) => {
    const parameters = c.Next ? (states.get(c.Next)?.Parameters as { Payload?: { mode?: unknown } } | undefined) : undefined;
    return parameters?.Payload?.mode === "retry";
  });
}

/** Overrides that make every retry and Wait state take no time (tests), keyed by state name as the library wants. */
export function zeroWaitOverrides(definition: AslDefinition): {
  retryIntervalOverrides: Record<string, number>;
  waitTimeOverrides: Record<string, number>;
} {
  const entries = allStates(definition);
  return {
    retryIntervalOverrides: Object.fromEntries(entries.filter(([, s]) => Array.isArray(s.Retry)).map(([n]) => [n, 0])),
    waitTimeOverrides: Object.fromEntries(
      entries
        .filter(([, s]) => s.Type === "Wait")
        .map(([n]) => [n, (SLOT_STATE_NAMES as readonly string[]).includes(n) || n === "WaitForTurn" ? ZERO_MODE_SLOT_WAIT_MS : 0]),
    ),
  };
}

/**
 * aws-local-stepfunctions times a Task state out after 60 s when it has no `TimeoutSeconds`; AWS's default is
 * 99999999 s, and what bounds a task in the cloud is its Lambda's timeout (at most 900 s). The local copy
 * gets that bound, so a slow task is not failed (and retried while still running) only in dev.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
export const LOCAL_TASK_TIMEOUT_SECONDS = 900;

/** The definition as the dev executor runs it: ARNs and the bus substituted, Task timeouts as in the cloud. */
export function localDefinition(definition: AslDefinition): AslDefinition {
  const substituted = substitute(definition, LOCAL_SUBSTITUTIONS);
  return { ...substituted, States: withLocalTimeouts(substituted.States) };
}

function withLocalTimeouts(states: Record<string, AslState>): Record<string, AslState> {
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => {
      const processor = state.ItemProcessor as { States: Record<string, AslState> } | undefined;
      if (processor) return [name, { ...state, ItemProcessor: { ...processor, States: withLocalTimeouts(processor.States) } }];
      return state.Type === "Task" && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined
        ? [name, { ...state, TimeoutSeconds: LOCAL_TASK_TIMEOUT_SECONDS }]
        : [name, state];
    }),
  );
}
