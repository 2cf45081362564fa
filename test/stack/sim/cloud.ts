import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimAccount } from "./account.ts";
import { DEFAULT_ENV, type Environment } from "./arn.ts";
import { Background } from "./background.ts";
import { CloudFormation, readTemplate, type SimStack } from "./cloudformation.ts";
import { DynamoDbService } from "./dynamodb-service.ts";
import { Endpoint } from "./endpoint.ts";
import { EventsService } from "./events-service.ts";
import type { Caller } from "./iam-policy.ts";
import { LambdaService } from "./lambda-service.ts";
import { resourceSpec } from "./resource-spec.ts";
import { providers, type SimServices } from "./resources.ts";
import { SecretsService } from "./secrets-service.ts";
import { SfnService } from "./sfn-service.ts";
import { SimClock, SqsService } from "./sqs-service.ts";

/**
 * A simulated AWS account that deploys a synthesized cloud assembly (`cdk.out`) and runs it: the template's
 * resources with fake physical ids, each Lambda from its bundled asset in a worker thread, each state machine's
 * definition on aws-local-stepfunctions, EventBridge rules, SQS, DynamoDB tables on dynalite, the function URL
 * over HTTP, and every AWS call any of them makes authorized against the template's IAM policies for the caller's
 * role. Denied calls are collected in `denials`: a lane test asserts there are none.
 */
/** The environment the operator's CLI (and an SDK client) runs with against the simulated account. */
export interface OperatorEnv {
  readonly AWS_ENDPOINT_URL: string;
  readonly AWS_REGION: string;
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_SESSION_TOKEN: string;
  readonly AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: string;
}

export class SimCloud {
  readonly account: SimAccount;
  readonly background = new Background();
  readonly clock = new SimClock();
  readonly lambda: LambdaService;
  readonly sqs: SqsService;
  readonly events: EventsService;
  readonly sfn: SfnService;
  readonly dynamodb: DynamoDbService;
  readonly secrets: SecretsService;
  readonly endpoint: Endpoint;
  private readonly services: SimServices;
  private cloudformation?: CloudFormation;

  private constructor(env: Environment) {
    this.account = new SimAccount(env);
    this.sqs = new SqsService(this.account, this.clock, () => this.endpoint.url);
    this.lambda = new LambdaService(this.account, () => this.endpoint.url, this.background);
    this.events = new EventsService(this.account, { sqs: this.sqs, lambda: this.lambda, background: this.background });
    this.dynamodb = new DynamoDbService(this.account);
    this.sfn = new SfnService(this.account, {
      lambda: this.lambda,
      events: this.events,
      dynamodb: this.dynamodb,
      background: this.background,
    });
    this.secrets = new SecretsService(this.account);
    this.services = {
      account: this.account,
      lambda: this.lambda,
      sqs: this.sqs,
      events: this.events,
      sfn: this.sfn,
      dynamodb: this.dynamodb,
      secrets: this.secrets,
      background: this.background,
      codeDir: fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-sim-code-")),
      closers: [],
      schedules: new Map(),
    };
    this.endpoint = new Endpoint(this.account, {
      json: { states: this.sfn, events: this.events, secretsmanager: this.secrets, sqs: this.sqs },
      raw: { dynamodb: this.dynamodb },
      query: { cloudformation: { handle: (action, params, caller) => this.cloudformation!.handle(action, params, caller) } },
    });
    // A failed asynchronous invocation goes to its destination (an SQS queue) from the function's execution role.
    this.lambda.onFailure = async (fn, destinationArn, event, error) => {
      const queue = this.sqs.byArn(destinationArn);
      this.sqs.authorize({ kind: "role", arn: fn.config.roleArn, account: this.account.env.account }, "sqs:SendMessage", queue);
      this.sqs.send(queue, JSON.stringify({ requestPayload: event, responsePayload: { errorMessage: error } }));
    };
  }

