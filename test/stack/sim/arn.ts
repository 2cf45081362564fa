/**
 * ARNs as the simulated account builds and reads them. Formats follow the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 */

/** Where the simulated stack is deployed. */
export interface Environment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The default simulated environment (us-east-1, a documentation account id). */
export const DEFAULT_ENV: Environment = { partition: "aws", region: "us-east-1", account: "123456789012" };

/** The partition a region belongs to (China regions are `aws-cn`, GovCloud `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function arn(env: Environment, service: string, resource: string, options: { region?: string; account?: string } = {}): string {
  return `arn:${env.partition}:${service}:${options.region ?? env.region}:${options.account ?? env.account}:${resource}`;
}

/** The parts of an ARN (`resource` keeps its own `:` and `/`). */
export interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Splits an ARN; undefined for anything that is not one. */
export function parseArn(text: string): ArnParts | undefined {
  const [arn, partition, service, region, account, ...resource] = text.split(":");
  if (
    arn !== "arn" ||
    partition === undefined ||
    service === undefined ||
    region === undefined ||
    account === undefined ||
    resource.length === 0
  )
    return undefined;
  return { partition, service, region, account, resource: resource.join(":") };
}

/**
 * A state machine ARN without its qualifier, and the qualifier (version number or alias name). Step Functions
 * authorizes calls on versions and aliases against the unqualified ARN, with the qualifier in the
 * `states:StateMachineQualifier` context key (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html).
 */
export function splitStateMachineArn(text: string): { readonly arn: string; readonly qualifier?: string } {
  const parts = text.split(":");
  // arn:partition:states:region:account:stateMachine:name[:qualifier]
  if (parts.length === 8) return { arn: parts.slice(0, 7).join(":"), qualifier: parts[7] };
  return { arn: text };
}

/** A Lambda function ARN or name without its qualifier, and the qualifier (`$LATEST`, a version number or an alias). */
export function splitFunctionRef(text: string): { readonly name: string; readonly qualifier?: string } {
  const parsed = parseArn(text);
  if (!parsed) {
    const [name = "", qualifier] = text.split(":");
    return qualifier === undefined ? { name } : { name, qualifier };
  }
  const [, name = "", qualifier] = parsed.resource.split(":");
  return qualifier === undefined ? { name } : { name, qualifier };
}
