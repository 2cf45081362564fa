import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { DynamoEventStore } from "../../lib/store/dynamo-event-store.ts";
import { createDocumentClient, startDynalite } from "../../lib/store/dynalite.ts";
import { STEPJOBS_TABLE, createTable, createTableInput } from "../../lib/store/table.ts";
import { useDynalite } from "./dynalite-fixture.ts";

const db = useDynalite();

describe("STEPJOBS_TABLE", () => {
  it("is the CreateTable request the CDK construct and dynalite share", () => {
    expect(createTableInput("stepjobs")).toEqual({
      TableName: "stepjobs",
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "gsi1pk", AttributeType: "S" },
        { AttributeName: "gsi1sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byTime",
          KeySchema: [
            { AttributeName: "gsi1pk", KeyType: "HASH" },
            { AttributeName: "gsi1sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
    expect(STEPJOBS_TABLE.ttlAttribute).toBe("expiresAt");
    expect(createTableInput().TableName).toBe(STEPJOBS_TABLE.defaultName);
  });
});

describe("createTable on dynalite", () => {
  it("creates an ACTIVE table once and accepts an existing one", async () => {
    expect(await createTable(db.client(), "stepjobs-create")).toBe(true);
    expect(await createTable(db.client(), "stepjobs-create")).toBe(false);
    const { Table } = await db.client().send(new DescribeTableCommand({ TableName: "stepjobs-create" }));
    expect([Table?.TableStatus, Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])]).toEqual([
      "ACTIVE",
      [["byTime", "ACTIVE"]],
    ]);
  });
});

describe("startDynalite with a data dir", () => {
  const dir = mkdtempSync(join(tmpdir(), "stepjobs-dynalite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["in process", false],
    ["on a worker thread (as stepjobs dev runs it)", true],
  ])("keeps the table and its items across a restart, dynalite %s", async (_label, thread) => {
    const record = {
      id: "evt1",
      name: "my.event",
      source: "stepjobs",
      payload: { message: "Hello World", shouldFail: true },
      timestamp: "2026-11-25T03:00:00.000Z",
      receivedAt: "2026-11-25T03:00:00.000Z",
      status: "ACCEPTED" as const,
      errors: [],
      runs: [],
    };
    const first = await startDynalite({ path: join(dir, String(thread)), thread });
    const client1 = createDocumentClient(first.endpoint);
    expect(await createTable(client1)).toBe(true);
    await new DynamoEventStore({ client: client1 }).putEventIfAbsent(record);
    client1.destroy();
    await first.close();

    // Reopened in process either way: what the thread wrote is on disk, closed cleanly.
    const second = await startDynalite({ path: join(dir, String(thread)) });
    const client2 = createDocumentClient(second.endpoint);
    expect(await createTable(client2)).toBe(false);
    expect(await new DynamoEventStore({ client: client2 }).getEvent("evt1")).toEqual(record);
    client2.destroy();
    await second.close();
  });
});
