/**
 * IAM policy evaluation for one account, as AWS documents it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny in any applicable policy wins; otherwise a request is allowed when an identity-based policy of the
 * caller or a resource-based policy naming the caller allows it. Only what CDK emits is modelled: `Action`/`NotAction`,
 * `Resource`/`NotResource`, `Principal` (`*`, `AWS`, `Service`), and the string, ARN, Bool and Null condition
 * operators with the `ForAnyValue:`/`ForAllValues:` set prefixes and the `IfExists` suffix. Pure.
 */

/** One statement of a policy document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: "*" | { readonly AWS?: string | readonly string[]; readonly Service?: string | readonly string[] };
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A policy document (identity- or resource-based). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** Who makes a request: an IAM role (its sessions) or an AWS service acting for a resource (`events.amazonaws.com`). */
export type Caller =
  { readonly kind: "role"; readonly arn: string; readonly account: string } | { readonly kind: "service"; readonly service: string };

/** Values of the request context keys (`aws:SourceArn`, `states:StateMachineQualifier`, ...). */
export type RequestContext = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** One authorization question. */
export interface AuthorizationRequest {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
}

/** The answer, with the statement that decided it (or why none did). */
export type Verdict =
  | { readonly decision: "ALLOW"; readonly by: "identity" | "resource"; readonly sid?: string }
  | { readonly decision: "DENY"; readonly explicit: boolean; readonly reason: string };

const list = (v: string | readonly string[] | undefined): readonly string[] => (v === undefined ? [] : typeof v === "string" ? [v] : v);

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

function statementsOf(doc: PolicyDocument): readonly PolicyStatement[] {
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as PolicyStatement];
}

function actionMatches(s: PolicyStatement, action: string): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => wildcardMatch(p, action, true));
  return list(s.Action).some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(s: PolicyStatement, resource: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((p) => wildcardMatch(p, resource));
  // A resource-based policy may leave Resource out: it then applies to the resource it is attached to.
  if (s.Resource === undefined) return true;
  return list(s.Resource).some((p) => wildcardMatch(p, resource));
}

/**
 * Whether a resource-policy statement names the caller. An account principal (`123456789012` or `...:root`)
 * delegates to the account's identity policies: it never grants by itself, so it only counts for Deny.
 */
function principalMatches(s: PolicyStatement, caller: Caller, effect: "Allow" | "Deny"): boolean {
  const p = s.Principal;
  if (p === undefined) return false;
  if (p === "*") return true;
  if (caller.kind === "service") return list(p.Service).includes(caller.service);
  return list(p.AWS).some((aws) => {
    if (aws === "*" || aws === caller.arn) return true;
    const isAccount = aws === caller.account || aws.endsWith(`:iam::${caller.account}:root`);
    return isAccount && effect === "Deny";
  });
}

function contextValues(context: RequestContext, key: string): readonly string[] | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  const value = found === undefined ? undefined : context[found];
  if (value === undefined) return undefined;
  return typeof value === "boolean" ? [String(value)] : typeof value === "string" ? [value] : value;
}

/** One condition operator (without set prefix or IfExists) on one context value. */
function compare(operator: string, actual: string, expected: string): boolean {
  switch (operator) {
    case "StringEquals":
    case "ArnEquals":
      return actual === expected;
    case "StringEqualsIgnoreCase":
      return actual.toLowerCase() === expected.toLowerCase();
    case "StringLike":
    case "ArnLike":
      return wildcardMatch(expected, actual);
    case "Bool":
      return actual.toLowerCase() === expected.toLowerCase();
    default:
      throw new Error(`the IAM simulator does not implement condition operator ${operator}`);
  }
}

const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

function conditionHolds(operatorWithModifiers: string, key: string, expectedRaw: unknown, context: RequestContext): boolean {
  let operator = operatorWithModifiers;
  let set: "any" | "all" | undefined;
  if (operator.startsWith("ForAnyValue:")) [set, operator] = ["any", operator.slice("ForAnyValue:".length)];
  else if (operator.startsWith("ForAllValues:")) [set, operator] = ["all", operator.slice("ForAllValues:".length)];
  const ifExists = operator.endsWith("IfExists");
  if (ifExists) operator = operator.slice(0, -"IfExists".length);
  const expected = (Array.isArray(expectedRaw) ? expectedRaw : [expectedRaw]).map(String);
  const actual = contextValues(context, key);
  if (operator === "Null") return expected.some((e) => (e === "true") === (actual === undefined));
  if (actual === undefined) return ifExists || set === "all";
  const negated = NEGATED[operator];
  const test = (value: string) =>
    negated ? !expected.some((e) => compare(negated, value, e)) : expected.some((e) => compare(operator, value, e));
  if (set === "all") return actual.every(test);
  return actual.some(test);
}

function conditionsHold(s: PolicyStatement, context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) if (!conditionHolds(operator, key, expected, context)) return false;
  }
  return true;
}

function applies(s: PolicyStatement, request: AuthorizationRequest): boolean {
  return actionMatches(s, request.action) && resourceMatches(s, request.resource) && conditionsHold(s, request.context ?? {});
}

/** Evaluates one request against the caller's identity policies and the resource's policies. */
export function evaluate(
  request: AuthorizationRequest,
  identityPolicies: readonly PolicyDocument[],
  resourcePolicies: readonly PolicyDocument[] = [],
): Verdict {
  // A service principal has no identity policies: only the resource's policy can let it in.
  const identity = request.caller.kind === "role" ? identityPolicies.flatMap(statementsOf) : [];
  const resource = resourcePolicies.flatMap(statementsOf);
  const deny =
    identity.find((s) => s.Effect === "Deny" && applies(s, request)) ??
    resource.find((s) => s.Effect === "Deny" && principalMatches(s, request.caller, "Deny") && applies(s, request));
  if (deny) return { decision: "DENY", explicit: true, reason: `explicitly denied by statement ${deny.Sid ?? JSON.stringify(deny)}` };
  const byIdentity = identity.find((s) => s.Effect === "Allow" && applies(s, request));
  if (byIdentity) return { decision: "ALLOW", by: "identity", ...(byIdentity.Sid ? { sid: byIdentity.Sid } : {}) };
  const byResource = resource.find((s) => s.Effect === "Allow" && principalMatches(s, request.caller, "Allow") && applies(s, request));
  if (byResource) return { decision: "ALLOW", by: "resource", ...(byResource.Sid ? { sid: byResource.Sid } : {}) };
  return { decision: "DENY", explicit: false, reason: "no statement allows it (implicit deny)" };
}
