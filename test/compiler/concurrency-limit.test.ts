import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import { checkAslRanges } from "../../lib/compiler/check-asl.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { renderSlotReleaseMachine, withConcurrencySlot } from "../../lib/compiler/concurrency-limit.ts";
import { discoverJobs } from "../../lib/compiler/discover-jobs.ts";
import { type AslDefinition, substitute } from "../../lib/compiler/render-state-machine.ts";
import { ROOT } from "../helpers/load-job.ts";

const THROTTLE = {
  ErrorEquals: ["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException", "DynamoDB.RequestLimitExceeded"],
  IntervalSeconds: 1,
  MaxAttempts: 10,
  BackoffRate: 2,
  MaxDelaySeconds: 20,
  JitterStrategy: "FULL",
};
const KEY = { pk: { S: "LIMIT#my-first-workflow" }, sk: { S: "KEY" } };
const RUN = { "#run.$": "$$.Execution.Id" };
const CONDITION_FAILED = (next: string) => [{ ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], ResultPath: null, Next: next }];
const QUEUE = (at: string) => ({
  "serving.$": `States.StringToJson(${at}.serving.N)`,
  "open.$": `States.MathAdd(States.StringToJson(${at}.released.N), 2)`,
  "far.$": `States.MathAdd(States.StringToJson(${at}.released.N), 12)`,
});
const release = (terminal: string) => ({
  Type: "Task",
  Comment: `Gives the run's slot back before ${terminal}`,
  Resource: "arn:${Partition}:states:::dynamodb:updateItem",
  Parameters: {
    TableName: "${TableName}",
    Key: KEY,
    ExpressionAttributeNames: RUN,
    UpdateExpression: "REMOVE #run ADD released :one",
    ConditionExpression: "attribute_exists(#run) AND #run < serving",
    ExpressionAttributeValues: { ":one": { N: "1" } },
  },
  ResultPath: null,
  Retry: [THROTTLE],
  Catch: CONDITION_FAILED(terminal),
  Next: terminal,
});

function tutorial(): AslDefinition {
  const project = compileProject({ root: ROOT, jobsDir: "src/jobs" });
  return project.jobs.find((j) => j.plan.id === "my-first-workflow")!.definition;
}

