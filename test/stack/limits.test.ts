import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeployedApp } from "./lane.ts";
import { synthesize } from "./synth.ts";

/**
 * `concurrencyLimit` as deployed: the limits fixtures' cloud assembly in the simulated account. The slot states call
 * DynamoDB with the state machine's role, authorized against the template's policy (GetItem/UpdateItem on LIMIT#
 * items), so a missing or too narrow grant fails the run here with the action and resource named.
 */
let app: DeployedApp;

beforeAll(async () => {
  app = await DeployedApp.deploy(synthesize({ stackName: "Limits", jobsDir: "test/fixtures/limits" }));
});
afterAll(async () => {
  await app?.close();
});

/** The names of the states an execution entered, in order. */
function entered(runId: string): string[] {
  const execution = [...app.cloud.sfn.executions.values()].find((e) => e.name === runId)!;
  return execution.history.flatMap((h) => {
    const details = (h as { stateEnteredEventDetails?: { name: string } }).stateEnteredEventDetails;
    return details ? [details.name] : [];
  });
}

describe("concurrencyLimit, as deployed", () => {
  it("runs a limited job with the template's IAM: every run queues, takes its slot and releases it", async () => {
    for (let n = 0; n < 5; n++) await app.putEvent({ name: "limited.go", detail: { id: `lim-${n}`, payload: { n, ms: 30 } } });
    for (let n = 0; n < 5; n++) {
      const run = await app.run(`limited--lim-${n}`);
      expect([run.status, run.error ?? null, JSON.parse(run.output ?? "null")]).toEqual(["SUCCEEDED", null, { n }]);
      const states = entered(`limited--lim-${n}`);
      expect(states.slice(0, 2)).toEqual(["AcquireSlot", "CheckSlot"]);
      expect(states).toContain("TakeSlot");
      expect(states.slice(-2)).toEqual(["ReleaseSlot (Succeeded)", "Succeeded"]);
    }
    const table = [...app.cloud.dynamodb.tables.values()][0]!;
    const env = app.cloud.operatorEnv();
    const client = new DynamoDBClient({
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN },
    });
    const { Item } = await client.send(
      new GetItemCommand({ TableName: table.name, Key: { pk: { S: "LIMIT#limited" }, sk: { S: "KEY" } }, ConsistentRead: true }),
    );
    expect(Item).toEqual({
      pk: { S: "LIMIT#limited" },
      sk: { S: "KEY" },
      nextTicket: { N: "5" },
      serving: { N: "6" },
      released: { N: "5" },
    });
  });
});
