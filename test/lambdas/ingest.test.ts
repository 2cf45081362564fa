import { ExecutionAlreadyExists, type StartExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { createIngestHandler, stepFunctionsStarter } from "../../lambdas/ingest.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { runIdFor } from "../../lib/ingest/run-id.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import { ROOT } from "../helpers/load-job.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

const db = useDynalite();
const plans = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.map((j) => j.plan);
const ARNS = {
  "my-first-workflow": "arn:aws:states:us-east-1:123456789012:stateMachine:tutorial",
  "priority-workflow": "arn:aws:states:us-east-1:123456789012:stateMachine:priority",
};

/**
 * Records StartExecution calls and answers as Step Functions does: a name already used on a state machine
 * is ExecutionAlreadyExists. `failWith` makes every call fail (e.g. throttling).
 */
function recordingSfn(failWith?: Error) {
  const calls: { stateMachineArn?: string; name?: string; input: unknown }[] = [];
  const seen = new Set<string>();
  return {
    calls,
    async send(command: StartExecutionCommand) {
      if (failWith) throw failWith;
      const { stateMachineArn, name, input } = command.input;
      calls.push({ stateMachineArn, name, input: JSON.parse(input ?? "null") });
      if (seen.has(`${stateMachineArn}/${name}`))
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
      seen.add(`${stateMachineArn}/${name}`);
      return { executionArn: `${stateMachineArn}:${name}` };
    },
  };
}

async function handlerWith(sfn: ReturnType<typeof recordingSfn>) {
  const events = new DynamoEventStore({ client: db.client(), tableName: await db.freshTable() });
  return {
    events,
    handler: createIngestHandler({ jobs: plans, validators: compileValidators(plans), events, starter: stepFunctionsStarter(sfn, ARNS) }),
  };
}

/** An EventBridge event as the rule delivers it, with the stepjobs detail envelope. */
const busEvent = (id: string, payload: unknown) => ({
  version: "0",
  id: "eb-1",
  "detail-type": "my.event",
  source: "stepjobs",
  account: "123456789012",
  time: "2026-11-25T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: { id, timestamp: "2026-11-25T10:00:00.000Z", payload },
});

describe("ingest handler (dynalite + a recording Step Functions client)", () => {
  it("a valid event starts one execution named after the run id, with the event as input", async () => {
    const sfn = recordingSfn();
    const { handler } = await handlerWith(sfn);
    const result = await handler(busEvent("evt-1", { message: "Hello via curl!", shouldFail: true }));
    expect(result).toEqual({
      eventId: "evt-1",
      status: "ACCEPTED",
      runs: [{ id: runIdFor("my-first-workflow", "evt-1"), jobId: "my-first-workflow" }],
      duplicate: false,
      errors: [],
    });
    expect(sfn.calls).toEqual([
      {
        stateMachineArn: ARNS["my-first-workflow"],
        name: "my-first-workflow--evt-1",
        input: {
          runId: "my-first-workflow--evt-1",
          event: {
            id: "evt-1",
            name: "my.event",
            timestamp: "2026-11-25T10:00:00.000Z",
            payload: { message: "Hello via curl!", shouldFail: true },
          },
        },
      },
    ]);
  });

  it("the same event twice is one run: the second start answers ExecutionAlreadyExists, which is success", async () => {
    const sfn = recordingSfn();
    const { handler } = await handlerWith(sfn);
    await handler(busEvent("evt-2", { message: "m", shouldFail: false }));
    const again = await handler(busEvent("evt-2", { message: "m", shouldFail: false }));
    expect(again.duplicate).toBe(true);
    expect(new Set(sfn.calls.map((c) => c.name))).toEqual(new Set(["my-first-workflow--evt-2"]));
  });

  it("an invalid payload is recorded as REJECTED with JSON pointers and starts nothing", async () => {
    const sfn = recordingSfn();
    const { handler, events } = await handlerWith(sfn);
    const result = await handler(busEvent("evt-3", { message: 1, extra: true }));
    expect(result.status).toBe("REJECTED");
    expect((await events.getEvent("evt-3"))?.errors.map((e) => [e.jobId, e.path])).toEqual([
      ["my-first-workflow", "/shouldFail"],
      ["my-first-workflow", "/extra"],
      ["my-first-workflow", "/message"],
    ]);
    expect(sfn.calls).toEqual([]);
  });

  it("a throttled StartExecution makes the handler throw, so EventBridge retries and then dead-letters", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const { handler } = await handlerWith(recordingSfn(throttled));
    await expect(handler(busEvent("evt-4", { message: "m", shouldFail: false }))).rejects.toThrow("Rate exceeded");
  });
});
