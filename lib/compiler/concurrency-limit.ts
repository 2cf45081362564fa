import type { AslRetrier } from "./compile-retry.ts";
import { type AslDefinition, type AslState, PARTITION_VARIABLE } from "./render-state-machine.ts";

export { SLOT_STATE_NAMES } from "./state-names.ts";

/**
 * `concurrencyLimit` as native states: a FIFO ticket semaphore in the stack's DynamoDB table, driven by the
 * optimized DynamoDB integration (no Lambda; https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html).
 * One counter item per limit (and per key value): `nextTicket` (tickets handed out), `serving` (the next ticket
 * allowed to start), `released` (slots given back), and one attribute per run holding or waiting, named by its
 * execution ARN, whose value is the run's ticket. A run with ticket t starts when t = serving and
 * t <= limit + released, so holders = (serving - 1) - released <= limit and runs start in arrival order.
 * Every write is one conditional `UpdateItem` on that one item (atomic; no transactions, which dynalite lacks):
 * a run releases at most once (`attribute_exists` of its attribute), and a run that ended while still waiting
 * (aborted, timed out) is passed over by {@link renderSlotReleaseMachine} when its turn comes, so it neither leaks
 * a slot nor lets the runs behind it start early.
 *
 * This is a pure transform over a rendered machine, so it applies to whatever shape the renderer gives.
 */

/** A job's limit as synth reads it. */
export interface ConcurrencyPlan {
  /** The limit's id: the job id for `concurrencyLimit: 2`, the shared limit's id for `defineConcurrencyLimit`. */
  readonly id: string;
  /** At most this many runs hold a slot at once (per key value). */
  readonly limit: number;
  /** A path into the payload (`payload.tenantId` is written as `tenantId`): one limit per value. */
  readonly key?: string;
}

/** Substitution variable for the stack's table name (CDK binds it; dev binds its own table). */
export const TABLE_VARIABLE = "TableName";

/** The optimized DynamoDB integration's resource for `action` (`getItem`, `updateItem`). */
export function dynamoResource(action: "getItem" | "updateItem"): string {
  return `arn:\${${PARTITION_VARIABLE}}:states:::dynamodb:${action}`;
}

/** The error a failed condition raises in the optimized integration (prefix `DynamoDB.`, upper-case DB). */
export const CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException";

/** Throttling never applied the write, so retrying it cannot take a second ticket. */
export const DYNAMO_THROTTLE_RETRIER: AslRetrier = {
  ErrorEquals: ["DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException", "DynamoDB.RequestLimitExceeded"],
  IntervalSeconds: 1,
  MaxAttempts: 10,
  BackoffRate: 2,
  MaxDelaySeconds: 20,
  JitterStrategy: "FULL",
};

/** A waiting run this many tickets behind the first one allowed polls every {@link FAR_WAIT_SECONDS}. */
export const FAR_TICKETS = 10;
/** Seconds between polls near the head of the queue (transitions are billed, not seconds). */
export const NEAR_WAIT_SECONDS = 1;
/** Seconds between polls far back in the queue. */
export const FAR_WAIT_SECONDS = 5;
/** Seconds between the release machine's checks of a waiting run's turn. */
export const PASS_OVER_WAIT_SECONDS = 5;

/** The state that releases the slot before `terminal`. */
export function releaseStateName(terminal: string): string {
  return `ReleaseSlot (${terminal})`;
}

/** The DynamoDB key of the counter item; `input` is the JSONPath of the run's input (`$` in the job's machine). */
export function slotKey(plan: ConcurrencyPlan, input = "$"): Record<string, unknown> {
  return {
    pk: { S: `LIMIT#${plan.id}` },
    sk: plan.key ? { "S.$": `States.Format('KEY#{}', ${input}.event.payload.${plan.key})` } : { S: "KEY" },
  };
}

/** Parameters every slot write shares: the table, the counter item and the run's attribute name. */
function slotParameters(plan: ConcurrencyPlan, run: string, input = "$"): Record<string, unknown> {
  return { TableName: `\${${TABLE_VARIABLE}}`, Key: slotKey(plan, input), ExpressionAttributeNames: { "#run.$": run } };
}

