import type { StaticRule } from "./types.ts";

/** CloudFormation: at most 500 resources, 200 outputs and 200 parameters per stack (nested stacks count on their own). https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
export const stackResourceCount: StaticRule = (app) =>
  app.stacks.flatMap((stack) => {
    const template = stack.template!;
    const counts: [string, number, number][] = [
      ["resources", Object.keys(template.Resources).length, 500],
      ["outputs", Object.keys(template.Outputs ?? {}).length, 200],
      ["parameters", Object.keys(template.Parameters ?? {}).length, 200],
    ];
    return counts.filter(([, n, max]) => n > max).map(([what, n, max]) => `${stack.name}: ${n} ${what}, CloudFormation allows ${max}`);
  });
