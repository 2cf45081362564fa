import path from "node:path";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { acknowledge, LAMBDA_BASIC_EXECUTION, PINNED_RUNTIME } from "./acknowledge-findings.ts";

/** Properties of {@link stepJobsFunction}. */
export interface StepJobsFunctionProps {
  /** The generated entry module to bundle. */
  readonly entry: string;
  /** The project root: where package-lock.json and tsconfig.json are. */
  readonly projectRoot: string;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default {} (NODE_OPTIONS=--enable-source-maps is always set) */
  readonly environment?: Record<string, string>;
  /** @default false */
  readonly tracing?: boolean;
}

/**
 * Every stepjobs Lambda is built the same way: an esbuild bundle of one generated entry (minified keeping names, source maps,
 * AWS SDK clients bundled so cold start does not scan the runtime's copy), Node.js 22 pinned explicitly
 * (NodejsFunction's default is older), arm64, a log group kept a month, local esbuild (no Docker).
 */
export function stepJobsFunction(scope: Construct, id: string, props: StepJobsFunctionProps): NodejsFunction {
  const fn = new NodejsFunction(scope, id, {
    description: props.description,
    entry: props.entry,
    handler: "handler",
    projectRoot: props.projectRoot,
    depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(30),
    tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
    environment: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
    logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    bundling: {
      minify: true,
      // Class names survive minifying: a task's `class PaymentError extends Error {}` is the error name native Retry
      // and `retryOn` match (lib/runtime/error-info.ts errorName).
      keepNames: true,
      sourceMap: true,
      externalModules: [],
      tsconfig: path.join(props.projectRoot, "tsconfig.json"),
      forceDockerBundling: false,
    },
  });
  acknowledge(fn, LAMBDA_BASIC_EXECUTION, PINNED_RUNTIME);
  return fn;
}
