import { resourcesOf, type StaticRule } from "./types.ts";

/**
 * IAM: a role's inline policies total at most 10,240 characters (whitespace not counted), so a grant per job stops
 * an app long before it has 150 jobs. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const rolePolicySize: StaticRule = (app) => {
  const size = new Map<string, number>();
  for (const { resource } of resourcesOf(app, "AWS::IAM::Policy")) {
    const characters = JSON.stringify(resource.properties.PolicyDocument).replace(/\s/g, "").length;
    for (const role of (resource.properties.Roles ?? []) as string[]) size.set(role, (size.get(role) ?? 0) + characters);
  }
  for (const { resource } of resourcesOf(app, "AWS::IAM::Role")) {
    const inline = ((resource.properties.Policies ?? []) as { PolicyDocument: unknown }[]).reduce(
      (sum, p) => sum + JSON.stringify(p.PolicyDocument).replace(/\s/g, "").length,
      0,
    );
    size.set(resource.physicalId, (size.get(resource.physicalId) ?? 0) + inline);
  }
  return [...size].filter(([, n]) => n > 10_240).map(([role, n]) => `role ${role}: inline policies are ${n} characters, IAM allows 10,240`);
};
