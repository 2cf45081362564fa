import { resourcesOf, where, type StaticRule } from "./types.ts";

/**
 * A state machine version keeps invoking the runner version it was deployed with, so every Lambda version a state
 * machine's definition names, and every state machine version, must survive a deploy that replaces it
 * (DeletionPolicy and UpdateReplacePolicy Retain); otherwise runs in flight fail with Lambda.ResourceNotFoundException.
 */
export const retainedVersions: StaticRule = (app) => {
  const versions = new Map(resourcesOf(app, "AWS::Lambda::Version").map((v) => [v.resource.physicalId, v]));
  const violations: string[] = [];
  for (const { stack, resource } of resourcesOf(app, "AWS::StepFunctions::StateMachine")) {
    for (const value of Object.values((resource.properties.DefinitionSubstitutions ?? {}) as Record<string, string>)) {
      const version = versions.get(value);
      if (version && (version.resource.deletionPolicy !== "Retain" || version.resource.updateReplacePolicy !== "Retain")) {
        violations.push(`${where(stack, resource)} invokes ${where(version.stack, version.resource)}, which a deploy would delete`);
      }
    }
  }
  for (const { stack, resource } of resourcesOf(app, "AWS::StepFunctions::StateMachineVersion")) {
    if (resource.deletionPolicy !== "Retain" || resource.updateReplacePolicy !== "Retain")
      violations.push(`${where(stack, resource)} is not retained`);
  }
  return violations;
};
