import { lambdaEnvironmentSize } from "./lambda-environment-size.ts";
import { nameLengths } from "./name-lengths.ts";
import { retainedVersions } from "./retained-versions.ts";
import { rolePolicySize } from "./role-policy-size.ts";
import { sqsPolicySize } from "./sqs-policy-size.ts";
import { stackResourceCount } from "./stack-resource-count.ts";
import type { StaticRule } from "./types.ts";
import { vendedLogGroups } from "./vended-log-groups.ts";

export { iamActionsExist } from "./iam-actions-exist.ts";

/** Every synchronous static rule, by name (the file it lives in). */
export const STATIC_RULES: Readonly<Record<string, StaticRule>> = {
  "stack-resource-count": stackResourceCount,
  "sqs-policy-size": sqsPolicySize,
  "lambda-environment-size": lambdaEnvironmentSize,
  "name-lengths": nameLengths,
  "retained-versions": retainedVersions,
  "vended-log-groups": vendedLogGroups,
  "role-policy-size": rolePolicySize,
};
