import { randomUUID } from "node:crypto";
import { compileEventPattern, type EventPredicate } from "../../../lib/ingest/event-pattern.ts";
import type { SimAccount } from "./account.ts";
import { AwsApiError } from "./api-error.ts";
import { arn, parseArn } from "./arn.ts";
import type { Background } from "./background.ts";
import type { Caller, PolicyDocument } from "./iam-policy.ts";
import type { LambdaService } from "./lambda-service.ts";
import type { SqsService } from "./sqs-service.ts";

/**
 * EventBridge: custom buses, rules with event patterns (matched by stepjobs' own matcher, which is tested against
 * AWS's documented examples), and delivery to SQS and Lambda targets with the rule's retry policy and dead-letter
 * queue. A delivery EventBridge is not allowed to make (no queue policy or function permission for the rule) is
 * recorded as a denial and dead-lettered, as EventBridge does for permission errors.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */

/** One rule target as the template writes it. */
export interface RuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly DeadLetterConfig?: { readonly Arn: string };
  readonly RetryPolicy?: { readonly MaximumRetryAttempts?: number; readonly MaximumEventAgeInSeconds?: number };
  readonly RoleArn?: string;
}

export interface SimRule {
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  readonly pattern: unknown;
  readonly matches: EventPredicate;
  readonly targets: readonly RuleTarget[];
  readonly enabled: boolean;
}

export interface SimBus {
  readonly name: string;
  readonly arn: string;
  policy?: PolicyDocument;
}