  /** Starts the account's endpoint and DynamoDB. */
  static async start(env: Environment = DEFAULT_ENV): Promise<SimCloud> {
    const cloud = new SimCloud(env);
    await cloud.endpoint.listen();
    await cloud.dynamodb.start();
    const spec = await resourceSpec();
    cloud.cloudformation = new CloudFormation(cloud.account, providers(cloud.services), spec);
    cloud.services.cloudformation = cloud.cloudformation;
    return cloud;
  }

  /**
   * Deploys (or updates) every stack of a cloud assembly, as `cdk deploy` would: the stack templates the
   * manifest lists, their nested stacks and assets from the same directory.
   */
  async deploy(assemblyDir: string): Promise<Map<string, SimStack>> {
    const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
    };
    const deployed = new Map<string, SimStack>();
    for (const [id, artifact] of Object.entries(manifest.artifacts)) {
      if (artifact.type !== "aws:cloudformation:stack" || !artifact.properties?.templateFile) continue;
      const template = readTemplate(assemblyDir, artifact.properties.templateFile);
      deployed.set(id, await this.cloudformation!.deploy(id, template, assemblyDir));
    }
    return deployed;
  }

  /**
   * One fire of an EventBridge Scheduler schedule, as Scheduler delivers it: its role assumed, its input template
   * filled in (`<aws.scheduler.scheduled-time>`, and a new `<aws.scheduler.execution-id>` per delivery), PutEvents
   * on its target bus. Firing twice for one time is what Scheduler's retries do.
   * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
   */
  fireSchedule(name: string, scheduledTime: string): void {
    const schedule = this.services.schedules.get(name);
    if (!schedule) throw new Error(`no schedule ${name} (has ${[...this.services.schedules.keys()].join(", ")})`);
    const target = schedule.Target;
    const { caller } = this.account.assumeRole(target.RoleArn, "scheduler.amazonaws.com");
    const detail = String(target.Input)
      .replaceAll("<aws.scheduler.scheduled-time>", scheduledTime)
      .replaceAll("<aws.scheduler.execution-id>", crypto.randomUUID())
      .replaceAll("<aws.scheduler.schedule-arn>", name);
    const answer = this.events.putEvents(caller, [
      {
        EventBusName: target.Arn,
        Source: target.EventBridgeParameters.Source,
        DetailType: target.EventBridgeParameters.DetailType,
        Detail: detail,
      },
    ]);
    if (answer.FailedEntryCount > 0) throw new Error(`the schedule's PutEvents failed: ${JSON.stringify(answer)}`);
  }

  /** Every stack deployed in the account, nested stacks included. */
  deploymentStacks(): Iterable<SimStack> {
    return this.cloudformation!.stacks.values();
  }

  /** The names of the deployed schedules. */
  get schedules(): string[] {
    return [...this.services.schedules.keys()];
  }

  /** A caller with full access to the account (the operator: CLI commands, `aws events put-events` by hand). */
  operator(): { caller: Caller; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } } {
    const name = "stepjobs-sim-operator";
    const roleArn = this.account.roleArn(name);
    if (!this.account.roles.has(roleArn)) {
      this.account.roles.set(roleArn, {
        name,
        arn: roleArn,
        assumeRolePolicy: { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "*" } }] },
        policies: new Map([["admin", { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }]]),
        managedPolicyArns: [],
      });
    }
    const caller: Caller = { kind: "role", arn: roleArn, account: this.account.env.account };
    return { caller, credentials: this.account.issue(caller) };
  }

  /** Environment variables that point an AWS SDK (the CLI, a test's client) at this account as the operator. */
  operatorEnv(): OperatorEnv {
    const { credentials } = this.operator();
    return {
      AWS_ENDPOINT_URL: this.endpoint.url,
      AWS_REGION: this.account.env.region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
  }

  /** Waits until deliveries, pollers and executions have nothing left to do. */
  async settled(): Promise<void> {
    await this.background.settled();
  }

  async close(): Promise<void> {
    for (const close of this.services.closers) await close();
    await this.background.settled().catch(() => {});
    await this.lambda.close();
    await this.endpoint.close();
    await this.dynamodb.close();
    fs.rmSync(this.services.codeDir, { recursive: true, force: true });
  }
}
