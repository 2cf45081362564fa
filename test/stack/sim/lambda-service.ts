import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { SimAccount, SimCredentials } from "./account.ts";
import type { Background } from "./background.ts";
import { AwsApiError } from "./api-error.ts";
import { arn, splitFunctionRef } from "./arn.ts";
import type { Caller, PolicyDocument } from "./iam-policy.ts";

/**
 * Lambda: functions from the template (code = the `cdk.out` asset, copied to a directory with no package.json
 * above it, as Lambda unpacks it), published versions as immutable snapshots, resource policies, and invocation
 * in worker threads that each hold the function's environment (its template variables, its role's credentials,
 * the simulator's endpoint). Concurrency is one invocation per environment, as in Lambda.
 */

/** A function's configuration, as `$LATEST` holds it and a version freezes it. */
export interface FunctionConfig {
  readonly codeDir: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn: string;
}

export interface SimFunction {
  readonly name: string;
  readonly arn: string;
  config: FunctionConfig;
  reservedConcurrency?: number;
  /** Resource-based policy statements, by qualifier ("" = unqualified). */
  readonly policies: Map<string, PolicyDocument[]>;
  readonly versions: Map<string, FunctionConfig>;
  nextVersion: number;
  inFlight: number;
  /** Lines the function wrote (its CloudWatch log group). */
  readonly logs: string[];
  /** Asynchronous invocation: retries and where a failed event goes (AWS::Lambda::EventInvokeConfig, DeadLetterConfig). */
  asyncConfig: { maximumRetryAttempts: number; onFailure?: string };
}

/** An asynchronous invocation whose event Lambda discarded after its retries (no destination, no DLQ). */
export interface DroppedEvent {
  readonly functionName: string;
  readonly event: unknown;
  readonly error: string;
}

/** What `Invoke` answers: the payload, or the function's error (`FunctionError: Unhandled`). */
export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly executedVersion: string }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string; readonly trace?: string[] } };

interface Environment {
  readonly worker: Worker;
  busy: boolean;
}

const WORKER = new URL("./lambda-worker.mjs", import.meta.url);

export class LambdaService {
  readonly functions = new Map<string, SimFunction>();
  /** Events that asynchronous invocations lost: what an on-failure destination would have kept. */
  readonly dropped: DroppedEvent[] = [];
  /** Called before each invocation starts (before its version is looked up): tests hold one here to deploy meanwhile. */
  beforeInvoke?: (fn: SimFunction, version: string, event: unknown) => Promise<void>;
  /** Execution environments by the configuration they were started with: an update (new code, new environment) never reuses them. */
  private readonly pools = new Map<FunctionConfig, Environment[]>();
  private readonly account: SimAccount;
  private readonly endpoint: () => string;
  private readonly credentials = new Map<string, SimCredentials>();
  private nextRequest = 0;

  private readonly background: Background;

  constructor(account: SimAccount, endpoint: () => string, background: Background) {
    this.account = account;
    this.endpoint = endpoint;
    this.background = background;
  }

  functionArn(name: string): string {
    return arn(this.account.env, "lambda", `function:${name}`);
  }

  /** The function an ARN or name refers to; `ResourceNotFoundException` otherwise. */
  find(ref: string): { fn: SimFunction; qualifier?: string } {
    const { name, qualifier } = splitFunctionRef(ref);
    const fn = this.functions.get(name);
    if (!fn) throw new AwsApiError("ResourceNotFoundException", `Function not found: ${this.functionArn(name)}`, 404);
    return { fn, ...(qualifier === undefined ? {} : { qualifier }) };
  }

  /** Publishes `$LATEST` as the next version (AWS::Lambda::Version) and returns its number. */
  publish(fn: SimFunction): string {
    const version = String(fn.nextVersion++);
    fn.versions.set(version, fn.config);
    return version;
  }

  /**
   * Invokes a function (name or ARN, maybe qualified) for `caller`, authorized against the caller's policies and
   * the function's resource policy on the ARN it was invoked by (a qualified ARN needs a grant that covers it).
   */
  async invoke(ref: string, event: unknown, caller: Caller, context: Record<string, string | boolean> = {}): Promise<InvokeResult> {
    const { fn, qualifier } = this.find(ref);
    const resource = qualifier === undefined ? fn.arn : `${fn.arn}:${qualifier}`;
    this.account.authorize(caller, "lambda:InvokeFunction", resource, context, fn.policies.get(qualifier ?? "") ?? []);
    return this.run(fn, qualifier, event);
  }