/** An event as EventBridge delivers it to targets. */
export interface DeliveredEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** Most bytes of one PutEvents entry (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
const MAX_ENTRY_BYTES = 256 * 1024;

export class EventsService {
  readonly buses = new Map<string, SimBus>();
  readonly rules = new Map<string, SimRule>();
  /** Every event put on a bus, in order (what a test sent and what the stack sent). */
  readonly log: DeliveredEvent[] = [];
  /** Deliveries that ended in a target's dead-letter queue, or were dropped without one. */
  readonly failedDeliveries: { rule: string; target: string; error: string; deadLettered: boolean }[] = [];
  private readonly account: SimAccount;
  private readonly sqs: SqsService;
  private readonly lambda: LambdaService;
  private readonly background: Background;

  constructor(account: SimAccount, services: { sqs: SqsService; lambda: LambdaService; background: Background }) {
    this.account = account;
    this.sqs = services.sqs;
    this.lambda = services.lambda;
    this.background = services.background;
  }

  createBus(name: string): SimBus {
    const bus = { name, arn: arn(this.account.env, "events", `event-bus/${name}`) };
    this.buses.set(name, bus);
    return bus;
  }

  /** Rule ARNs on a custom bus carry the bus name: `rule/<bus>/<rule>`. */
  createRule(name: string, busName: string, pattern: unknown, targets: readonly RuleTarget[], enabled = true): SimRule {
    const resource = busName === "default" ? `rule/${name}` : `rule/${busName}/${name}`;
    const rule: SimRule = {
      name,
      arn: arn(this.account.env, "events", resource),
      busName,
      pattern,
      matches: compileEventPattern(pattern as Record<string, unknown>),
      targets,
      enabled,
    };
    this.rules.set(rule.arn, rule);
    return rule;
  }

  private busFor(nameOrArn: string | undefined): SimBus {
    const name = nameOrArn === undefined ? "default" : (parseArn(nameOrArn)?.resource.replace(/^event-bus\//, "") ?? nameOrArn);
    const bus = this.buses.get(name);
    if (!bus) throw new AwsApiError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    return bus;
  }

  /** `PutEvents` for `caller`: authorized on each entry's bus, then matched and delivered in the background. */
  putEvents(
    caller: Caller,
    entries: readonly any[],
  ): { Entries: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[]; FailedEntryCount: number } {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
      throw new AwsApiError("ValidationException", "Entries must hold 1 to 10 entries");
    }
    let failed = 0;
    const results = entries.map((entry) => {
      const bus = this.busFor(entry.EventBusName);
      this.account.authorize(caller, "events:PutEvents", bus.arn, {}, bus.policy ? [bus.policy] : []);
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        failed++;
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      const size = Buffer.byteLength(JSON.stringify(entry), "utf8");
      if (!entry.Source || !entry.DetailType || size > MAX_ENTRY_BYTES) {
        failed++;
        return { ErrorCode: "ValidationException", ErrorMessage: "Source, DetailType and Detail are required; 256 KB at most" };
      }
      const event: DeliveredEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": entry.DetailType,
        source: entry.Source,
        account: this.account.env.account,
        time: (entry.Time ? new Date(typeof entry.Time === "number" ? entry.Time * 1000 : entry.Time) : new Date())
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
        region: this.account.env.region,
        resources: entry.Resources ?? [],
        detail,
      };
      this.log.push(event);
      for (const rule of this.rules.values()) {
        if (rule.busName !== bus.name || !rule.enabled || !rule.matches(event)) continue;
        for (const target of rule.targets) this.background.run(() => this.deliver(rule, target, event));
      }
      return { EventId: event.id };
    });
    return { Entries: results, FailedEntryCount: failed };
  }

  /** One delivery: SQS (queue policy must admit the rule) or Lambda (asynchronous invocation, function policy). */
  private async deliver(rule: SimRule, target: RuleTarget, event: DeliveredEvent): Promise<void> {
    const service: Caller = { kind: "service", service: "events.amazonaws.com" };
    const source = { "aws:SourceArn": rule.arn, "aws:SourceAccount": this.account.env.account };
    const body = target.Input ?? JSON.stringify(target.InputPath === "$.detail" ? event.detail : event);
    try {
      const kind = parseArn(target.Arn)?.service;
      if (kind === "sqs") {
        const queue = this.sqs.byArn(target.Arn);
        this.sqs.authorize(service, "sqs:SendMessage", queue, source);
        this.sqs.send(queue, body);
      } else if (kind === "lambda") {
        const { fn, qualifier } = this.lambda.find(target.Arn);
        const resource = qualifier === undefined ? fn.arn : `${fn.arn}:${qualifier}`;
        this.account.authorize(service, "lambda:InvokeFunction", resource, source, fn.policies.get(qualifier ?? "") ?? []);
        this.lambda.invokeAsync(fn, qualifier, JSON.parse(body));
      } else {
        throw new AwsApiError("UnsupportedTarget", `the stack simulator does not deliver to ${target.Arn}`);
      }
    } catch (error) {
      await this.deadLetter(rule, target, event, error as Error);
    }
  }

  /** A failed delivery goes to the target's DLQ, with EventBridge's error attributes, if it has one and may write to it. */
  private async deadLetter(rule: SimRule, target: RuleTarget, event: DeliveredEvent, error: Error): Promise<void> {
    const record = { rule: rule.arn, target: target.Arn, error: `${error.name}: ${error.message}`, deadLettered: false };
    this.failedDeliveries.push(record);
    if (!target.DeadLetterConfig) return;
    const dlq = this.sqs.byArn(target.DeadLetterConfig.Arn);
    this.sqs.authorize({ kind: "service", service: "events.amazonaws.com" }, "sqs:SendMessage", dlq, {
      "aws:SourceArn": rule.arn,
      "aws:SourceAccount": this.account.env.account,
    });
    const attribute = (value: string) => ({ DataType: "String", StringValue: value });
    this.sqs.send(dlq, JSON.stringify(event), {
      RULE_ARN: attribute(rule.arn),
      TARGET_ARN: attribute(target.Arn),
      ERROR_CODE: attribute(error.name),
      ERROR_MESSAGE: attribute(error.message),
    });
    record.deadLettered = true;
  }

  /** The EventBridge JSON API (`AWSEvents.<Action>`). */
  async handle(action: string, input: any, caller: Caller): Promise<unknown> {
    if (action === "PutEvents") return this.putEvents(caller, input.Entries);
    throw new AwsApiError("UnsupportedOperation", `the stack simulator does not implement events ${action}`);
  }
}
