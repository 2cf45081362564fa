import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { STEPJOBS_TABLE } from "./table.ts";

/**
 * The DynamoDB primitives every store shares: conditional create, consistent get, paged queries (the
 * Powertools persistence-layer pattern: stores do domain work, this does the table work). Item layout:
 *
 * | item    | pk            | sk                             | gsi1pk / gsi1sk            |
 * |---------|---------------|--------------------------------|----------------------------|
 * | event   | `EVENT#<id>`  | `EVENT`                        | `EVENT` / `<receivedAt>#<id>` |
 * | run     | `RUN#<id>`    | `RUN`                          | `RUN` / `<startedAt>#<id>` |
 * | attempt | `RUN#<runId>` | `ATTEMPT#<taskKey>#<number>`   | -                          |
 * | log     | `RUN#<runId>` | `LOG#<at>#<sequence>`          | -                          |
 * | memo    | `RUN#<runId>` | `MEMO#<taskKey>`               | -                          |
 */

/** An item as the DocumentClient reads and writes it. */
export type Item = Record<string, unknown>;

/** What every DynamoDB-backed store is constructed with. */
export interface DynamoStoreOptions {
  /** An injected DocumentClient (AWS, or dynalite via createDocumentClient). */
  readonly client: DynamoDBDocumentClient;
  /** @default STEPJOBS_TABLE.defaultName */
  readonly tableName?: string;
  /** When set, items get `expiresAt` = now + this many seconds, for DynamoDB TTL to delete them. */
  readonly retentionSeconds?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

const { partitionKey: PK, sortKey: SK, listIndex: INDEX, ttlAttribute: TTL } = STEPJOBS_TABLE;

/** Attribute names of the keys, for stores that build items. */
export const KEY = { pk: PK.name, sk: SK.name, listPk: INDEX.partitionKey.name, listSk: INDEX.sortKey.name } as const;

/** Page size of list queries; a filter may discard most of a page, so pages are larger than a typical limit. */
const QUERY_PAGE = 100;

/** Table access for one table name. */
export class DynamoTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly #retentionSeconds: number | undefined;
  readonly #now: () => Date;

  constructor(options: DynamoStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName ?? STEPJOBS_TABLE.defaultName;
    this.#retentionSeconds = options.retentionSeconds;
    this.#now = options.now ?? (() => new Date());
  }

  /** The `expiresAt` attribute for a new item, when retention is configured. */
  expiry(): Item {
    if (this.#retentionSeconds === undefined) return {};
    return { [TTL]: Math.floor(this.#now().getTime() / 1000) + this.#retentionSeconds };
  }

  /**
   * Writes `item` unless an item with its key exists (`attribute_not_exists(pk)`); on
   * ConditionalCheckFailedException returns the stored item, read consistently (dynalite does not implement
   * ReturnValuesOnConditionCheckFailure). Conditional writes:
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate
   */
  async putIfAbsent(item: Item): Promise<{ created: boolean; item: Item }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK.name },
        }),
      );
      return { created: true, item };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.get(item[PK.name] as string, item[SK.name] as string);
    // Only a delete between the two calls (TTL expiry) gets here; the caller's retry then creates it.
    if (!existing)
      throw new Error(`item ${String(item[PK.name])} / ${String(item[SK.name])} vanished after a conditional write failed; retry`);
    return { created: false, item: existing };
  }

  /** Writes `item` unconditionally. */
  async put(item: Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** A strongly consistent read, so a write just acknowledged is seen. */
  async get(pk: string, sk: string): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK.name]: pk, [SK.name]: sk }, ConsistentRead: true }),
    );
    return Item;
  }

  /** Every item of partition `pk` whose sort key starts with `skPrefix`, in sort-key order. */
  async queryPartition(pk: string, skPrefix: string): Promise<Item[]> {
    return this.#collect(
      {
        TableName: this.tableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": PK.name, "#sk": SK.name },
        ExpressionAttributeValues: { ":pk": pk, ":prefix": skPrefix },
        ConsistentRead: true,
      },
      Infinity,
    );
  }

  /**
   * Items of one kind newest first through the list index, keeping those whose attributes equal `filter`,
   * up to `limit`. GSI reads are eventually consistent on AWS (a write may show up a moment later):
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reading
   */
  async queryNewest(kind: string, filter: Readonly<Record<string, string | undefined>>, limit: number): Promise<Item[]> {
    const names: Record<string, string> = { "#lpk": INDEX.partitionKey.name };
    const values: Record<string, unknown> = { ":kind": kind };
    const conditions: string[] = [];
    for (const [index, [attribute, value]] of Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .entries()) {
      names[`#f${index}`] = attribute;
      values[`:f${index}`] = value;
      conditions.push(`#f${index} = :f${index}`);
    }
    return this.#collect(
      {
        TableName: this.tableName,
        IndexName: INDEX.name,
        KeyConditionExpression: "#lpk = :kind",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(conditions.length > 0 ? { FilterExpression: conditions.join(" AND ") } : {}),
        ScanIndexForward: false,
      },
      limit,
    );
  }

  /** Follows LastEvaluatedKey until `limit` items are collected or the query is exhausted. */
  async #collect(input: QueryCommandInput, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, Limit: QUERY_PAGE, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.slice(0, limit);
  }
}

/** DynamoDB's answer to a failed `ConditionExpression` (SDK v3 sets the error's `name`). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "ConditionalCheckFailedException";
}

/** A list `limit` as given, or the default, checked (a typo must not silently list everything). */
export function listLimit(limit: number | undefined, fallback = 50): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
  return value;
}