/** Where the queue stands, from the counter item's `serving` and `released` (DynamoDB numbers are strings). */
function queueSelector(attributes: string, limit: number): Record<string, string> {
  const released = `States.StringToJson(${attributes}.released.N)`;
  return {
    "serving.$": `States.StringToJson(${attributes}.serving.N)`,
    "open.$": `States.MathAdd(${released}, ${limit})`,
    "far.$": `States.MathAdd(${released}, ${limit + FAR_TICKETS})`,
  };
}

const ONE = { N: "1" };

/**
 * The acquire sequence: take a ticket (`AcquireSlot`; a run that has one already, after a restart or a retried
 * write, reads it back), poll until it is the ticket served and a slot is free, then take the slot (`TakeSlot`).
 */
export function renderAcquireStates(plan: ConcurrencyPlan, enter: string): Record<string, AslState> {
  return { ...renderTicketStates(plan), ...renderQueueStates(plan, enter) };
}

const RUN_ATTRIBUTE = "$$.Execution.Id";

/** A `Catch` of a failed condition to `next`, keeping the state's input. */
function catchCondition(next: string): Record<string, unknown>[] {
  return [{ ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: next }];
}

/** `AcquireSlot` takes a ticket; `FindSlotTicket` and `SlotTicket` read back the ticket a run already has. */
function renderTicketStates(plan: ConcurrencyPlan): Record<string, AslState> {
  const run = RUN_ATTRIBUTE;
  return {
    AcquireSlot: {
      Type: "Task",
      Comment: `concurrencyLimit ${plan.limit}${plan.key ? ` per ${plan.key}` : ""} ("${plan.id}"): takes the run's ticket, in arrival order`,
      Resource: dynamoResource("updateItem"),
      Parameters: {
        ...slotParameters(plan, run),
        UpdateExpression:
          "SET nextTicket = if_not_exists(nextTicket, :zero) + :one, #run = if_not_exists(nextTicket, :zero) + :one, " +
          "serving = if_not_exists(serving, :one), released = if_not_exists(released, :zero)",
        ConditionExpression: "attribute_not_exists(#run)",
        ExpressionAttributeValues: { ":zero": { N: "0" }, ":one": ONE },
        ReturnValues: "UPDATED_NEW",
      },
      ResultSelector: { "ticket.$": "States.StringToJson($.Attributes.nextTicket.N)", now: queueSelector("$.Attributes", plan.limit) },
      ResultPath: "$.slot",
      Retry: [DYNAMO_THROTTLE_RETRIER],
      Catch: catchCondition("FindSlotTicket"),
      Next: "CheckSlot",
    },
    FindSlotTicket: {
      Type: "Task",
      Comment: "The run already has a ticket (resumed, or its first write was retried): read it back",
      Resource: dynamoResource("getItem"),
      Parameters: { ...slotParameters(plan, run), ProjectionExpression: "#run", ConsistentRead: true },
      // The projection holds the run's attribute alone, whose name is the execution ARN: a wildcard reads it.
      ResultSelector: { "tickets.$": "$.Item.*.N" },
      ResultPath: "$.slot",
      Retry: [DYNAMO_THROTTLE_RETRIER],
      Next: "SlotTicket",
    },
    SlotTicket: {
      Type: "Pass",
      Parameters: { "ticket.$": "States.StringToJson(States.ArrayGetItem($.slot.tickets, 0))" },
      ResultPath: "$.slot",
      Next: "PollSlot",
    },
  };
}

