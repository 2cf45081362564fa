import fs from "node:fs";
import type { SimAccount } from "./account.ts";
import { arn, splitFunctionRef } from "./arn.ts";
import type { CloudFormation, DeployedResource, ProviderContext, ResourceProvider, SimStack, Template } from "./cloudformation.ts";
import type { DynamoDbService } from "./dynamodb-service.ts";
import { SqsEventSourceMapping } from "./event-source-mapping.ts";
import type { EventsService, RuleTarget } from "./events-service.ts";
import { ANONYMOUS, FunctionUrlServer } from "./function-url.ts";
import type { PolicyDocument, PolicyStatement } from "./iam-policy.ts";
import { type LambdaService, type SimFunction, unpackAsset } from "./lambda-service.ts";
import type { SecretsService } from "./secrets-service.ts";
import type { SfnService } from "./sfn-service.ts";
import type { SqsService } from "./sqs-service.ts";
import type { Background } from "./background.ts";

/**
 * What each CloudFormation resource type does in the simulated account: the providers the deployer calls. Types a
 * stepjobs stack does not use are not here, so a template that starts using one fails the lane until it is modelled.
 */

/** Everything the providers act on. */
export interface SimServices {
  readonly account: SimAccount;
  readonly lambda: LambdaService;
  readonly sqs: SqsService;
  readonly events: EventsService;
  readonly sfn: SfnService;
  readonly dynamodb: DynamoDbService;
  readonly secrets: SecretsService;
  readonly background: Background;
  /** Where function code is unpacked (no package.json above it). */
  readonly codeDir: string;
  /** The CloudFormation engine (nested stacks deploy through it). */
  cloudformation?: CloudFormation;
  /** Open function URLs and event source mappings, closed with the simulator. */
  readonly closers: (() => Promise<void> | void)[];
  /** Schedules, by name (fired by tests). */
  readonly schedules: Map<string, Record<string, any>>;
}

const noop: ResourceProvider = { create: async (c) => ({ physicalId: c.generatedName() }), update: async () => ({}) };

function nameOf(fnRef: string): string {
  return splitFunctionRef(fnRef).name;
}

