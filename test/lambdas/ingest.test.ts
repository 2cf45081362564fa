import { ExecutionAlreadyExists, type StartExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import type { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { createIngestHandler, deadLetterTo, stepFunctionsStarter } from "../../lambdas/ingest.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { runIdFor } from "../../lib/ingest/run-id.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import { ROOT } from "../helpers/load-job.ts";
import { useDynalite } from "../store/dynalite-fixture.ts";

const db = useDynalite();
const plans = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.map((j) => j.plan);
const PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:StepJobs_";
const arnOf = (jobId: string) => `${PREFIX}${jobId}:live`;
const MAX_RECEIVES = 3;

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

/** Records what ingest dead-letters (the SQS SendMessage it makes), as the queue would hold it. */
function recordingSqs() {
  const sent: { body: string; attributes: Record<string, string | undefined> }[] = [];
  return {
    sent,
    async send(command: SendMessageCommand) {
      const { MessageBody, MessageAttributes } = command.input;
      sent.push({
        body: MessageBody ?? "",
        attributes: Object.fromEntries(Object.entries(MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
      });
      return { MessageId: `m-${sent.length}` };
    },
  };
}

async function handlerWith(sfn: ReturnType<typeof recordingSfn>) {
  const events = new DynamoEventStore({ client: db.client(), tableName: await db.freshTable() });
  const sqs = recordingSqs();
  const handler = createIngestHandler({
    jobs: plans,
    validators: compileValidators(plans),
    events,
    starter: stepFunctionsStarter(sfn, arnOf),
    deadLetter: deadLetterTo(sqs, "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"),
    maxReceiveCount: MAX_RECEIVES,
  });
  return { events, sqs, handler };
}

/** The SQS event the event source mapping passes: each record's body is the EventBridge event, as the rule sent it. */
const sqsEvent = (bodies: readonly unknown[], receiveCount = 1): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `msg-${i}`,
    receiptHandle: `rh-${i}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: "0",
      SenderId: "events.amazonaws.com",
      ApproximateFirstReceiveTimestamp: "0",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:ingest",
    awsRegion: "us-east-1",
  })),
});

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

describe("ingest handler (SQS batches; dynalite + recording Step Functions and SQS clients)", () => {
  it("a valid event starts one execution on the job's live alias, named after the run id, with the event as input", async () => {
    const sfn = recordingSfn();
    const { handler, events } = await handlerWith(sfn);
    const result = await handler(sqsEvent([busEvent("evt-1", { message: "Hello via curl!", shouldFail: true })]));
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await events.getEvent("evt-1"))?.runs).toEqual([{ id: runIdFor("my-first-workflow", "evt-1"), jobId: "my-first-workflow" }]);
    expect(sfn.calls).toEqual([
      {
        stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:StepJobs_my-first-workflow:live",
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
    const twice = sqsEvent([
      busEvent("evt-2", { message: "m", shouldFail: false }),
      busEvent("evt-2", { message: "m", shouldFail: false }),
    ]);
    expect(await handler(twice)).toEqual({ batchItemFailures: [] });
    expect(await handler(sqsEvent([busEvent("evt-2", { message: "m", shouldFail: false })]))).toEqual({ batchItemFailures: [] });
    expect(new Set(sfn.calls.map((c) => c.name))).toEqual(new Set(["my-first-workflow--evt-2"]));
  });

  it("an invalid payload is recorded as REJECTED with JSON pointers and starts nothing", async () => {
    const sfn = recordingSfn();
    const { handler, events } = await handlerWith(sfn);
    expect(await handler(sqsEvent([busEvent("evt-3", { message: 1, extra: true })]))).toEqual({ batchItemFailures: [] });
    expect((await events.getEvent("evt-3"))?.status).toBe("REJECTED");
    expect((await events.getEvent("evt-3"))?.errors.map((e) => [e.jobId, e.path])).toEqual([
      ["my-first-workflow", "/shouldFail"],
      ["my-first-workflow", "/extra"],
      ["my-first-workflow", "/message"],
    ]);
    expect(sfn.calls).toEqual([]);
  });

  it("a throttled StartExecution reports only that record as failed (the queue retries it); the others go on", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const { handler, sqs, events } = await handlerWith(recordingSfn(throttled));
    const rejected = busEvent("evt-5", { message: 1 });
    expect(await handler(sqsEvent([busEvent("evt-4", { message: "m", shouldFail: false }), rejected]))).toEqual({
      batchItemFailures: [{ itemIdentifier: "msg-0" }],
    });
    expect((await events.getEvent("evt-5"))?.status).toBe("REJECTED");
    expect(sqs.sent).toEqual([]);
  });

  it("on its last receive a failing event goes to the dead-letter queue with its error, and counts as handled", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const { handler, sqs } = await handlerWith(recordingSfn(throttled));
    const event = busEvent("evt-6", { message: "m", shouldFail: false });
    expect(await handler(sqsEvent([event], MAX_RECEIVES))).toEqual({ batchItemFailures: [] });
    expect(sqs.sent).toEqual([
      {
        body: JSON.stringify(event),
        attributes: {
          ERROR_CODE: "ThrottlingException",
          ERROR_MESSAGE: "Rate exceeded",
          SOURCE: "ingest",
          RECEIVE_COUNT: String(MAX_RECEIVES),
        },
      },
    ]);
  });

  it("an event retrying cannot fix (no name, not JSON) is dead-lettered at once, whatever its receive count", async () => {
    const sfn = recordingSfn();
    const { handler, sqs } = await handlerWith(sfn);
    const nameless = { ...busEvent("evt-7", {}), "detail-type": "" };
    expect(await handler(sqsEvent([nameless, "{not json"]))).toEqual({ batchItemFailures: [] });
    // Records are ingested concurrently: compare them in a fixed order.
    expect(sqs.sent.map((m) => [m.attributes.ERROR_CODE, m.attributes.ERROR_MESSAGE]).sort()).toEqual([
      ["INVALID_EVENT", "event name must be a non-empty string"],
      ["SyntaxError", expect.stringContaining("JSON")],
    ]);
    expect(sfn.calls).toEqual([]);
  });

  it("when the dead-letter queue refuses too, the record stays in the queue (reported failed): nothing is lost", async () => {
    const { events } = await handlerWith(recordingSfn());
    const handler = createIngestHandler({
      jobs: plans,
      validators: compileValidators(plans),
      events,
      starter: stepFunctionsStarter(recordingSfn(), arnOf),
      deadLetter: async () => {
        throw new Error("AccessDenied");
      },
      maxReceiveCount: MAX_RECEIVES,
    });
    expect(await handler(sqsEvent(["{not json"]))).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-0" }] });
  });
});
