import "../../../lib/local/polyfills.ts";
import { createHash, randomUUID } from "node:crypto";
import { ExecutionError, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { AslRetrier } from "../../../lib/compiler/compile-retry.ts";
import { allStates } from "../../../lib/local/asl-walk.ts";
import { decideRetry } from "../../../lib/compiler/asl-retry.ts";
import type { AccessDeniedError, SimAccount } from "./account.ts";
import { AwsApiError } from "./api-error.ts";
import { arn, splitStateMachineArn } from "./arn.ts";
import type { Background } from "./background.ts";
import type { DynamoDbService } from "./dynamodb-service.ts";
import type { EventsService } from "./events-service.ts";
import type { Caller } from "./iam-policy.ts";
import type { LambdaService } from "./lambda-service.ts";

/**
 * Step Functions: state machines with published versions and aliases, executions run by aws-local-stepfunctions on
 * the definition of the version they started on, each `lambda:invoke` and `events:putEvents` made with the state
 * machine's role (authorized like any other call), and the execution APIs the stack and the CLI use. Waits and
 * retry intervals take no time (time skipping); `$$.State.RetryCount` is kept as the service keeps it.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/Welcome.html
 */

interface Revision {
  readonly definition: string;
  readonly roleArn: string;
  readonly revisionId: string;
}

export interface SimStateMachine {
  readonly name: string;
  readonly arn: string;
  readonly type: "STANDARD" | "EXPRESS";
  current: Revision;
  readonly versions: Map<string, Revision>;
  nextVersion: number;
  readonly aliases: Map<string, { readonly routing: readonly { stateMachineVersionArn: string; weight: number }[] }>;
}

type Status = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT" | "PENDING_REDRIVE";

/** A history event in the API's shape (GetExecutionHistory). */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

export interface SimExecution {
  readonly arn: string;
  readonly name: string;
  readonly stateMachine: SimStateMachine;
  readonly qualifier?: string;
  readonly revision: Revision;
  readonly input: string;
  status: Status;
  output?: string;
  error?: string;
  cause?: string;
  readonly startDate: number;
  stopDate?: number;
  redriveCount: number;
  readonly history: HistoryEvent[];
  abort?: () => void;
  /** Resolves when the execution stops (succeeds, fails or is aborted). */
  done: Promise<void>;
}

/** One event of the engine's event log. */
type EventLog = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

const TASK_ERROR_PREFIX: Readonly<Record<string, string>> = { lambda: "Lambda", events: "EventBridge", dynamodb: "DynamoDB" };

/** The optimized DynamoDB integration's actions (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html). */
const DYNAMODB_ACTIONS: Readonly<Record<string, string>> = {
  getItem: "GetItem",
  putItem: "PutItem",
  updateItem: "UpdateItem",
  deleteItem: "DeleteItem",
};

export class SfnService {
  readonly stateMachines = new Map<string, SimStateMachine>();
  readonly executions = new Map<string, SimExecution>();
  private readonly machines = new Map<string, StateMachine>();
  private readonly account: SimAccount;
  private readonly lambda: LambdaService;
  private readonly events: EventsService;
  private readonly dynamodb: DynamoDbService;
  private readonly background: Background;

  constructor(
    account: SimAccount,
    services: { lambda: LambdaService; events: EventsService; dynamodb: DynamoDbService; background: Background },
  ) {
    this.account = account;
    this.lambda = services.lambda;
    this.events = services.events;
    this.dynamodb = services.dynamodb;
    this.background = services.background;
  }

  stateMachineArn(name: string): string {
    return arn(this.account.env, "states", `stateMachine:${name}`);
  }

  /**
   * CreateStateMachine/UpdateStateMachine: the definition must parse and its Task resources must be in this
   * region's partition (Step Functions refuses `arn:aws:...` in `aws-cn`), as the service validates at deploy.
   */
  put(name: string, type: "STANDARD" | "EXPRESS", definition: string, roleArn: string): SimStateMachine {
    const parsed = JSON.parse(definition) as { States: Record<string, Record<string, unknown>> };
    for (const [stateName, state] of allStates(parsed as never)) {
      const resource = state.Resource;
      if (typeof resource === "string" && !resource.startsWith(`arn:${this.account.env.partition}:`)) {
        throw new AwsApiError(
          "InvalidDefinition",
          `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The resource provided ${resource} is not recognized. at /States/${stateName}/Resource'`,
        );
      }
    }
    const revision: Revision = {
      definition,
      roleArn,
      revisionId: createHash("sha256")
        .update(definition + roleArn)
        .digest("hex")
        .slice(0, 32),
    };
    const existing = this.stateMachines.get(this.stateMachineArn(name));
    if (existing) {
      if (existing.type !== type) throw new AwsApiError("ValidationException", "a state machine's type cannot change; replace it");
      existing.current = revision;
      return existing;
    }
    const sm: SimStateMachine = {
      name,
      arn: this.stateMachineArn(name),
      type,
      current: revision,
      versions: new Map(),
      nextVersion: 1,
      aliases: new Map(),
    };
    this.stateMachines.set(sm.arn, sm);
    return sm;
  }

  /** PublishStateMachineVersion: only when the revision asked for is the current one. */
  publish(sm: SimStateMachine, revisionId: string | undefined): string {
    if (revisionId !== undefined && revisionId !== "INITIAL" && revisionId !== sm.current.revisionId) {
      throw new AwsApiError("ConflictException", `revision ${revisionId} is not the current revision of ${sm.name}`);
    }
    const version = String(sm.nextVersion++);
    sm.versions.set(version, sm.current);
    return `${sm.arn}:${version}`;
  }

  deleteVersion(versionArn: string): void {
    const { arn: smArn, qualifier } = splitStateMachineArn(versionArn);
    this.stateMachines.get(smArn)?.versions.delete(qualifier ?? "");
  }

  private find(smArn: string): SimStateMachine {
    const sm = this.stateMachines.get(smArn);
    if (!sm) throw new AwsApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${smArn}'`);
    return sm;
  }

  /** The revision a (possibly qualified) ARN runs: an alias routes to a version, a version is a snapshot, else the latest. */
  private revisionFor(sm: SimStateMachine, qualifier: string | undefined): Revision {
    if (qualifier === undefined) return sm.current;
    const alias = sm.aliases.get(qualifier);
    const versionArn = alias ? pickWeighted(alias.routing) : `${sm.arn}:${qualifier}`;
    const version = sm.versions.get(splitStateMachineArn(versionArn).qualifier ?? "");
    if (!version) throw new AwsApiError("ResourceNotFound", `Resource not found: '${versionArn}'`);
    return version;
  }

  /**
   * StartExecution, authorized on the unqualified state machine ARN with `states:StateMachineQualifier` (the
   * version or alias), as Step Functions authorizes it.
   */
  startExecution(
    caller: Caller,
    input: { stateMachineArn: string; name?: string; input?: string },
  ): { executionArn: string; startDate: number } {
    const { arn: smArn, qualifier } = splitStateMachineArn(input.stateMachineArn);
    this.account.authorize(
      caller,
      "states:StartExecution",
      smArn,
      qualifier === undefined ? {} : { "states:StateMachineQualifier": qualifier },
    );
    const sm = this.find(smArn);
    const name = input.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new AwsApiError("InvalidName", `Invalid Name: '${name}'`);
    const text = input.input ?? "{}";
    try {
      JSON.parse(text);
    } catch {
      throw new AwsApiError("InvalidExecutionInput", "Invalid State Machine Execution Input: 'Input is not valid JSON'");
    }
    if (Buffer.byteLength(text) > 256 * 1024) throw new AwsApiError("InvalidExecutionInput", "input is over 256 KiB");
    const executionArn =
      sm.type === "EXPRESS"
        ? arn(this.account.env, "states", `express:${sm.name}:${name}:${randomUUID()}`)
        : arn(this.account.env, "states", `execution:${sm.name}:${name}`);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Names are unique per state machine for 90 days; the same request while it runs is answered idempotently.
      if (existing.status === "RUNNING" && existing.input === text) return { executionArn, startDate: existing.startDate };
      throw new AwsApiError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
    }
    const execution: SimExecution = {
      arn: executionArn,
      name,
      stateMachine: sm,
      ...(qualifier === undefined ? {} : { qualifier }),
      revision: this.revisionFor(sm, qualifier),
      input: text,
      status: "RUNNING",
      startDate: Date.now() / 1000,
      redriveCount: 0,
      history: [],
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, execution);
    this.run(execution, JSON.parse(text), undefined);
    return { executionArn, startDate: execution.startDate };
  }

  private machineFor(definition: string, startAt?: string): StateMachine {
    const key = `${startAt ?? ""}\u0000${definition}`;
    let machine = this.machines.get(key);
    if (!machine) {
      const parsed = JSON.parse(definition) as StateMachineDefinition;
      machine = new StateMachine(startAt ? { ...parsed, StartAt: startAt } : parsed);
      this.machines.set(key, machine);
    }
    return machine;
  }

  /** Runs (or, after a redrive, continues from `startAt`) an execution in the background. */
  private run(execution: SimExecution, input: unknown, startAt: string | undefined): void {
    const definition = JSON.parse(execution.revision.definition) as { States: Record<string, any> };
    const states = allStates(definition as never);
    const role: Caller = this.account.assumeRole(execution.revision.roleArn, "states.amazonaws.com").caller;
    const context = {
      Execution: {
        Id: execution.arn,
        Name: execution.name,
        RoleArn: execution.revision.roleArn,
        RedriveCount: execution.redriveCount,
        StartTime: new Date(execution.startDate * 1000).toISOString(),
      },
      StateMachine: { Id: execution.stateMachine.arn, Name: execution.stateMachine.name },
      State: { RetryCount: 0 },
    };
    const failures = new Map<string, string[]>();
    const retriersOf = new Map(states.map(([name, s]) => [name, (Array.isArray(s.Retry) ? s.Retry : []) as AslRetrier[]]));
    const bind = (stateName: string, resource: string) => async (parameters: any) => {
      try {
        const result = await this.callIntegration(resource, parameters, role);
        failures.delete(stateName);
        context.State.RetryCount = 0;
        return result;
      } catch (error) {
        // `$$.State.RetryCount` for the next attempt of this state, or 0 when its retriers give up (Catch follows).
        const errors = [...(failures.get(stateName) ?? []), (error as Error).name];
        const retry = decideRetry(retriersOf.get(stateName) ?? [], errors).retry;
        if (retry) failures.set(stateName, errors);
        else failures.delete(stateName);
        context.State.RetryCount = retry ? errors.length : 0;
        throw error;
      }
    };
    const handlers = Object.fromEntries(
      states.filter(([, s]) => s.Type === "Task").map(([name, s]) => [name, bind(name, String(s.Resource))]),
    );
    const zero = (names: [string, any][]) => Object.fromEntries(names.map(([n]) => [n, 0]));
    const handle = this.machineFor(execution.revision.definition, startAt).run(input as never, {
      context: context as never,
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: zero(states.filter(([, s]) => s.Type === "Wait")),
        retryIntervalOverrides: zero(states.filter(([, s]) => Array.isArray(s.Retry))),
      },
    });
    let aborted = false;
    execution.abort = () => {
      aborted = true;
      handle.abort();
    };
    const history = this.recordHistory(execution, handle.eventLogs, definition);
    execution.done = new Promise<void>((resolve) => {
      this.background.run(async () => {
        try {
          const output = await handle.result;
          await history;
          if (aborted) this.finish(execution, "ABORTED", {});
          else this.finish(execution, "SUCCEEDED", { output: JSON.stringify(output ?? null) });
        } catch (error) {
          await history;
          const cause =
            error instanceof ExecutionError
              ? ((error as Error).cause as { name?: string; message?: string } | undefined)
              : (error as Error);
          this.finish(execution, "FAILED", { error: cause?.name ?? "States.Runtime", cause: cause?.message ?? "" });
        } finally {
          resolve();
        }
      });
    });
  }

  private finish(execution: SimExecution, status: Status, details: { output?: string; error?: string; cause?: string }): void {
    if (execution.status !== "RUNNING") return; // stopped meanwhile
    execution.status = status;
    execution.stopDate = Date.now() / 1000;
    Object.assign(execution, details);
    const type = { SUCCEEDED: "ExecutionSucceeded", FAILED: "ExecutionFailed", ABORTED: "ExecutionAborted" }[status as "SUCCEEDED"];
    const key = {
      SUCCEEDED: "executionSucceededEventDetails",
      FAILED: "executionFailedEventDetails",
      ABORTED: "executionAbortedEventDetails",
    }[status as "SUCCEEDED"];
    this.push(execution, type, {
      [key]: status === "SUCCEEDED" ? { output: details.output } : { error: details.error, cause: details.cause },
    });
  }

  private push(execution: SimExecution, type: string, details: Record<string, unknown>): void {
    const id = execution.history.length + 1;
    execution.history.push({ id, previousEventId: id - 1, timestamp: Date.now() / 1000, type, ...details });
  }

  /** The history in the API's event types, from the engine's event log (Task states get Scheduled/Succeeded/Failed events). */
  private async recordHistory(
    execution: SimExecution,
    log: AsyncGenerator<EventLog>,
    definition: { States: Record<string, any> },
  ): Promise<void> {
    const typeOf = new Map(allStates(definition as never).map(([n, s]) => [n, String(s.Type)]));
    for await (const event of log) {
      if (event.type === "ExecutionStarted" && execution.history.length === 0) {
        this.push(execution, "ExecutionStarted", {
          executionStartedEventDetails: { input: execution.input, roleArn: execution.revision.roleArn },
        });
        continue;
      }
      if (!("state" in event)) continue;
      const name = event.state.name;
      const prefix = typeOf.get(name) ?? "Pass";
      const task = prefix === "Task";
      switch (event.type) {
        case "StateEntered":
          this.push(execution, `${prefix}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(event.state.input) } });
          if (task) this.push(execution, "TaskScheduled", { taskScheduledEventDetails: { resourceType: "lambda", resource: "invoke" } });
          break;
        case "StateFailed":
          if (task)
            this.push(execution, "TaskFailed", { taskFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? "") } });
          break;
        case "StateRetried":
          if (task) this.push(execution, "TaskScheduled", { taskScheduledEventDetails: { resourceType: "lambda", resource: "invoke" } });
          break;
        case "StateExited":
          if (task)
            this.push(execution, "TaskSucceeded", { taskSucceededEventDetails: { output: JSON.stringify(event.state.output ?? null) } });
          this.push(execution, `${prefix}StateExited`, {
            stateExitedEventDetails: { name, output: JSON.stringify(event.state.output ?? null) },
          });
          break;
      }
    }
  }

  /** A Task state's service integration, called with the state machine's role. */
  private async callIntegration(resource: string, parameters: any, role: Caller): Promise<unknown> {
    const integration = /^arn:[^:]+:states:::([a-z]+):([A-Za-z]+)$/.exec(resource);
    const service = integration?.[1] ?? "";
    try {
      if (service === "lambda" && integration?.[2] === "invoke") {
        const result = await this.lambda.invoke(parameters.FunctionName, parameters.Payload, role);
        if (!result.ok) {
          // The function's error: its errorType is the ASL error, the whole error object the Cause (as in AWS).
          throw Object.assign(new Error(JSON.stringify(result.error)), { name: result.error.errorType });
        }
        return {
          ExecutedVersion: result.executedVersion,
          Payload: result.payload,
          StatusCode: 200,
          SdkHttpMetadata: { HttpStatusCode: 200 },
        };
      }
      const dynamoAction = service === "dynamodb" ? DYNAMODB_ACTIONS[integration?.[2] ?? ""] : undefined;
      if (dynamoAction) {
        // The API's answer is the state's result; an error is the API's exception, `DynamoDB.<name>` below.
        const answer = await this.dynamodb.handle(dynamoAction, JSON.stringify(parameters), role);
        const body = JSON.parse(answer.body) as { __type?: string; message?: string; Message?: string };
        if (answer.status !== 200) throw new AwsApiError(String(body.__type).split("#").pop()!, body.message ?? body.Message ?? "");
        return body;
      }
      if (service === "events" && integration?.[2] === "putEvents") {
        const entries = (parameters.Entries as any[]).map((e) => ({
          ...e,
          Detail: typeof e.Detail === "string" ? e.Detail : JSON.stringify(e.Detail),
        }));
        const answer = this.events.putEvents(role, entries);
        if (answer.FailedEntryCount > 0) throw Object.assign(new Error(JSON.stringify(answer)), { name: "EventBridge.FailedEntry" });
        return answer;
      }
    } catch (error) {
      const e = error as AwsApiError | AccessDeniedError;
      // A service error (not the function's own): Step Functions names it `<Service>.<Exception>`.
      if (e instanceof AwsApiError || e.name === "AccessDeniedException") {
        throw Object.assign(new Error(e.message), {
          name: `${TASK_ERROR_PREFIX[service]}.${e.name === "AccessDeniedException" && service === "lambda" ? "AWSLambdaException" : e.name}`,
        });
      }
      throw error;
    }
    throw new AwsApiError("States.Runtime", `the stack simulator does not implement the integration ${resource}`);
  }

  private execution(executionArn: string): SimExecution {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  /** The Step Functions JSON API (`AWSStepFunctions.<Action>`), each call authorized on the resource AWS authorizes. */
  async handle(action: string, input: any, caller: Caller): Promise<unknown> {
    switch (action) {
      case "StartExecution":
        return this.startExecution(caller, input);
      case "ListStateMachines":
        this.account.authorize(caller, "states:ListStateMachines", "*");
        return {
          stateMachines: [...this.stateMachines.values()].map((sm) => ({
            stateMachineArn: sm.arn,
            name: sm.name,
            type: sm.type,
            creationDate: 0,
          })),
        };
      case "DescribeStateMachine": {
        const { arn: smArn, qualifier } = splitStateMachineArn(input.stateMachineArn);
        this.account.authorize(
          caller,
          "states:DescribeStateMachine",
          smArn,
          qualifier === undefined ? {} : { "states:StateMachineQualifier": qualifier },
        );
        const sm = this.find(smArn);
        const revision = this.revisionFor(sm, qualifier);
        return {
          stateMachineArn: input.stateMachineArn,
          name: sm.name,
          type: sm.type,
          definition: revision.definition,
          roleArn: revision.roleArn,
          revisionId: revision.revisionId,
          status: "ACTIVE",
          creationDate: 0,
        };
      }
      case "ListExecutions": {
        const { arn: smArn } = splitStateMachineArn(input.stateMachineArn);
        this.account.authorize(caller, "states:ListExecutions", smArn);
        const sm = this.find(smArn);
        if (sm.type === "EXPRESS")
          throw new AwsApiError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
        const all = [...this.executions.values()]
          .filter((e) => e.stateMachine === sm && (!input.statusFilter || e.status === input.statusFilter))
          .sort((a, b) => b.startDate - a.startDate);
        // nextToken: where the next page starts (opaque to the caller, as the service's is).
        const from = input.nextToken ? Number(Buffer.from(input.nextToken, "base64url").toString("utf8")) : 0;
        const executions = all.slice(from, from + (input.maxResults || 100));
        const end = from + executions.length;
        return {
          ...(end < all.length ? { nextToken: Buffer.from(String(end)).toString("base64url") } : {}),
          executions: executions.map((e) => ({
            executionArn: e.arn,
            stateMachineArn: sm.arn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
            ...(e.stopDate ? { stopDate: e.stopDate } : {}),
          })),
        };
      }
      case "DescribeExecution": {
        const e = this.execution(input.executionArn);
        this.account.authorize(caller, "states:DescribeExecution", e.arn);
        if (e.stateMachine.type === "EXPRESS")
          throw new AwsApiError("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
        return {
          executionArn: e.arn,
          stateMachineArn: e.stateMachine.arn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          ...(e.stopDate ? { stopDate: e.stopDate } : {}),
          input: e.input,
          ...(e.output !== undefined ? { output: e.output } : {}),
          ...(e.error !== undefined ? { error: e.error, cause: e.cause } : {}),
          redriveCount: e.redriveCount,
        };
      }
      case "GetExecutionHistory": {
        const e = this.execution(input.executionArn);
        this.account.authorize(caller, "states:GetExecutionHistory", e.arn);
        return { events: input.reverseOrder ? [...e.history].reverse() : e.history };
      }
      case "StopExecution": {
        const e = this.execution(input.executionArn);
        this.account.authorize(caller, "states:StopExecution", e.arn);
        e.abort?.();
        this.finish(e, "ABORTED", { error: input.error, cause: input.cause });
        return { stopDate: e.stopDate };
      }
      case "RedriveExecution": {
        const e = this.execution(input.executionArn);
        this.account.authorize(caller, "states:RedriveExecution", e.arn);
        this.redrive(e);
        return { redriveDate: Date.now() / 1000 };
      }
      default:
        throw new AwsApiError("UnsupportedOperation", `the stack simulator does not implement states ${action}`);
    }
  }

  /**
   * RedriveExecution: a failed Standard execution continues from the state that failed, with that state's input
   * and the definition it started with; `$$.Execution.RedriveCount` goes up.
   * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
   */
  private redrive(e: SimExecution): void {
    if (e.stateMachine.type === "EXPRESS" || (e.status !== "FAILED" && e.status !== "ABORTED" && e.status !== "TIMED_OUT")) {
      throw new AwsApiError("ExecutionNotRedrivable", `Execution is RUNNING or not redrivable: '${e.arn}'`);
    }
    const entered = [...e.history].reverse().find((h) => String(h.type).endsWith("StateEntered")) as
      { stateEnteredEventDetails: { name: string; input: string } } | undefined;
    if (!entered) throw new AwsApiError("ExecutionNotRedrivable", "no state to redrive from");
    const top = JSON.parse(e.revision.definition).States as Record<string, unknown>;
    if (!Object.hasOwn(top, entered.stateEnteredEventDetails.name)) {
      throw new AwsApiError("UnsupportedOperation", "the stack simulator redrives only from top-level states");
    }
    e.redriveCount++;
    e.status = "RUNNING";
    e.stopDate = undefined;
    e.error = undefined;
    e.cause = undefined;
    this.push(e, "ExecutionRedriven", { executionRedrivenEventDetails: { redriveCount: e.redriveCount } });
    this.run(e, JSON.parse(entered.stateEnteredEventDetails.input), entered.stateEnteredEventDetails.name);
  }
}

function pickWeighted(routing: readonly { stateMachineVersionArn: string; weight: number }[]): string {
  let roll = Math.random() * routing.reduce((sum, r) => sum + r.weight, 0);
  for (const r of routing) {
    roll -= r.weight;
    if (roll < 0) return r.stateMachineVersionArn;
  }
  const last = routing.at(-1);
  if (!last) throw new Error("an alias routes to no version");
  return last.stateMachineVersionArn;
}
