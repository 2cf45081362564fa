import { resourcesOf, where, type StaticRule } from "./types.ts";

/**
 * Step Functions logs to log groups named under `/aws/vendedlogs/`: for any other name CloudWatch Logs adds the
 * group to its resource policy, whose 5,120 characters fill up once an account has enough groups and then fail the
 * deploy. https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
 */
export const vendedLogGroups: StaticRule = (app) =>
  resourcesOf(app, "AWS::StepFunctions::StateMachine").flatMap(({ stack, resource }) => {
    const destinations = ((
      resource.properties.LoggingConfiguration as { Destinations?: { CloudWatchLogsLogGroup: { LogGroupArn: string } }[] } | undefined
    )?.Destinations ?? []) as { CloudWatchLogsLogGroup: { LogGroupArn: string } }[];
    return destinations
      .map((d) => d.CloudWatchLogsLogGroup.LogGroupArn)
      .filter((arn) => !arn.includes(":log-group:/aws/vendedlogs/"))
      .map((arn) => `${where(stack, resource)} logs to ${arn}, not under /aws/vendedlogs/`);
  });