  /**
   * An asynchronous invocation (how EventBridge invokes a function): Lambda retries a function error twice by
   * default, then sends the event to the on-failure destination (or dead-letter queue), else discards it.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   */
  invokeAsync(fn: SimFunction, qualifier: string | undefined, event: unknown): void {
    this.background.run(async () => {
      let lastError = "";
      for (let attempt = 0; attempt <= fn.asyncConfig.maximumRetryAttempts; attempt++) {
        try {
          const result = await this.run(fn, qualifier, event);
          if (result.ok) return;
          lastError = `${result.error.errorType}: ${result.error.errorMessage}`;
        } catch (error) {
          lastError = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      if (fn.asyncConfig.onFailure) {
        await this.onFailure(fn, fn.asyncConfig.onFailure, event, lastError);
        return;
      }
      this.dropped.push({ functionName: fn.name, event, error: lastError });
    });
  }

  /** Where a failed asynchronous event goes: the destination receives it from the function's execution role. */
  onFailure: (fn: SimFunction, destinationArn: string, event: unknown, error: string) => Promise<void> = async (fn, destinationArn) => {
    throw new AwsApiError("UnsupportedDestination", `the stack simulator does not deliver ${fn.name}'s failures to ${destinationArn}`);
  };

  /** Runs one invocation of `fn` at `qualifier` (no authorization: for AWS services acting on their own grants). */
  async run(fn: SimFunction, qualifier: string | undefined, event: unknown): Promise<InvokeResult> {
    const version = qualifier === undefined || qualifier === "$LATEST" ? "$LATEST" : qualifier;
    await this.beforeInvoke?.(fn, version, event);
    const config = version === "$LATEST" ? fn.config : fn.versions.get(version);
    if (!config) throw new AwsApiError("ResourceNotFoundException", `Function not found: ${fn.arn}:${version}`, 404);
    if (fn.reservedConcurrency !== undefined && fn.inFlight >= fn.reservedConcurrency) {
      throw new AwsApiError("TooManyRequestsException", `Rate Exceeded. (reserved concurrency ${fn.reservedConcurrency})`, 429);
    }
    fn.inFlight++;
    const env = this.acquire(fn, version, config);
    try {
      return await this.send(env, fn, version, config, event);
    } finally {
      fn.inFlight--;
    }
  }

  private acquire(fn: SimFunction, version: string, config: FunctionConfig): Environment {
    const pool = this.pools.get(config) ?? [];
    this.pools.set(config, pool);
    const idle = pool.find((e) => !e.busy);
    if (idle) {
      idle.busy = true;
      return idle;
    }
    const credentials = this.credentialsFor(config.roleArn);
    const worker = new Worker(WORKER, {
      workerData: {
        taskRoot: config.codeDir,
        handler: config.handler,
        sourceMaps: /--enable-source-maps/.test(config.environment.NODE_OPTIONS ?? ""),
      },
      // Lambda's reserved variables plus the template's; the SDK finds the simulator through AWS_ENDPOINT_URL.
      env: {
        ...config.environment,
        AWS_REGION: this.account.env.region,
        AWS_DEFAULT_REGION: this.account.env.region,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_VERSION: version,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
        AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
        LAMBDA_TASK_ROOT: config.codeDir,
        TZ: "UTC",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
        AWS_ENDPOINT_URL: this.endpoint(),
        // Lambda runs Node 22; this simulator runs the bundle on the Node of the test, whose SDK notice is noise here.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    });
    worker.unref();
    const env: Environment = { worker, busy: true };
    pool.push(env);
    return env;
  }

  private credentialsFor(roleArn: string): SimCredentials {
    let credentials = this.credentials.get(roleArn);
    if (!credentials) {
      credentials = this.account.assumeRole(roleArn, "lambda.amazonaws.com").credentials;
      this.credentials.set(roleArn, credentials);
    }
    return credentials;
  }

  private send(env: Environment, fn: SimFunction, version: string, config: FunctionConfig, event: unknown): Promise<InvokeResult> {
    const id = ++this.nextRequest;
    const requestId = `00000000-0000-4000-8000-${String(id).padStart(12, "0")}`;
    return new Promise<InvokeResult>((resolve, reject) => {
      const timeoutMs = config.timeoutSeconds * 1000;
      const timer = setTimeout(() => {
        env.worker.off("message", onMessage);
        env.worker.off("error", onError);
        this.discard(config, env);
        // The runtime is stopped mid-invocation; Lambda reports the timeout as the function's error.
        resolve({
          ok: false,
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${config.timeoutSeconds}.00 seconds`,
          },
        });
      }, timeoutMs);
      const onError = (error: Error) => {
        clearTimeout(timer);
        env.worker.off("message", onMessage);
        this.discard(config, env);
        reject(error);
      };
      const onMessage = (message: {
        id: number;
        ok: boolean;
        payload?: string;
        logs: string;
        error?: { errorType: string; errorMessage: string; trace?: string[] };
      }) => {
        if (message.id !== id) return;
        fn.logs.push(...message.logs.split("\n").filter((l) => l !== ""));
        clearTimeout(timer);
        env.worker.off("message", onMessage);
        env.worker.off("error", onError);
        env.busy = false;
        resolve(
          message.ok
            ? { ok: true, payload: JSON.parse(message.payload ?? "null"), executedVersion: version }
            : { ok: false, error: message.error! },
        );
      };
      env.worker.on("message", onMessage);
      env.worker.once("error", onError);
      env.worker.postMessage({
        id,
        event,
        context: {
          awsRequestId: requestId,
          functionName: fn.name,
          functionVersion: version,
          invokedFunctionArn: version === "$LATEST" ? fn.arn : `${fn.arn}:${version}`,
          memoryLimitInMB: String(config.memorySize),
          timeoutMs,
          callbackWaitsForEmptyEventLoop: true,
        },
      });
    });
  }

  private discard(config: FunctionConfig, env: Environment): void {
    const pool = this.pools.get(config) ?? [];
    pool.splice(pool.indexOf(env), 1);
    void env.worker.terminate();
  }

  /** Stops every execution environment. */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].flat().map((e) => e.worker.terminate()));
    this.pools.clear();
  }
}

/**
 * The directory Lambda would run an asset from: the asset itself when no package.json sits above it (a `type` there
 * would change how Node loads `.js`), else a copy in `into`, outside any package, as Lambda unpacks a deployment
 * package into /var/task.
 */
export function unpackAsset(assetDir: string, into: string): string {
  for (let dir = path.dirname(assetDir); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) break;
    if (path.dirname(dir) === dir) return assetDir;
  }
  const target = path.join(into, path.basename(assetDir));
  if (!fs.existsSync(target)) fs.cpSync(assetDir, target, { recursive: true });
  return target;
}
