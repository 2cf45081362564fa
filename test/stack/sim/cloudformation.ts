import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { SimAccount } from "./account.ts";
import { arn } from "./arn.ts";
import { escapeXml } from "./endpoint.ts";
import type { Caller } from "./iam-policy.ts";
import { referencedIds, resolveValue, type ResolveContext } from "./intrinsics.ts";
import type { ResourceSpec } from "./resource-spec.ts";

/**
 * CloudFormation, as far as deploying a synthesized cloud assembly needs: resources created in dependency order
 * with CloudFormation-style generated names, intrinsic functions resolved, nested stacks, outputs, and updates that
 * create new resources, update or replace changed ones (replacement when the resource specification says a changed
 * property requires it) and delete removed ones last, honouring `DeletionPolicy`/`UpdateReplacePolicy: Retain`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html
 */

/** A template as synthesized. */
export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
  readonly Parameters?: Record<string, { Type: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Rules?: unknown;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** A resource as deployed. */
export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly physicalId: string;
  readonly attributes: Record<string, unknown>;
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
  readonly metadata?: Record<string, unknown>;
}

/** What a provider needs to create or update one resource. */
export interface ProviderContext {
  readonly stack: SimStack;
  readonly logicalId: string;
  readonly properties: Record<string, any>;
  readonly metadata: Record<string, unknown>;
  /** A CloudFormation-style generated physical name (`<stack>-<logicalId>-<random>`), at most `max` characters. */
  generatedName(max?: number, separator?: string): string;
  /** The cloud assembly directory. */
  readonly assemblyDir: string;
  /**
   * The local path of an asset `cdk deploy` published under S3 object key `key` (a function's zipped directory, a
   * nested stack's template), read from the assembly's asset manifests as the CLI's publishing step reads them.
   */
  asset(key: string): string;
  readonly previous?: DeployedResource;
}

/** Creates, updates and deletes the resources of one type. */
export interface ResourceProvider {
  create(context: ProviderContext): Promise<{ physicalId: string; attributes?: Record<string, unknown> }>;
  /** An update in place; without it every change replaces. */
  update?(
    context: ProviderContext & { previous: DeployedResource },
  ): Promise<{ physicalId?: string; attributes?: Record<string, unknown> }>;
  delete?(resource: DeployedResource, stack: SimStack): Promise<void>;
}

/** A deploy CloudFormation would refuse or roll back, naming the resource and why. */
export class DeployError extends Error {
  constructor(stack: string, logicalId: string, message: string) {
    super(`${stack}/${logicalId}: ${message}`);
    this.name = "DeployError";
  }
}

export class SimStack {
  readonly name: string;
  readonly id: string;
  readonly resources = new Map<string, DeployedResource>();
  /** Resources retained by a DeletionPolicy/UpdateReplacePolicy after they left the template. */
  readonly retained: DeployedResource[] = [];
  outputs: Record<string, { value: string; description?: string }> = {};
  template?: Template;

  constructor(name: string, id: string) {
    this.name = name;
    this.id = id;
  }

  /** The deployed resource of a logical id. */
  resource(logicalId: string): DeployedResource {
    const found = this.resources.get(logicalId);
    if (!found) throw new Error(`${this.name} has no resource ${logicalId}`);
    return found;
  }
}

export class CloudFormation {
  readonly stacks = new Map<string, SimStack>();
  private readonly account: SimAccount;
  private readonly providers: Readonly<Record<string, ResourceProvider>>;
  private readonly spec: ResourceSpec;

  constructor(account: SimAccount, providers: Readonly<Record<string, ResourceProvider>>, spec: ResourceSpec) {
    this.account = account;
    this.providers = providers;
    this.spec = spec;
  }

