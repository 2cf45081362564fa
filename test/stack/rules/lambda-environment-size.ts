import { resourcesOf, where, type StaticRule } from "./types.ts";

/** Lambda: a function's environment variables total at most 4 KB (keys and values). https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const lambdaEnvironmentSize: StaticRule = (app) =>
  resourcesOf(app, "AWS::Lambda::Function").flatMap(({ stack, resource }) => {
    const variables = ((resource.properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {}) as Record<
      string,
      string
    >;
    const bytes = Object.entries(variables).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0);
    return bytes > 4096 ? [`${where(stack, resource)}: environment is ${bytes} bytes, Lambda allows 4,096`] : [];
  });
