import type { DeployedResource, SimStack } from "../sim/cloudformation.ts";

/**
 * What a static rule reads: every stack of a deployed app (the stack and its nested stacks) with its resources as
 * CloudFormation resolved them, so sizes and names are the real ones, not the template's unresolved intrinsics.
 * Each rule lives in a file of its own (cdk-nag's layout) and returns its violations, one line each; none: compliant.
 */
export interface DeployedApp {
  readonly stacks: readonly SimStack[];
}

/** A rule: a limit AWS enforces at deploy time or in production that an emulator cannot show by running. */
export type StaticRule = (app: DeployedApp) => string[];

/** Every deployed resource of the app with the stack it is in. */
export function resourcesOf(app: DeployedApp, type?: string): { stack: SimStack; resource: DeployedResource }[] {
  return app.stacks.flatMap((stack) =>
    [...stack.resources.values()].filter((r) => type === undefined || r.type === type).map((resource) => ({ stack, resource })),
  );
}

/** Where a violation is: `<stack>/<logicalId>`. */
export function where(stack: SimStack, resource: DeployedResource): string {
  return `${stack.name}/${resource.logicalId}`;
}