  /** Creates the stack, or updates it to `template`. */
  async deploy(stackName: string, template: Template, assemblyDir: string, parameters: Record<string, unknown> = {}): Promise<SimStack> {
    let stack = this.stacks.get(stackName);
    if (!stack) {
      stack = new SimStack(stackName, arn(this.account.env, "cloudformation", `stack/${stackName}/${randomBytes(16).toString("hex")}`));
      this.stacks.set(stackName, stack);
    }
    const pseudo = {
      "AWS::Partition": this.account.env.partition,
      "AWS::Region": this.account.env.region,
      "AWS::AccountId": this.account.env.account,
      "AWS::URLSuffix": this.account.env.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com",
      "AWS::StackName": stack.name,
      "AWS::StackId": stack.id,
      "AWS::NotificationARNs": [],
    };
    const params: Record<string, unknown> = { ...pseudo };
    for (const [name, p] of Object.entries(template.Parameters ?? {})) {
      // CDK's BootstrapVersion parameter reads SSM; the simulated account is bootstrapped at the current version.
      params[name] = parameters[name] ?? (name === "BootstrapVersion" ? "30" : p.Default);
      if (params[name] === undefined) throw new DeployError(stackName, name, "parameter has no value");
    }
    const previous = new Map(stack.resources);
    const next = new Map<string, DeployedResource>();
    const context: ResolveContext = {
      parameters: params,
      conditions: template.Conditions,
      mappings: template.Mappings,
      ref: (id) => this.lookup(next, stackName, id).physicalId,
      getAtt: (id, attribute) => {
        const resource = this.lookup(next, stackName, id);
        if (!Object.hasOwn(resource.attributes, attribute)) {
          throw new DeployError(
            stackName,
            id,
            `Fn::GetAtt of unknown attribute ${attribute} (has ${Object.keys(resource.attributes).join(", ")})`,
          );
        }
        return resource.attributes[attribute];
      },
    };
    const replaced: DeployedResource[] = [];
    for (const logicalId of order(template, stackName)) {
      const resource = template.Resources[logicalId];
      if (!resource) continue;
      if (resource.Condition && !resolveValue({ Condition: resource.Condition }, context)) continue;
      const properties = (resolveValue(resource.Properties ?? {}, context) ?? {}) as Record<string, any>;
      const problems = this.spec.validate(resource.Type, properties);
      if (problems.length > 0 && resource.Type !== "AWS::CDK::Metadata") {
        throw new DeployError(stackName, logicalId, `properties do not match the ${resource.Type} specification: ${problems.join("; ")}`);
      }
      const provider = this.providers[resource.Type];
      if (!provider) throw new DeployError(stackName, logicalId, `the stack simulator does not implement ${resource.Type}`);
      const old = previous.get(logicalId);
      const providerContext: ProviderContext = {
        stack,
        logicalId,
        properties,
        metadata: resource.Metadata ?? {},
        assemblyDir,
        asset: (key) => assetPath(assemblyDir, key),
        generatedName: (max = 64, separator = "-") => generatedName(stack!.name, logicalId, max, separator),
        ...(old ? { previous: old } : {}),
      };
      let created: { physicalId: string; attributes?: Record<string, unknown> };
      try {
        if (old && old.type === resource.Type && JSON.stringify(old.properties) === JSON.stringify(properties)) {
          next.set(logicalId, old);
          continue;
        }
        const replaces =
          old !== undefined &&
          (old.type !== resource.Type || !provider.update || this.changedReplaces(resource.Type, old.properties, properties));
        if (old && !replaces) {
          const updated = await provider.update!({ ...providerContext, previous: old });
          created = { physicalId: updated.physicalId ?? old.physicalId, attributes: { ...old.attributes, ...updated.attributes } };
        } else {
          if (old) replaced.push(old);
          created = await provider.create(providerContext);
        }
      } catch (error) {
        if (error instanceof DeployError) throw error;
        throw new DeployError(stackName, logicalId, `${(error as Error).name}: ${(error as Error).message}`);
      }
      next.set(logicalId, {
        logicalId,
        type: resource.Type,
        properties,
        physicalId: created.physicalId,
        attributes: created.attributes ?? {},
        ...(resource.DeletionPolicy ? { deletionPolicy: resource.DeletionPolicy } : {}),
        ...(resource.UpdateReplacePolicy ? { updateReplacePolicy: resource.UpdateReplacePolicy } : {}),
        metadata: resource.Metadata ?? {},
      });
    }
    stack.resources.clear();
    for (const [id, r] of next) stack.resources.set(id, r);
    stack.template = template;
    stack.outputs = Object.fromEntries(
      Object.entries(template.Outputs ?? {}).map(([key, o]) => [
        key,
        { value: String(resolveValue(o.Value, context)), ...(o.Description ? { description: o.Description } : {}) },
      ]),
    );
    // Cleanup phase: replaced resources, then resources no longer in the template, unless retained.
    for (const old of replaced) await this.remove(old, stack, old.updateReplacePolicy);
    for (const [id, old] of previous) if (!next.has(id)) await this.remove(old, stack, old.deletionPolicy);
    return stack;
  }

