import { Duration, RemovalPolicy } from "aws-cdk-lib";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { acknowledge, LAMBDA_BASIC_EXECUTION, PINNED_RUNTIME } from "./acknowledge-findings.ts";

/** Properties of {@link stepJobsFunction}. */
export interface StepJobsFunctionProps {
  /** The bundle directory (`index.js`, from {@link bundleLambdas}). */
  readonly bundle: string;
  readonly description: string;
  /** Where the function logs (several functions may share one group). */
  readonly logGroup: logs.ILogGroup;
  /** @default a role of its own with AWSLambdaBasicExecutionRole */
  readonly role?: iam.IRole;
  /** @default a name CloudFormation generates */
  readonly functionName?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default {} (NODE_OPTIONS=--enable-source-maps is always set) */
  readonly environment?: Record<string, string>;
  /** @default false */
  readonly tracing?: boolean;
  /** @default no reservation */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Every stepjobs Lambda is built the same way: the code is a bundle from {@link bundleLambdas}, Node.js 22 pinned
 * explicitly, arm64, source maps on. Its published versions are retained when a deploy replaces them: a state
 * machine version (kept for the runs in flight on it) invokes the runner version it was deployed with, and
 * CloudFormation would otherwise delete that version and fail those runs with `Lambda.ResourceNotFoundException`.
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.VersionOptions.html
 */
export function stepJobsFunction(scope: Construct, id: string, props: StepJobsFunctionProps): lambda.Function {
  const fn = new lambda.Function(scope, id, {
    description: props.description,
    ...(props.functionName ? { functionName: props.functionName } : {}),
    code: lambda.Code.fromAsset(props.bundle),
    handler: "index.handler",
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(30),
    tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    environment: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
    logGroup: props.logGroup,
    ...(props.role ? { role: props.role } : {}),
    ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
  });
  acknowledge(fn, LAMBDA_BASIC_EXECUTION, PINNED_RUNTIME);
  return fn;
}
