import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** One acknowledged cdk-nag finding: the rule id as cdk-nag prints it and the reason a reviewer reads. */
interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/**
 * Records why a finding of a rule pack (cdk-nag's AwsSolutionsChecks) is accepted on `scope`. Uses CDK's
 * `Validations.of().acknowledge()`, so the reasons travel with the construct and show in the cloud assembly.
 */
export function acknowledge(scope: IConstruct, ...acknowledgements: Acknowledgement[]): void {
  for (const a of acknowledgements) Validations.of(scope).acknowledge(a);
}

/** Lambda's basic execution policy: only CloudWatch Logs writes, what every function needs. */
export const LAMBDA_BASIC_EXECUTION: Acknowledgement = {
  id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
  reason: "AWSLambdaBasicExecutionRole grants only CloudWatch Logs writes (CreateLogStream, PutLogEvents), which every function needs",
};

/** The runtime is pinned on purpose, not left to a default. */
export const PINNED_RUNTIME: Acknowledgement = {
  id: "AwsSolutions::AwsSolutions-L1",
  reason: "Node.js 22.x is pinned explicitly so deployments are reproducible and match what stepjobs is tested on; raise it deliberately",
};