/** Waits for the run's turn and a free slot (`CheckSlot`, the waits, `PollSlot`), then takes it (`TakeSlot`). */
function renderQueueStates(plan: ConcurrencyPlan, enter: string): Record<string, AslState> {
  return {
    CheckSlot: {
      Type: "Choice",
      Comment: "Started already (a resumed run), its turn with a slot free, or wait",
      Choices: [
        { Variable: "$.slot.ticket", NumericLessThanPath: "$.slot.now.serving", Next: enter },
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
    WaitForSlot: { Type: "Wait", Comment: "Waiting for a slot: no Lambda runs", Seconds: NEAR_WAIT_SECONDS, Next: "PollSlot" },
    WaitLongerForSlot: {
      Type: "Wait",
      Comment: `Waiting more than ${FAR_TICKETS} tickets back: polls less often`,
      Seconds: FAR_WAIT_SECONDS,
      Next: "PollSlot",
    },
    PollSlot: {
      Type: "Task",
      Comment: "Reads which ticket is served and how many slots were released",
      Resource: dynamoResource("getItem"),
      Parameters: {
        TableName: `\${${TABLE_VARIABLE}}`,
        Key: slotKey(plan),
        ProjectionExpression: "serving, released",
        ConsistentRead: true,
      },
      ResultSelector: queueSelector("$.Item", plan.limit),
      ResultPath: "$.slot.now",
      Retry: [DYNAMO_THROTTLE_RETRIER],
      Next: "CheckSlot",
    },
    TakeSlot: {
      Type: "Task",
      Comment: "Starts the run: serves the next ticket, if this run's ticket is served and a slot is still free",
      Resource: dynamoResource("updateItem"),
      Parameters: {
        ...slotParameters(plan, RUN_ATTRIBUTE),
        UpdateExpression: "SET serving = serving + :one",
        ConditionExpression: "#run = serving AND released >= :floor",
        ExpressionAttributeValues: {
          ":one": ONE,
          ":floor": { "N.$": `States.JsonToString(States.MathAdd($.slot.ticket, -${plan.limit}))` },
        },
      },
      ResultPath: null,
      Retry: [DYNAMO_THROTTLE_RETRIER],
      Catch: catchCondition("PollSlot"),
      Next: enter,
    },
  };
}

/** The release before `terminal`: gives the slot back once (a second release finds no attribute and goes on). */
export function renderReleaseState(plan: ConcurrencyPlan, terminal: string, run = RUN_ATTRIBUTE, input = "$"): AslState {
  return {
    Type: "Task",
    Comment: `Gives the run's slot back before ${terminal}`,
    Resource: dynamoResource("updateItem"),
    Parameters: {
      ...slotParameters(plan, run, input),
      UpdateExpression: "REMOVE #run ADD released :one",
      ConditionExpression: "attribute_exists(#run) AND #run < serving",
      ExpressionAttributeValues: { ":one": ONE },
    },
    ResultPath: null,
    Retry: [DYNAMO_THROTTLE_RETRIER],
    Catch: catchCondition(terminal),
    Next: terminal,
  };
}

/** Options of {@link withConcurrencySlot}. */
export interface SlotOptions {
  /**
   * States that end the run besides `Succeed`/`Fail` (a runner state that fails the execution, like `RunFailed`):
   * a release goes before each, and where one continues (after a redrive) the run takes a new ticket first.
   */
  readonly runEnding?: readonly string[];
}

/**
 * The machine with a concurrency slot: `AcquireSlot` becomes `StartAt` (then the old `StartAt`), and every
 * transition into a terminal state passes a release state first. Only top-level states are terminals (a `Map`
 * item's `Succeed` ends the item, not the run).
 */
export function withConcurrencySlot(asl: AslDefinition, plan: ConcurrencyPlan, options: SlotOptions = {}): AslDefinition {
  const runEnding = (options.runEnding ?? []).filter((name) => asl.States[name]);
  const terminals = Object.entries(asl.States)
    .filter(([name, s]) => s.Type === "Succeed" || s.Type === "Fail" || runEnding.includes(name))
    .map(([name]) => name);
  const redirect = new Map(terminals.map((t) => [t, releaseStateName(t)]));
  const reentries = runEnding.flatMap((name) => {
    const next = asl.States[name]?.Next;
    return typeof next === "string" ? [next] : [];
  });
  const enter = reentries.length > 0 ? "SlotTaken" : asl.StartAt;
  const states = Object.fromEntries(
    Object.entries(asl.States).map(([name, state]) => [
      name,
      runEnding.includes(name) && state.Next ? { ...state, Next: "ReacquireSlot" } : redirectTransitions(state, redirect),
    ]),
  );
  return {
    ...asl,
    StartAt: "AcquireSlot",
    States: {
      ...renderAcquireStates(plan, enter),
      ...(reentries.length > 0 ? renderReentryStates(asl.StartAt, reentries) : {}),
      ...states,
      ...Object.fromEntries(terminals.map((t) => [releaseStateName(t), renderReleaseState(plan, t)])),
    },
  };
}

/**
 * A run-ending state that continues after a redrive released its slot first: it takes a new ticket
 * (`ReacquireSlot` notes where to go on), and `SlotTaken` sends it there instead of to the start.
 */
function renderReentryStates(start: string, reentries: readonly string[]): Record<string, AslState> {
  const [target] = reentries;
  return {
    ReacquireSlot: {
      Type: "Pass",
      Comment: "A redriven run continues: it released its slot when it failed, so it queues again",
      Result: target,
      ResultPath: "$.slotThen",
      Next: "AcquireSlot",
    },
    SlotTaken: {
      Type: "Choice",
      // A Choice rule on an absent field fails the execution (States.Runtime): test presence first.
      Choices: [
        {
          And: [
            { Variable: "$.slotThen", IsPresent: true },
            { Variable: "$.slotThen", StringEquals: target },
          ],
          Next: target,
        },
      ],
      Default: start,
    },
  };
}

/** A state with every transition (`Next`, `Default`, `Choices`, `Catch`) to a key of `redirect` sent to its value. */
function redirectTransitions(state: AslState, redirect: ReadonlyMap<string, string>): AslState {
  const to = (name: unknown) => (typeof name === "string" ? (redirect.get(name) ?? name) : name);
  const choices = state.Choices as { Next: string }[] | undefined;
  const catchers = state.Catch as { Next: string }[] | undefined;
  return {
    ...state,
    ...(state.Next !== undefined ? { Next: to(state.Next) } : {}),
    ...(state.Default !== undefined ? { Default: to(state.Default) } : {}),
    ...(choices ? { Choices: choices.map((c) => ({ ...c, Next: to(c.Next) })) } : {}),
    ...(catchers ? { Catch: catchers.map((c) => ({ ...c, Next: to(c.Next) })) } : {}),
  };
}

/**
 * The machine that releases the slot of a run that ended where no state of its own could (aborted, timed out,
 * failed outside `RunFailed`), started with the "Step Functions Execution Status Change" event
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; `detail.input` is the run's input).
 * A run that held its slot gives it back; a run still waiting is passed over when its turn comes (serving moves
 * past it and its slot counts as released at once), so the runs behind it start in order; a run with nothing
 * left does nothing. Each of these is one conditional write, so a second release never counts.
 */
export function renderSlotReleaseMachine(plan: ConcurrencyPlan): AslDefinition {
  const input = "$.run";
  const run = "$.execution";
  const held = renderReleaseState(plan, "Released", run, input);
  const write = (comment: string, update: string, condition: string, onFailed: string, next: string): AslState => ({
    Type: "Task",
    Comment: comment,
    Resource: dynamoResource("updateItem"),
    Parameters: {
      ...slotParameters(plan, run, input),
      UpdateExpression: update,
      ConditionExpression: condition,
      ...(update.includes(":one") ? { ExpressionAttributeValues: { ":one": ONE } } : {}),
    },
    ResultPath: null,
    Retry: [DYNAMO_THROTTLE_RETRIER],
    Catch: catchCondition(onFailed),
    Next: next,
  });
  return {
    Comment: `Releases the concurrency slot ("${plan.id}") of a run that ended without releasing it`,
    StartAt: "ReadRun",
    States: {
      ReadRun: {
        Type: "Pass",
        Parameters: { "execution.$": "$.detail.executionArn", "run.$": "States.StringToJson($.detail.input)" },
        Next: "ReleaseHeld",
      },
      ReleaseHeld: { ...held, Comment: "The run held its slot: give it back", Catch: catchCondition("PassOver") },
      PassOver: write(
        "The run was waiting and it is its turn: serve the next ticket and count its slot as released",
        "SET serving = serving + :one REMOVE #run ADD released :one",
        "#run = serving",
        "StillQueued",
        "Released",
      ),
      StillQueued: write(
        "Is the run still in the queue (not its turn yet)? If not, nothing is left to release",
        "SET #run = #run",
        "attribute_exists(#run)",
        "NothingHeld",
        "WaitForTurn",
      ),
      WaitForTurn: { Type: "Wait", Seconds: PASS_OVER_WAIT_SECONDS, Next: "ReleaseHeld" },
      Released: { Type: "Succeed" },
      NothingHeld: { Type: "Succeed" },
    },
  };
}
