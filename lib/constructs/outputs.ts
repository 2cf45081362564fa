/**
 * The stack outputs of a `StepJobs` app, named once for the construct that writes them and the CLI that reads
 * them (`stepjobs ... --aws`, via CloudFormation DescribeStacks). No CDK import: the CLI loads this without CDK.
 */

/** Stack output keys the CLI reads (`stepjobs ... --aws`, via DescribeStacks). */
export const OUTPUT_KEYS = {
  eventBus: "EventBusName",
  deadLetterQueue: "DeadLetterQueueUrl",
  apiUrl: "ApiUrl",
  apiKeySecret: "ApiKeySecretArn",
  table: "TableName",
  ingestQueue: "IngestQueueUrl",
  jobNamePrefix: "JobNamePrefix",
} as const;
