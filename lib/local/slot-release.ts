import "./polyfills.ts";

import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { type ConcurrencyPlan, renderSlotReleaseMachine } from "../compiler/concurrency-limit.ts";
import type { RunEvent } from "../runtime/run-state.ts";
import { localDefinition, zeroWaitOverrides } from "./asl-walk.ts";
import { dynamoHandler, dynamoStates, type SlotTable } from "./dynamodb-binding.ts";
import type { WaitMode } from "./resume.ts";

/**
 * What the cloud's "Step Functions Execution Status Change" rule does for a limited job, in dev: after every end of a
 * run (succeeded, failed, cancelled, or finished by a restart), the same release machine the stack deploys runs on
 * dev's table. It is a no-op when the run's own `ReleaseSlot` state gave the slot back (conditional writes), so a slot
 * is released exactly once whichever path ends the run.
 */

/** The execution ARN a dev run has as `$$.Execution.Id` (the name of its counter item's attribute). */
export function localExecutionArn(jobId: string, runId: string): string {
  return `arn:aws:states:local:000000000000:execution:${jobId}:${runId}`;
}

const machines = new Map<string, StateMachine>();

/** The release machine of `plan`, validated once per distinct limit. */
function releaseMachine(plan: ConcurrencyPlan): StateMachine {
  const key = JSON.stringify(plan);
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(localDefinition(renderSlotReleaseMachine(plan)) as unknown as StateMachineDefinition);
    machines.set(key, machine);
  }
  return machine;
}

/** Runs the release machine for one ended run, as the status-change rule would start it (`detail.input` = the run's input). */
export async function releaseSlot(options: {
  readonly plan: ConcurrencyPlan;
  readonly jobId: string;
  readonly runId: string;
  readonly event: RunEvent;
  readonly dynamo: SlotTable;
  readonly waits: WaitMode;
}): Promise<void> {
  const definition = localDefinition(renderSlotReleaseMachine(options.plan));
  const handlers = Object.fromEntries(dynamoStates(definition).map(([name, action]) => [name, dynamoHandler(options.dynamo, action)]));
  const detail = {
    executionArn: localExecutionArn(options.jobId, options.runId),
    input: JSON.stringify({ runId: options.runId, event: options.event }),
  };
  await releaseMachine(options.plan).run(
    { detail },
    {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(options.waits === "zero" ? zeroWaitOverrides(definition) : {}),
      },
    },
  ).result;
}
