import { randomBytes } from "node:crypto";
import { type Environment, arn } from "./arn.ts";
import { type Caller, type PolicyDocument, type RequestContext, evaluate } from "./iam-policy.ts";

/**
 * The simulated account's identities: IAM roles with their policies, the credentials handed to whoever assumes
 * them (a Lambda function, a state machine, a schedule), and every authorization decision. An unauthorized call
 * is recorded as a {@link Denial} (the lane fails on any) and answered `AccessDeniedException`, as AWS answers it.
 */

/** An IAM role as the template defines it. */
export interface SimRole {
  readonly name: string;
  readonly arn: string;
  assumeRolePolicy: PolicyDocument;
  /** Inline policies (the role's `Policies` and every `AWS::IAM::Policy` attached to it), by name. */
  readonly policies: Map<string, PolicyDocument>;
  managedPolicyArns: string[];
}

/** A call AWS would refuse. */
export interface Denial {
  readonly caller: string;
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
  readonly reason: string;
}

/** What AWS answers to an unauthorized call (the SDK's error name). */
export class AccessDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AccessDeniedException";
  }
}

/**
 * AWS managed policies the stack may attach, with their documents as AWS publishes them. Any other managed
 * policy fails the deploy: the simulator does not guess what it grants.
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
 */
const MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  "service-role/AWSLambdaBasicExecutionRole": {
    Statement: [{ Effect: "Allow", Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], Resource: "*" }],
  },
};

/** The managed policy's document; throws for one the simulator does not know. */
export function managedPolicy(policyArn: string): PolicyDocument {
  const name = policyArn.split(":policy/")[1];
  const doc = name === undefined ? undefined : MANAGED_POLICIES[name];
  if (!doc) throw new Error(`the stack simulator does not know managed policy ${policyArn}`);
  return doc;
}

/** Credentials of one assumed role (what Lambda puts in AWS_ACCESS_KEY_ID, ...). */
export interface SimCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export class SimAccount {
  readonly env: Environment;
  readonly roles = new Map<string, SimRole>();
  readonly denials: Denial[] = [];
  /** Every allowed call, for tests that check a path was actually authorized (not skipped). */
  readonly allowed: { caller: string; action: string; resource: string }[] = [];
  private readonly byAccessKey = new Map<string, Caller>();

  constructor(env: Environment) {
    this.env = env;
  }

  /** The role ARN for a role name. */
  roleArn(name: string): string {
    return arn(this.env, "iam", `role/${name}`, { region: "" });
  }

  /**
   * A service assumes `roleArn` (Lambda for a function, Step Functions for a state machine, Scheduler for a
   * schedule): the role's trust policy must allow `sts:AssumeRole` by that service principal.
   */
  assumeRole(roleArn: string, servicePrincipal: string): { caller: Caller; credentials: SimCredentials } {
    const role = this.roles.get(roleArn);
    if (!role) throw new Error(`role ${roleArn} does not exist`);
    // The service assumes the role for a resource of this account (confused-deputy conditions check that).
    const verdict = evaluate(
      {
        caller: { kind: "service", service: servicePrincipal },
        action: "sts:AssumeRole",
        resource: roleArn,
        context: { "aws:SourceAccount": this.env.account },
      },
      [],
      [role.assumeRolePolicy],
    );
    if (verdict.decision !== "ALLOW") {
      this.deny(
        servicePrincipal,
        "sts:AssumeRole",
        roleArn,
        {},
        `the trust policy of ${role.name} does not let ${servicePrincipal} assume it`,
      );
    }
    const caller: Caller = { kind: "role", arn: roleArn, account: this.env.account };
    return { caller, credentials: this.issue(caller) };
  }

  /** Fresh credentials that identify `caller` to the endpoint (the secret is never checked: no signatures here). */
  issue(caller: Caller): SimCredentials {
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    this.byAccessKey.set(accessKeyId, caller);
    return { accessKeyId, secretAccessKey: randomBytes(20).toString("hex"), sessionToken: randomBytes(16).toString("hex") };
  }

  /** The caller a request's access key identifies; undefined for a key this account never issued. */
  callerFor(accessKeyId: string): Caller | undefined {
    return this.byAccessKey.get(accessKeyId);
  }

  /** The identity policies of a role caller (inline, attached and managed). */
  identityPolicies(caller: Caller): PolicyDocument[] {
    if (caller.kind !== "role") return [];
    const role = this.roles.get(caller.arn);
    if (!role) return [];
    return [...role.policies.values(), ...role.managedPolicyArns.map(managedPolicy)];
  }

  /**
   * Authorizes one call; on refusal records the denial and throws {@link AccessDeniedError} with AWS's wording.
   * `resourcePolicies` are the target's resource-based policies (function policy, queue policy, ...).
   */
  authorize(
    caller: Caller,
    action: string,
    resource: string,
    context: RequestContext = {},
    resourcePolicies: readonly PolicyDocument[] = [],
  ): void {
    const verdict = evaluate({ caller, action, resource, context }, this.identityPolicies(caller), resourcePolicies);
    const who = caller.kind === "role" ? caller.arn : caller.service;
    if (verdict.decision === "ALLOW") {
      this.allowed.push({ caller: who, action, resource });
      return;
    }
    this.deny(who, action, resource, context, verdict.reason);
  }

  private deny(caller: string, action: string, resource: string, context: RequestContext, reason: string): never {
    this.denials.push({ caller, action, resource, context, reason });
    throw new AccessDeniedError(`User: ${caller} is not authorized to perform: ${action} on resource: ${resource} (${reason})`);
  }
}
