import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startDynalite, type DynaliteServer } from "../../../lib/store/dynalite.ts";
import type { SimAccount } from "./account.ts";
import { AwsApiError } from "./api-error.ts";
import { arn } from "./arn.ts";
import type { Caller } from "./iam-policy.ts";

/**
 * DynamoDB: the template's tables created on dynalite (in memory), every data-plane call authorized on the table
 * (or index) ARN the caller's policy must name, then passed to dynalite unchanged.
 * Resource types: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 */

/** The shape dynalite checks (it never verifies signatures). */
const DYNALITE_AUTHORIZATION =
  "AWS4-HMAC-SHA256 Credential=sim/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=sim";

export class DynamoDbService {
  readonly tables = new Map<string, { readonly name: string; readonly arn: string; readonly partitionKey: string }>();
  private server?: DynaliteServer;
  private client?: DynamoDBClient;
  private readonly account: SimAccount;

  constructor(account: SimAccount) {
    this.account = account;
  }

  async start(): Promise<void> {
    this.server = await startDynalite();
    this.client = new DynamoDBClient({
      endpoint: this.server.endpoint,
      region: this.account.env.region,
      credentials: { accessKeyId: "sim", secretAccessKey: "sim" },
    });
  }

  /** Creates a table from its `AWS::DynamoDB::Table` properties (keys, attributes, GSIs). */
  async createTable(name: string, props: Record<string, any>): Promise<{ name: string; arn: string }> {
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      BillingMode: props.BillingMode ?? "PROVISIONED",
      ...(props.ProvisionedThroughput ? { ProvisionedThroughput: props.ProvisionedThroughput } : {}),
      ...(props.GlobalSecondaryIndexes
        ? {
            GlobalSecondaryIndexes: props.GlobalSecondaryIndexes.map((g: any) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
              ...(g.ProvisionedThroughput ? { ProvisionedThroughput: g.ProvisionedThroughput } : {}),
            })),
          }
        : {}),
    };
    await this.client!.send(new CreateTableCommand(input));
    const partitionKey = (props.KeySchema as { AttributeName: string; KeyType: string }[]).find((k) => k.KeyType === "HASH")!.AttributeName;
    const table = { name, arn: arn(this.account.env, "dynamodb", `table/${name}`), partitionKey };
    this.tables.set(name, table);
    return table;
  }

  /** The ARNs a data-plane request touches: each table, and `table/<t>/index/<i>` for an index query. */
  private resourcesOf(action: string, input: any): string[] {
    const tableArn = (name: string) => {
      const table = this.tables.get(name);
      if (!table) throw new AwsApiError("ResourceNotFoundException", `Requested resource not found: Table: ${name} not found`);
      return table.arn;
    };
    if (action === "BatchGetItem" || action === "BatchWriteItem") return Object.keys(input.RequestItems ?? {}).map(tableArn);
    if (action === "TransactWriteItems" || action === "TransactGetItems") {
      return (input.TransactItems ?? []).map((item: any) => tableArn((Object.values(item)[0] as { TableName: string }).TableName));
    }
    const base = tableArn(input.TableName);
    return [input.IndexName ? `${base}/index/${input.IndexName}` : base];
  }

  /**
   * `dynamodb:LeadingKeys` of a single-item request: the partition key value it touches (policies use it to confine
   * a role to some items). https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
   */
  private leadingKeys(input: any): string[] | undefined {
    const table = this.tables.get(input.TableName);
    const key = (input.Key ?? input.Item)?.[table?.partitionKey ?? ""];
    return key && typeof key.S === "string" ? [key.S] : undefined;
  }

  /** One DynamoDB JSON request for `caller`: authorized, then answered by dynalite as is. */
  async handle(action: string, body: string, caller: Caller): Promise<{ status: number; body: string; contentType: string }> {
    const input = JSON.parse(body || "{}");
    const leadingKeys = this.leadingKeys(input);
    for (const resource of this.resourcesOf(action, input)) {
      this.account.authorize(caller, `dynamodb:${action}`, resource, leadingKeys ? { "dynamodb:LeadingKeys": leadingKeys } : {});
    }
    const response = await fetch(this.server!.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `DynamoDB_20120810.${action}`,
        authorization: DYNALITE_AUTHORIZATION,
        "x-amz-date": "20260101T000000Z",
      },
      body,
    });
    return { status: response.status, body: await response.text(), contentType: "application/x-amz-json-1.0" };
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await this.server?.close();
  }
}
