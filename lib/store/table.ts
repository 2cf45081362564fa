import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

import { STEPJOBS_TABLE, type TableDefinition } from "./table-definition.ts";

export { STEPJOBS_TABLE, type KeyAttribute, type TableDefinition } from "./table-definition.ts";

/** The CreateTable request for the table (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html). */
export function createTableInput(
  tableName: string = STEPJOBS_TABLE.defaultName,
  table: TableDefinition = STEPJOBS_TABLE,
): CreateTableCommandInput {
  const keys = [table.partitionKey, table.sortKey, table.listIndex.partitionKey, table.listIndex.sortKey];
  return {
    TableName: tableName,
    BillingMode: table.billingMode,
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    KeySchema: [
      { AttributeName: table.partitionKey.name, KeyType: "HASH" },
      { AttributeName: table.sortKey.name, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: table.listIndex.name,
        KeySchema: [
          { AttributeName: table.listIndex.partitionKey.name, KeyType: "HASH" },
          { AttributeName: table.listIndex.sortKey.name, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/** Polls of DescribeTable while a new table is CREATING, and the pause between them. */
const ACTIVE_POLLS = 120;
const ACTIVE_POLL_MS = 250;

/**
 * Creates the table unless it exists (a dev data dir survives restarts), waits until it is ACTIVE, and turns
 * on TTL where the endpoint supports it (dynalite does not implement UpdateTimeToLive; that is ignored).
 * Returns whether it created the table.
 */
export async function createTable(
  anyClient: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string = STEPJOBS_TABLE.defaultName,
): Promise<boolean> {
  // A DocumentClient forwards non-document commands to its inner client unchanged.
  const client = anyClient as DynamoDBClient;
  let created = true;
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if ((error as Error).name !== "ResourceInUseException") throw error;
    created = false;
  }
  await waitUntilActive(client, tableName);
  if (created) await enableTtl(client, tableName);
  return created;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let poll = 0; poll < ACTIVE_POLLS; poll++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === "ACTIVE");
    if (Table?.TableStatus === "ACTIVE" && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
  throw new Error(`DynamoDB table "${tableName}" did not become ACTIVE within ${(ACTIVE_POLLS * ACTIVE_POLL_MS) / 1000} s`);
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: STEPJOBS_TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UnknownOperationException; TTL is a retention nicety, never a reason to fail startup.
    if (!["UnknownOperationException", "ValidationException"].includes((error as Error).name)) throw error;
  }
}
