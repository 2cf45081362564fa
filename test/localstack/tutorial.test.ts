import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { beforeAll, describe, expect, it } from "vitest";
import { recordsFromHistory } from "../../lib/history/records-from-history.ts";
import { runIdFor } from "../../lib/ingest/run-id.ts";
import { ROOT } from "../helpers/load-job.ts";
import { defined } from "../helpers/defined.ts";

/**
 * The opt-in LocalStack lane: deploys the real stack with `npm run deploy:local` (aws-cdk-local) and runs the
 * tutorial through it. Runs only when LOCALSTACK_ENDPOINT is set (e.g. http://localhost:4566); this machine
 * has no Docker, so CI skips it and says why in the test name.
 */
const endpoint = process.env.LOCALSTACK_ENDPOINT;
const region = process.env.AWS_DEFAULT_REGION ?? "us-east-1";
const clientConfig = { endpoint, region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };

describe.skipIf(!endpoint)("LocalStack lane (skipped: needs LOCALSTACK_ENDPOINT and a running LocalStack)", () => {
  let outputs: Record<string, string>;
  const sfn = new SFNClient(clientConfig);

  beforeAll(() => {
    execFileSync("npm", ["run", "deploy:local"], { cwd: ROOT, stdio: "inherit", env: { ...process.env, AWS_ENDPOINT_URL: endpoint } });
    const file = JSON.parse(fs.readFileSync(path.join(ROOT, "cdk.out/localstack-outputs.json"), "utf8")) as Record<
      string,
      Record<string, string>
    >;
    outputs = defined(Object.values(file)[0], "a stack in cdk.out/localstack-outputs.json");
  }, 600_000);

  const output = (prefix: string) => {
    const key = Object.keys(outputs).find((k) => k.startsWith(prefix));
    if (!key) throw new Error(`stack output ${prefix}* missing: ${Object.keys(outputs).join(", ")}`);
    return defined(outputs[key]);
  };

  async function waitForRun(runId: string) {
    const executionArn = `${output("AppStateMachineArnmyfirstworkflow").replace(":stateMachine:", ":execution:")}:${runId}`;
    for (let i = 0; i < 120; i++) {
      try {
        const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (status !== "RUNNING") break;
      } catch (error) {
        if ((error as Error).name !== "ExecutionDoesNotExist") throw error;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return recordsFromHistory(events, { jobId: "my-first-workflow", jobVersion: "1.0.0" });
  }

  const expectTutorialRun = (records: Awaited<ReturnType<typeof waitForRun>>) => {
    expect(records.run.status).toBe("SUCCEEDED");
    expect(records.attempts.map((a) => [a.taskId, a.number, a.status, a.error?.message ?? null])).toEqual([
      ["process-incoming-data", 1, "FAILED", "Simulated transient error during processing!"],
      ["process-incoming-data", 2, "SUCCEEDED", null],
      ["send-confirmation", 1, "SUCCEEDED", null],
    ]);
  };

  it("the tutorial event through `aws events put-events` (PutEvents on the app's bus)", async () => {
    const id = `ls-bus-${Date.now()}`;
    const bus = new EventBridgeClient(clientConfig);
    const put = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: output("AppEventBusName"),
            Source: "stepjobs",
            DetailType: "my.event",
            Detail: JSON.stringify({
              id,
              timestamp: new Date().toISOString(),
              payload: { message: "Hello via put-events!", shouldFail: true },
            }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    expectTutorialRun(await waitForRun(runIdFor("my-first-workflow", id)));
  });

  it("the tutorial event through the HTTP API, with the generated key", async () => {
    const secrets = new SecretsManagerClient(clientConfig);
    const key = (await secrets.send(new GetSecretValueCommand({ SecretId: output("AppApiKeySecretArn") }))).SecretString;
    const response = await fetch(`${output("AppApiUrl")}api/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: "my.event", payload: { message: "Hello via curl!", shouldFail: true } }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; runs: { id: string }[] };
    expectTutorialRun(await waitForRun(defined(body.runs[0], "a run").id));
  });
});