/** A Lambda permission as a resource-policy statement (what AddPermission stores). */
function permissionStatement(p: Record<string, any>): PolicyStatement {
  const condition: Record<string, Record<string, unknown>> = {};
  if (p.SourceArn) condition.ArnLike = { "aws:SourceArn": p.SourceArn };
  if (p.SourceAccount) condition.StringEquals = { "aws:SourceAccount": p.SourceAccount };
  if (p.FunctionUrlAuthType) condition.StringEquals = { ...condition.StringEquals, "lambda:FunctionUrlAuthType": p.FunctionUrlAuthType };
  if (p.InvokedViaFunctionUrl) condition.Bool = { "lambda:InvokedViaFunctionUrl": "true" };
  const principal = String(p.Principal);
  return {
    Effect: "Allow",
    Action: p.Action,
    Principal: principal === "*" ? "*" : principal.endsWith(".amazonaws.com") ? { Service: principal } : { AWS: principal },
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

export function providers(s: SimServices): Record<string, ResourceProvider> {
  const { account, lambda, sqs, events, sfn, dynamodb, secrets } = s;
  const esm = new Map<string, SqsEventSourceMapping>();
  const env = account.env;

  const policyTargets = new Map<string, { roles: string[]; doc: PolicyDocument; name: string }>();
  const attachPolicy = (id: string, props: Record<string, any>) => {
    const roles = (props.Roles ?? []) as string[];
    for (const roleName of roles) {
      const role = account.roles.get(account.roleArn(roleName));
      if (!role) throw new Error(`role ${roleName} does not exist`);
      role.policies.set(id, props.PolicyDocument);
    }
    policyTargets.set(id, { roles, doc: props.PolicyDocument, name: props.PolicyName });
  };
  const detachPolicy = (id: string) => {
    for (const roleName of policyTargets.get(id)?.roles ?? []) account.roles.get(account.roleArn(roleName))?.policies.delete(id);
    policyTargets.delete(id);
  };

  const functionConfig = (c: ProviderContext) => {
    const key = c.properties.Code?.S3Key;
    if (typeof key !== "string")
      throw new Error("a function whose code is not a published asset (inline or container code) is not simulated");
    return {
      codeDir: unpackAsset(c.asset(key), s.codeDir),
      handler: c.properties.Handler,
      runtime: c.properties.Runtime,
      timeoutSeconds: Number(c.properties.Timeout ?? 3),
      memorySize: Number(c.properties.MemorySize ?? 128),
      environment: (c.properties.Environment?.Variables ?? {}) as Record<string, string>,
      roleArn: c.properties.Role,
    };
  };
  const asyncConfigOf = (props: Record<string, any>) => ({
    maximumRetryAttempts: 2,
    ...(props.DeadLetterConfig?.TargetArn ? { onFailure: props.DeadLetterConfig.TargetArn as string } : {}),
  });

  const stateMachineDefinition = (props: Record<string, any>): string => {
    let text: string = props.DefinitionString ?? JSON.stringify(props.Definition);
    for (const [name, value] of Object.entries(props.DefinitionSubstitutions ?? {})) text = text.split(`\${${name}}`).join(String(value));
    return text;
  };

  return {
    "AWS::CDK::Metadata": noop,
    "AWS::CloudWatch::Alarm": noop,
    "AWS::SNS::Topic": { create: async (c) => ({ physicalId: arn(env, "sns", c.generatedName(256)) }) },
    "AWS::IAM::Role": {
      create: async (c) => {
        const name = c.properties.RoleName ?? c.generatedName(64);
        const roleArn = account.roleArn(name);
        account.roles.set(roleArn, {
          name,
          arn: roleArn,
          assumeRolePolicy: c.properties.AssumeRolePolicyDocument,
          policies: new Map((c.properties.Policies ?? []).map((p: any) => [`inline:${p.PolicyName}`, p.PolicyDocument])),
          managedPolicyArns: c.properties.ManagedPolicyArns ?? [],
        });
        return { physicalId: name, attributes: { Arn: roleArn, RoleId: `AROA${name.length}` } };
      },
      update: async (c) => {
        const role = account.roles.get(account.roleArn(c.previous.physicalId))!;
        role.assumeRolePolicy = c.properties.AssumeRolePolicyDocument;
        role.managedPolicyArns = c.properties.ManagedPolicyArns ?? [];
        for (const key of [...role.policies.keys()]) if (key.startsWith("inline:")) role.policies.delete(key);
        for (const p of c.properties.Policies ?? []) role.policies.set(`inline:${p.PolicyName}`, p.PolicyDocument);
        return {};
      },
      delete: async (r) => void account.roles.delete(account.roleArn(r.physicalId)),
    },
    "AWS::IAM::Policy": {
      create: async (c) => {
        const id = `${c.stack.name}/${c.logicalId}`;
        attachPolicy(id, c.properties);
        return { physicalId: id, attributes: { Id: id } };
      },
      update: async (c) => {
        detachPolicy(c.previous.physicalId);
        attachPolicy(c.previous.physicalId, c.properties);
        return {};
      },
      delete: async (r) => detachPolicy(r.physicalId),
    },
    "AWS::DynamoDB::Table": {
      create: async (c) => {
        const table = await dynamodb.createTable(c.properties.TableName ?? c.generatedName(255), c.properties);
        return { physicalId: table.name, attributes: { Arn: table.arn, StreamArn: `${table.arn}/stream/2026-12-04T00:00:00.000` } };
      },
      update: async () => ({}),
    },
    "AWS::SQS::Queue": {
      create: async (c) => {
        const queue = sqs.create(c.properties.QueueName ?? c.generatedName(80), {
          visibilityTimeoutSeconds: c.properties.VisibilityTimeout === undefined ? undefined : Number(c.properties.VisibilityTimeout),
          redrive: c.properties.RedrivePolicy
            ? {
                deadLetterTargetArn: c.properties.RedrivePolicy.deadLetterTargetArn,
                maxReceiveCount: Number(c.properties.RedrivePolicy.maxReceiveCount),
              }
            : undefined,
        });
        return { physicalId: queue.url, attributes: { Arn: queue.arn, QueueName: queue.name, QueueUrl: queue.url } };
      },
      update: async (c) => {
        const queue = sqs.byUrl(c.previous.physicalId);
        if (c.properties.VisibilityTimeout !== undefined) queue.visibilityTimeoutSeconds = Number(c.properties.VisibilityTimeout);
        if (c.properties.RedrivePolicy) {
          queue.redrive = {
            deadLetterTargetArn: c.properties.RedrivePolicy.deadLetterTargetArn,
            maxReceiveCount: Number(c.properties.RedrivePolicy.maxReceiveCount),
          };
        }
        return {};
      },
    },
    "AWS::SQS::QueuePolicy": {
      create: async (c) => {
        for (const url of c.properties.Queues) sqs.byUrl(url).policy = c.properties.PolicyDocument;
        return { physicalId: c.generatedName() };
      },
      update: async (c) => {
        for (const url of c.properties.Queues) sqs.byUrl(url).policy = c.properties.PolicyDocument;
        return {};
      },
      delete: async (r) => {
        for (const url of r.properties.Queues as string[]) sqs.byUrl(url).policy = undefined;
      },
    },
    "AWS::Events::EventBus": {
      create: async (c) => {
        const bus = events.createBus(c.properties.Name);
        return { physicalId: bus.name, attributes: { Arn: bus.arn, Name: bus.name } };
      },
    },
    "AWS::Events::Rule": {
      create: async (c) => {
        const name = c.properties.Name ?? c.generatedName(64);
        const busName = c.properties.EventBusName ?? "default";
        const rule = events.createRule(
          name,
          busName,
          c.properties.EventPattern,
          (c.properties.Targets ?? []) as RuleTarget[],
          c.properties.State !== "DISABLED",
        );
        return { physicalId: busName === "default" ? name : `${busName}|${name}`, attributes: { Arn: rule.arn } };
      },
      update: async (c) => {
        const ruleArn = c.previous.attributes.Arn as string;
        const old = events.rules.get(ruleArn)!;
        events.rules.delete(ruleArn);
        events.createRule(
          old.name,
          old.busName,
          c.properties.EventPattern,
          (c.properties.Targets ?? []) as RuleTarget[],
          c.properties.State !== "DISABLED",
        );
        return {};
      },
      delete: async (r) => void events.rules.delete(r.attributes.Arn as string),
    },
    "AWS::Logs::LogGroup": {
      create: async (c) => {
        const name = c.properties.LogGroupName ?? c.generatedName(512);
        return { physicalId: name, attributes: { Arn: arn(env, "logs", `log-group:${name}:*`) } };
      },
      update: async () => ({}),
    },
    "AWS::Lambda::Function": {
      create: async (c) => {
        const name = c.properties.FunctionName ?? c.generatedName(64);
        const fn: SimFunction = {
          name,
          arn: lambda.functionArn(name),
          config: functionConfig(c),
          ...(c.properties.ReservedConcurrentExecutions === undefined
            ? {}
            : { reservedConcurrency: Number(c.properties.ReservedConcurrentExecutions) }),
          policies: new Map(),
          versions: new Map(),
          nextVersion: 1,
          inFlight: 0,
          logs: [],
          asyncConfig: asyncConfigOf(c.properties),
        };
        lambda.functions.set(name, fn);
        return { physicalId: name, attributes: { Arn: fn.arn } };
      },
      update: async (c) => {
        const fn = lambda.functions.get(c.previous.physicalId)!;
        fn.config = functionConfig(c);
        fn.reservedConcurrency =
          c.properties.ReservedConcurrentExecutions === undefined ? undefined : Number(c.properties.ReservedConcurrentExecutions);
        fn.asyncConfig = { ...fn.asyncConfig, ...asyncConfigOf(c.properties) };
        return {};
      },
      delete: async (r) => void lambda.functions.delete(r.physicalId),
    },
    "AWS::Lambda::Version": {
      create: async (c) => {
        const { fn } = lambda.find(c.properties.FunctionName);
        const version = lambda.publish(fn);
        return { physicalId: `${fn.arn}:${version}`, attributes: { Version: version, FunctionArn: `${fn.arn}:${version}` } };
      },
      // Deleting a version a state machine version still invokes is what breaks runs in flight (defect 3).
      delete: async (r) => {
        const { fn, qualifier } = lambda.find(r.physicalId);
        fn.versions.delete(qualifier ?? "");
      },
    },
    "AWS::Lambda::Permission": {
      create: async (c) => {
        const { fn, qualifier } = lambda.find(c.properties.FunctionName);
        const list = fn.policies.get(qualifier ?? "") ?? [];
        const id = c.generatedName();
        list.push({ Statement: [{ Sid: id, ...permissionStatement(c.properties) }] });
        fn.policies.set(qualifier ?? "", list);
        return { physicalId: id };
      },
      delete: async (r) => {
        const { fn, qualifier } = lambda.find(r.properties.FunctionName as string);
        const list = fn.policies.get(qualifier ?? "") ?? [];
        fn.policies.set(
          qualifier ?? "",
          list.filter((d) => (d.Statement as PolicyStatement[])[0]?.Sid !== r.physicalId),
        );
      },
    },
    "AWS::Lambda::Url": {
      create: async (c) => {
        const { fn } = lambda.find(c.properties.TargetFunctionArn);
        const authorize = (action: string, context: Record<string, string | boolean>) =>
          account.authorize(ANONYMOUS, action, fn.arn, context, fn.policies.get("") ?? []);
        const server = new FunctionUrlServer(fn, lambda, authorize);
        await server.listen();
        s.closers.push(() => server.close());
        return { physicalId: fn.arn, attributes: { FunctionUrl: server.url, FunctionArn: fn.arn } };
      },
    },
    "AWS::Lambda::EventSourceMapping": {
      create: async (c) => {
        const { fn } = lambda.find(c.properties.FunctionName);
        const queue = sqs.byArn(c.properties.EventSourceArn);
        // Lambda checks at creation that the function's role may poll the queue.
        const role = { kind: "role" as const, arn: fn.config.roleArn, account: env.account };
        for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) sqs.authorize(role, action, queue);
        const mapping = new SqsEventSourceMapping(
          {
            queue,
            fn,
            batchSize: Number(c.properties.BatchSize ?? 10),
            reportBatchItemFailures: (c.properties.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
          },
          { sqs, lambda, account, background: s.background },
        );
        s.closers.push(() => mapping.close());
        const id = c.generatedName();
        esm.set(id, mapping);
        return { physicalId: id, attributes: { Id: id } };
      },
      delete: async (r) => {
        esm.get(r.physicalId)?.close();
        esm.delete(r.physicalId);
      },
    },
    "AWS::Lambda::EventInvokeConfig": {
      create: async (c) => {
        const fn = lambda.functions.get(nameOf(c.properties.FunctionName))!;
        fn.asyncConfig = {
          maximumRetryAttempts: Number(c.properties.MaximumRetryAttempts ?? 2),
          ...(c.properties.DestinationConfig?.OnFailure?.Destination
            ? { onFailure: c.properties.DestinationConfig.OnFailure.Destination }
            : {}),
        };
        return { physicalId: c.generatedName() };
      },
    },
    "AWS::SecretsManager::Secret": {
      create: async (c) => {
        const secret = secrets.create(c.properties.Name ?? c.generatedName(128), c.properties);
        return { physicalId: secret.arn, attributes: { Id: secret.arn } };
      },
      update: async () => ({}),
    },
    "AWS::StepFunctions::StateMachine": {
      create: async (c) => {
        const name = c.properties.StateMachineName ?? c.generatedName(80);
        const sm = sfn.put(name, c.properties.StateMachineType ?? "STANDARD", stateMachineDefinition(c.properties), c.properties.RoleArn);
        checkLogDelivery(c.properties, c.properties.RoleArn);
        return { physicalId: sm.arn, attributes: { Arn: sm.arn, Name: sm.name, StateMachineRevisionId: sm.current.revisionId } };
      },
      update: async (c) => {
        const sm = sfn.put(
          c.previous.attributes.Name as string,
          c.properties.StateMachineType ?? "STANDARD",
          stateMachineDefinition(c.properties),
          c.properties.RoleArn,
        );
        checkLogDelivery(c.properties, c.properties.RoleArn);
        return { attributes: { StateMachineRevisionId: sm.current.revisionId } };
      },
    },
    "AWS::StepFunctions::StateMachineVersion": {
      create: async (c) => {
        const sm = sfn.stateMachines.get(c.properties.StateMachineArn);
        if (!sm) throw new Error(`state machine ${c.properties.StateMachineArn} does not exist`);
        const versionArn = sfn.publish(sm, c.properties.StateMachineRevisionId);
        return { physicalId: versionArn, attributes: { Arn: versionArn } };
      },
      delete: async (r) => sfn.deleteVersion(r.physicalId),
    },
    "AWS::StepFunctions::StateMachineAlias": {
      create: async (c) => aliasProvider(c),
      update: async (c) => aliasProvider(c),
    },
    "AWS::Scheduler::Schedule": {
      create: async (c) => {
        const name = c.properties.Name ?? c.generatedName(64);
        s.schedules.set(name, c.properties);
        return { physicalId: name, attributes: { Arn: arn(env, "scheduler", `schedule/${c.properties.GroupName ?? "default"}/${name}`) } };
      },
      update: async (c) => {
        s.schedules.set(c.previous.physicalId, c.properties);
        return {};
      },
      delete: async (r) => void s.schedules.delete(r.physicalId),
    },
    "AWS::CloudFormation::Stack": {
      create: async (c) => nestedStack(c),
      update: async (c) => nestedStack(c, c.previous),
    },
  };

  function checkLogDelivery(props: Record<string, any>, roleArn: string): void {
    // Step Functions checks at create/update that the role may set up log delivery to the destination.
    if ((props.LoggingConfiguration?.Destinations ?? []).length === 0) return;
    account.authorize({ kind: "role", arn: roleArn, account: env.account }, "logs:CreateLogDelivery", "*");
  }

  function aliasProvider(c: ProviderContext): { physicalId: string; attributes: Record<string, unknown> } {
    const routing = (c.properties.RoutingConfiguration ?? []).map((r: any) => ({
      stateMachineVersionArn: r.StateMachineVersionArn,
      weight: Number(r.Weight),
    }));
    const smArn = routing[0]?.stateMachineVersionArn.split(":").slice(0, 7).join(":");
    const sm = sfn.stateMachines.get(smArn);
    if (!sm) throw new Error(`alias ${c.properties.Name} routes to unknown state machine ${smArn}`);
    sm.aliases.set(c.properties.Name, { routing });
    const aliasArn = `${sm.arn}:${c.properties.Name}`;
    return { physicalId: aliasArn, attributes: { Arn: aliasArn } };
  }

  async function nestedStack(
    c: ProviderContext,
    previous?: DeployedResource,
  ): Promise<{ physicalId: string; attributes: Record<string, unknown> }> {
    const template: Template = JSON.parse(fs.readFileSync(c.asset(String(c.properties.TemplateURL)), "utf8"));
    const name = (previous?.attributes["sim:StackName"] as string | undefined) ?? c.generatedName(128);
    const nested: SimStack = await s.cloudformation!.deploy(name, template, c.assemblyDir, c.properties.Parameters ?? {});
    return {
      physicalId: nested.id,
      attributes: {
        "sim:StackName": name,
        ...Object.fromEntries(Object.entries(nested.outputs).map(([k, o]) => [`Outputs.${k}`, o.value])),
      },
    };
  }
}