describe("withConcurrencySlot", () => {
  it("puts the acquire sequence first and a release before each end of the tutorial machine, exactly", () => {
    const asl = tutorial();
    const { Plan, Route, RunFailed, Succeeded, DynamicTask, DynamicRetry, DynamicWait } = asl.States;
    const tasks = { "process-incoming-data": asl.States["process-incoming-data"], "send-confirmation": asl.States["send-confirmation"] };
    const choices = (Route!.Choices as { Next: string }[]).map((c) =>
      c.Next === "Succeeded"
        ? { ...c, Next: "ReleaseSlot (Succeeded)" }
        : c.Next === "RunFailed"
          ? { ...c, Next: "ReleaseSlot (RunFailed)" }
          : c,
    );
    expect(withConcurrencySlot(asl, { id: "my-first-workflow", limit: 2 }, { runEnding: ["RunFailed"] })).toEqual({
      Comment: asl.Comment,
      StartAt: "AcquireSlot",
      States: {
        AcquireSlot: {
          Type: "Task",
          Comment: 'concurrencyLimit 2 ("my-first-workflow"): takes the run\'s ticket, in arrival order',
          Resource: "arn:${Partition}:states:::dynamodb:updateItem",
          Parameters: {
            TableName: "${TableName}",
            Key: KEY,
            ExpressionAttributeNames: RUN,
            UpdateExpression:
              "SET nextTicket = if_not_exists(nextTicket, :zero) + :one, #run = if_not_exists(nextTicket, :zero) + :one, " +
              "serving = if_not_exists(serving, :one), released = if_not_exists(released, :zero)",
            ConditionExpression: "attribute_not_exists(#run)",
            ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": { N: "1" } },
            ReturnValues: "UPDATED_NEW",
          },
          ResultSelector: { "ticket.$": "States.StringToJson($.Attributes.nextTicket.N)", now: QUEUE("$.Attributes") },
          ResultPath: "$.slot",
          Retry: [THROTTLE],
          Catch: CONDITION_FAILED("FindSlotTicket"),
          Next: "CheckSlot",
        },
        FindSlotTicket: {
          Type: "Task",
          Comment: "The run already has a ticket (resumed, or its first write was retried): read it back",
          Resource: "arn:${Partition}:states:::dynamodb:getItem",
          Parameters: {
            TableName: "${TableName}",
            Key: KEY,
            ExpressionAttributeNames: RUN,
            ProjectionExpression: "#run",
            ConsistentRead: true,
          },
          ResultSelector: { "tickets.$": "$.Item.*.N" },
          ResultPath: "$.slot",
          Retry: [THROTTLE],
          Next: "SlotTicket",
        },
        SlotTicket: {
          Type: "Pass",
          Parameters: { "ticket.$": "States.StringToJson(States.ArrayGetItem($.slot.tickets, 0))" },
          ResultPath: "$.slot",
          Next: "PollSlot",
        },
        CheckSlot: {
          Type: "Choice",
          Comment: "Started already (a resumed run), its turn with a slot free, or wait",
          Choices: [
            { Variable: "$.slot.ticket", NumericLessThanPath: "$.slot.now.serving", Next: "SlotTaken" },
            {
              And: [
                { Variable: "$.slot.ticket", NumericEqualsPath: "$.slot.now.serving" },
                { Variable: "$.slot.ticket", NumericLessThanEqualsPath: "$.slot.now.open" },
              ],
              Next: "TakeSlot",
            },
            { Variable: "$.slot.ticket", NumericGreaterThanPath: "$.slot.now.far", Next: "WaitLongerForSlot" },
          ],
          Default: "WaitForSlot",
        },
        WaitForSlot: { Type: "Wait", Comment: "Waiting for a slot: no Lambda runs", Seconds: 1, Next: "PollSlot" },
        WaitLongerForSlot: { Type: "Wait", Comment: "Waiting more than 10 tickets back: polls less often", Seconds: 5, Next: "PollSlot" },
        PollSlot: {
          Type: "Task",
          Comment: "Reads which ticket is served and how many slots were released",
          Resource: "arn:${Partition}:states:::dynamodb:getItem",
          Parameters: { TableName: "${TableName}", Key: KEY, ProjectionExpression: "serving, released", ConsistentRead: true },
          ResultSelector: QUEUE("$.Item"),
          ResultPath: "$.slot.now",
          Retry: [THROTTLE],
          Next: "CheckSlot",
        },
        TakeSlot: {
          Type: "Task",
          Comment: "Starts the run: serves the next ticket, if this run's ticket is served and a slot is still free",
          Resource: "arn:${Partition}:states:::dynamodb:updateItem",
          Parameters: {
            TableName: "${TableName}",
            Key: KEY,
            ExpressionAttributeNames: RUN,
            UpdateExpression: "SET serving = serving + :one",
            ConditionExpression: "#run = serving AND released >= :floor",
            ExpressionAttributeValues: {
              ":one": { N: "1" },
              ":floor": { "N.$": "States.JsonToString(States.MathAdd($.slot.ticket, -2))" },
            },
          },
          ResultPath: null,
          Retry: [THROTTLE],
          Catch: CONDITION_FAILED("PollSlot"),
          Next: "SlotTaken",
        },
        ReacquireSlot: {
          Type: "Pass",
          Comment: "A redriven run continues: it released its slot when it failed, so it queues again",
          Result: "Route",
          ResultPath: "$.slotThen",
          Next: "AcquireSlot",
        },
        SlotTaken: {
          Type: "Choice",
          Choices: [
            {
              And: [
                { Variable: "$.slotThen", IsPresent: true },
                { Variable: "$.slotThen", StringEquals: "Route" },
              ],
              Next: "Route",
            },
          ],
          Default: "Plan",
        },
        Plan,
        Route: { ...Route, Choices: choices },
        ...tasks,
        DynamicTask,
        DynamicRetry,
        DynamicWait,
        Succeeded,
        RunFailed: { ...RunFailed, Next: "ReacquireSlot" },
        "ReleaseSlot (Succeeded)": release("Succeeded"),
        "ReleaseSlot (RunFailed)": release("RunFailed"),
      },
    });
  });

  it("leaves a Map item's Succeed alone and releases before a top-level Fail", () => {
    const asl: AslDefinition = {
      Comment: "c",
      StartAt: "Batch",
      States: {
        Batch: {
          Type: "Map",
          ItemProcessor: { StartAt: "Item done", States: { "Item done": { Type: "Succeed" } } },
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "Broken" }],
          Next: "Done",
        },
        Done: { Type: "Succeed" },
        Broken: { Type: "Fail", Error: "Broken" },
      },
    };
    const limited = withConcurrencySlot(asl, { id: "x", limit: 1 });
    expect(limited.States.Batch).toEqual({
      ...asl.States.Batch,
      Catch: [{ ErrorEquals: ["States.ALL"], Next: "ReleaseSlot (Broken)" }],
      Next: "ReleaseSlot (Done)",
    });
    expect(Object.keys(limited.States).filter((n) => n.startsWith("ReleaseSlot"))).toEqual(["ReleaseSlot (Done)", "ReleaseSlot (Broken)"]);
    expect(limited.States.SlotTaken).toBeUndefined();
    expect(limited.States.TakeSlot?.Next).toBe("Batch");
  });

  it("keys the counter item by the payload field", () => {
    const project = compileProject({ root: ROOT, jobsDir: "test/fixtures/limits" });
    const keyed = project.jobs.find((j) => j.plan.id === "keyed")!.definition;
    expect((keyed.States.AcquireSlot?.Parameters as { Key: unknown }).Key).toEqual({
      pk: { S: "LIMIT#keyed" },
      sk: { "S.$": "States.Format('KEY#{}', $.event.payload.tenantId)" },
    });
  });

  it("every limited machine and its release machine pass asl-validator and the range checks", () => {
    const project = compileProject({ root: ROOT, jobsDir: "test/fixtures/limits" });
    expect(project.errors).toEqual([]);
    const machines = project.jobs.flatMap((j) => [
      [j.plan.id, j.definition],
      [`${j.plan.id} release`, renderSlotReleaseMachine(j.plan.concurrency!)],
    ]) as [string, AslDefinition][];
    expect(machines.map(([id]) => id).sort()).toEqual([
      "digest-email",
      "digest-email release",
      "keyed",
      "keyed release",
      "limited",
      "limited release",
      "welcome-email",
      "welcome-email release",
    ]);
    for (const [id, definition] of machines) {
      const bound = substitute(definition, {
        RunnerFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:r",
        TableName: "t",
        Partition: "aws",
      });
      expect({ id, errors: aslValidator(bound).errors }).toEqual({ id, errors: [] });
      expect({ id, problems: checkAslRanges(definition) }).toEqual({ id, problems: [] });
    }
  });
});