  private changedReplaces(type: string, before: Record<string, unknown>, after: Record<string, unknown>): boolean {
    const names = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...names].some((n) => JSON.stringify(before[n]) !== JSON.stringify(after[n]) && this.spec.replacesOnChange(type, n));
  }

  private async remove(resource: DeployedResource, stack: SimStack, policy: string | undefined): Promise<void> {
    if (policy === "Retain" || policy === "RetainExceptOnCreate") {
      stack.retained.push(resource);
      return;
    }
    await this.providers[resource.type]?.delete?.(resource, stack);
  }

  private lookup(resources: Map<string, DeployedResource>, stackName: string, id: string): DeployedResource {
    const found = resources.get(id);
    if (!found) throw new DeployError(stackName, id, "referenced before it was created (or it does not exist)");
    return found;
  }

  /** `DescribeStacks` (query protocol): what the CLI reads to find a deployed app. */
  async handle(action: string, params: URLSearchParams, caller: Caller): Promise<string> {
    if (action !== "DescribeStacks")
      throw Object.assign(new Error(`the stack simulator does not implement cloudformation ${action}`), { name: "UnsupportedOperation" });
    const name = params.get("StackName") ?? "";
    const stack = this.stacks.get(name);
    this.account.authorize(
      caller,
      "cloudformation:DescribeStacks",
      stack?.id ?? arn(this.account.env, "cloudformation", `stack/${name}/*`),
    );
    if (!stack) throw Object.assign(new Error(`Stack with id ${name} does not exist`), { name: "ValidationError" });
    const outputs = Object.entries(stack.outputs)
      .map(
        ([key, o]) =>
          `<member><OutputKey>${escapeXml(key)}</OutputKey><OutputValue>${escapeXml(o.value)}</OutputValue>${o.description ? `<Description>${escapeXml(o.description)}</Description>` : ""}</member>`,
      )
      .join("");
    return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${escapeXml(stack.name)}</StackName><StackId>${escapeXml(stack.id)}</StackId><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-12-04T00:00:00Z</CreationTime><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></DescribeStacksResponse>`;
  }
}

/**
 * `<stack>-<logicalId>-<12 random>` cut to `max` characters, as CloudFormation names resources it names: both parts
 * are shortened to fit, the logical id keeping at least half the room, so a nested stack's long name never hides it.
 */
export function generatedName(stackName: string, logicalId: string, max: number, separator = "-"): string {
  const suffix = randomBytes(6).toString("hex").toUpperCase();
  const room = max - suffix.length - 2 * separator.length;
  const logical = logicalId.slice(0, Math.max(Math.ceil(room / 2), room - stackName.length));
  const stack = stackName.slice(0, Math.max(1, room - logical.length));
  return `${stack}${separator}${logical}${separator}${suffix}`;
}

/** Logical ids in an order where every resource comes after what it references or depends on. */
export function order(template: Template, stackName: string): string[] {
  const ids = Object.keys(template.Resources);
  const deps = new Map(
    Object.entries(template.Resources).map(([id, r]) => {
      const refs = referencedIds(r.Properties ?? {});
      for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
      return [id, [...refs].filter((d) => Object.hasOwn(template.Resources, d))];
    }),
  );
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: string[] = [];
  const visit = (id: string) => {
    if (done.has(id)) return;
    if (visiting.has(id)) throw new DeployError(stackName, id, "circular dependency");
    visiting.add(id);
    for (const d of deps.get(id) ?? []) visit(d);
    visiting.delete(id);
    done.add(id);
    out.push(id);
  };
  for (const id of ids) visit(id);
  return out;
}

/** The local source of the asset published under S3 object key `key` (`<hash>.zip`, `<hash>.json`). */
export function assetPath(assemblyDir: string, key: string): string {
  const objectKey = key.split("/").at(-1) ?? key;
  for (const file of fs.readdirSync(assemblyDir).filter((f) => f.endsWith(".assets.json"))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, file), "utf8")) as {
      files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
    };
    for (const entry of Object.values(manifest.files ?? {})) {
      if (Object.values(entry.destinations).some((d) => d.objectKey === objectKey)) return path.join(assemblyDir, entry.source.path);
    }
  }
  throw new Error(`no asset in ${assemblyDir} is published as ${objectKey}`);
}

/** Reads a template file of the assembly. */
export function readTemplate(assemblyDir: string, file: string): Template {
  return JSON.parse(fs.readFileSync(path.join(assemblyDir, file), "utf8")) as Template;
}
