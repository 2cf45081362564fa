import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { expect, vi } from "vitest";
import { commands } from "../../lib/cli/commands.ts";
import type { Assembly } from "./synth.ts";
import type { SimStack } from "./sim/cloudformation.ts";
import { SimCloud } from "./sim/cloud.ts";
import type { SimExecution } from "./sim/sfn-service.ts";
import { defined } from "../helpers/defined.ts";

/**
 * The stack lane's harness: a synthesized assembly deployed into a simulated account (test/stack/sim), and the
 * ways a user reaches it: the HTTP API with its key, `PutEvents` straight onto the bus, the CLI with `--aws`.
 */
export class DeployedApp {
  readonly cloud: SimCloud;
  stack!: SimStack;
  readonly stackName: string;

  private constructor(cloud: SimCloud, stackName: string) {
    this.cloud = cloud;
    this.stackName = stackName;
  }

  /** Starts a simulated account and deploys `assembly` into it. */
  static async deploy(assembly: Assembly, cloud?: SimCloud): Promise<DeployedApp> {
    const app = new DeployedApp(cloud ?? (await SimCloud.start()), assembly.stackName);
    await app.update(assembly);
    return app;
  }

  /** Deploys `assembly` over the current stack (a new version of the app), as a second `cdk deploy` does. */
  async update(assembly: Assembly): Promise<void> {
    const stacks = await this.cloud.deploy(assembly.dir);
    this.stack = stacks.get(this.stackName)!;
  }

  /** A stack output by key. */
  output(key: string): string {
    const value = this.stack.outputs[key]?.value;
    if (value === undefined) throw new Error(`no output ${key}`);
    return value;
  }

  /** The generated API key, read as an operator would (Secrets Manager). */
  get apiKey(): string {
    const arn = this.output("ApiKeySecretArn");
    return this.cloud.secrets.secrets.get(arn)!.value;
  }

  /** `POST /api/v1/events` on the stack's function URL with the bearer key. */
  async post(event: unknown, key = this.apiKey): Promise<{ status: number; body: any }> {
    const response = await fetch(new URL("api/v1/events", this.output("ApiUrl")), {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(event),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** `aws events put-events` by the operator: one entry on the stack's bus (through the AWS SDK and the endpoint). */
  async putEvent(entry: { name: string; detail: unknown; source?: string }): Promise<void> {
    const env = this.cloud.operatorEnv();
    const client = new EventBridgeClient({
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN },
    });
    try {
      const answer = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.output("EventBusName"),
              Source: entry.source ?? "my.app",
              DetailType: entry.name,
              Detail: JSON.stringify(entry.detail),
            },
          ],
        }),
      );
      expect(answer.FailedEntryCount).toBe(0);
    } finally {
      client.destroy();
    }
  }

  /** The execution of a run (its name is the run id), once everything in flight has settled. */
  async run(runId: string): Promise<SimExecution> {
    await this.cloud.settled();
    const execution = [...this.cloud.sfn.executions.values()].filter((e) => e.name === runId);
    expect(execution.map((e) => e.name)).toEqual([runId]);
    return defined(execution[0], `the execution ${runId}`);
  }

  /** The `io.logger` lines a job's runner wrote (its log group), parsed. */
  logs(jobId: string): { runId: string; message: string; taskId?: string; attempt?: number; level: string }[] {
    const fn = this.cloud.lambda.functions.get(`${this.stackName}_${jobId}`);
    if (!fn) throw new Error(`no runner for job ${jobId}`);
    return fn.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  }

  /** The Task states a run entered, in order, with how each ended (from its execution history). */
  taskAttempts(execution: SimExecution): string[] {
    const out: string[] = [];
    let state = "";
    for (const event of execution.history) {
      if (event.type === "TaskStateEntered") state = (event.stateEnteredEventDetails as { name: string }).name;
      if (event.type === "TaskSucceeded") out.push(`${state} ok`);
      if (event.type === "TaskFailed") out.push(`${state} ${(event.taskFailedEventDetails as { error: string }).error}`);
    }
    return out;
  }

  /** Resolves once `condition` holds (polling the simulated account), failing after `timeoutMs`. */
  async until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Fails the test if any call was denied, naming the action, resource and role of each. */
  expectNoDenials(): void {
    expect(this.cloud.account.denials.map((d) => `${d.caller} may not ${d.action} on ${d.resource}: ${d.reason}`)).toEqual([]);
    expect(this.cloud.endpoint.unsupported).toEqual([]);
    expect(this.cloud.background.failures).toEqual([]);
  }

  async close(): Promise<void> {
    await this.cloud.close();
  }
}

/** Runs a CLI command in process (with `--aws`, against the account `operatorEnv()` points the SDK at): its exit code and output. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const command = await defined(commands[args[0] ?? ""], `command ${args[0]}`).load();
    return { code: await command.run(args.slice(1)), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