describe("reading concurrencyLimit", () => {
  const job = (limit: string, schema = `{ type: "object", properties: { t: { type: "string" } }, required: ["t"] }`, extra = "") => ({
    path: "src/jobs/j.ts",
    text:
      `import { client } from "../trigger";\n${extra}client.defineJob({ id: "j", name: "J", version: "1", concurrencyLimit: ${limit},\n` +
      `  trigger: client.on("e", { schema: ${schema} }), run: async (p, io) => io.runTask("a", async () => 1) });\n`,
  });
  const read = (source: { path: string; text: string }) => {
    const found = discoverJobs([source]);
    return found.errors.length > 0 ? found.errors.map((e) => e.message) : found.plans[0]!.concurrency;
  };

  it.each([
    ["2", { id: "j", limit: 2 }],
    [`{ limit: 3, key: "payload.t" }`, { id: "j", limit: 3, key: "t" }],
    [`{ id: "shared", limit: 4 }`, { id: "shared", limit: 4 }],
  ])("reads %s", (limit, plan) => {
    expect(read(job(limit))).toEqual(plan);
  });

  it("reads a const made by defineConcurrencyLimit", () => {
    expect(read(job("provider", undefined, `const provider = client.defineConcurrencyLimit({ id: "provider", limit: 5 });\n`))).toEqual({
      id: "provider",
      limit: 5,
    });
  });

  it.each([
    ["0", 'src/jobs/j.ts:2:72: job "j" concurrencyLimit must be a whole number from 1 to 10000, got 0'],
    ["1.5", 'src/jobs/j.ts:2:72: job "j" concurrencyLimit must be a whole number from 1 to 10000, got 1.5'],
    [
      `{ limit: 2, key: "tenant" }`,
      `src/jobs/j.ts:2:72: job "j" concurrencyLimit.key must be "payload." and a dotted path of field names, got "tenant"`,
    ],
    [
      `{ limit: 2, key: "payload.x" }`,
      `src/jobs/j.ts:2:72: job "j" concurrencyLimit.key "payload.x": the trigger's schema must list "x" in required`,
    ],
    [
      "Math.max(1, 2)",
      'src/jobs/j.ts:2:72: job "j" concurrencyLimit must be a number, { limit, key: "payload.<field>" } or a const from client.defineConcurrencyLimit',
    ],
  ])("rejects %s", (limit, message) => {
    expect(read(job(limit))).toEqual([message]);
  });

  it("rejects a limit on an Express workflow", () => {
    const source = job("2");
    expect(read({ ...source, text: source.text.replace('version: "1",', 'version: "1", mode: "express",') })).toEqual([
      'src/jobs/j.ts:2:89: job "j" concurrencyLimit needs a Standard workflow (Express executions report no end to release a slot on)',
    ]);
  });
});
