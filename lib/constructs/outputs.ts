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
} as const;

/** Description prefix of each job's state machine output; the job id follows it. */
export const JOB_OUTPUT_PREFIX = "stepjobs state machine of job ";

/** An output key part from a job id (output keys are alphanumeric): `my-first-workflow` -> `MyFirstWorkflow`. */
export function outputKeyPart(jobId: string): string {
  return jobId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}
