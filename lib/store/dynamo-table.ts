import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { InvalidCursorError } from "./errors.ts";
import { STEPJOBS_TABLE } from "./table.ts";
import type { Page } from "./types.ts";

/**
 * The DynamoDB primitives every store shares: conditional create, consistent get, paged queries (the
 * Powertools persistence-layer pattern: stores do domain work, this does the table work). Item layout:
 *
 * | item            | pk            | sk                             | gsi1pk / gsi1sk               |
 * |-----------------|---------------|--------------------------------|-------------------------------|
 * | event           | `EVENT#<id>`  | `EVENT`                        | `EVENT` / `<receivedAt>#<id>` |
 * | run             | `RUN#<id>`    | `RUN`                          | `RUN` / `<startedAt>#<id>`    |
 * | attempt         | `RUN#<runId>` | `ATTEMPT#<taskKey>#<number>`   | -                             |
 * | attempt counter | `RUN#<runId>` | `ATTEMPTS#<taskKey>`           | -                             |
 * | log             | `RUN#<runId>` | `LOG#<at>#<sequence>`          | -                             |
 * | step            | `RUN#<runId>` | `STEP#<stepKey>`               | -                             |
 *
 * The attempt counter is written only by the cloud runner (`ctx.attempt.number`, one per task key: `attempts`,
 * `expiresAt` set on the first count); `stepjobs dev` numbers attempts from its attempt items.
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

  /**
   * Adds 1 to the number `attribute` of the item at (`pk`, `sk`), creating it at 1, and returns the new value; a new
   * item expires `expiresInSeconds` from now (the TTL is set once). UpdateItem ADD:
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD
   */
  async increment(pk: string, sk: string, attribute: string, expiresInSeconds: number): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK.name]: pk, [SK.name]: sk },
        UpdateExpression: "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
        ExpressionAttributeNames: { "#count": attribute, "#ttl": TTL },
        ExpressionAttributeValues: { ":one": 1, ":ttl": Math.floor(this.#now().getTime() / 1000) + expiresInSeconds },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(Attributes?.[attribute] ?? 1);
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
    return this.#collect(this.#newestInput(kind, filter), limit);
  }

  /**
   * One page of {@link queryNewest}: up to `limit` items after `cursor` (a cursor this method returned for the same
   * kind; anything else is an {@link InvalidCursorError} naming `list`). One item more is read than returned, so the
   * cursor is set only when another item exists.
   */
  async queryNewestPage(
    kind: string,
    filter: Readonly<Record<string, string | undefined>>,
    limit: number,
    cursor: string | undefined,
    list: string,
  ): Promise<Page<Item>> {
    const start = cursor === undefined ? undefined : decodeCursor(cursor, kind, list);
    const items = await this.#collect(this.#newestInput(kind, filter), limit + 1, start);
    if (items.length <= limit) return { items };
    const page = items.slice(0, limit);
    const last = page.at(-1);
    return last ? { items: page, cursor: encodeCursor(last) } : { items: page };
  }

  #newestInput(kind: string, filter: Readonly<Record<string, string | undefined>>): QueryCommandInput {
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
    return {
      TableName: this.tableName,
      IndexName: INDEX.name,
      KeyConditionExpression: "#lpk = :kind",
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(" AND ") } : {}),
      ScanIndexForward: false,
    };
  }

  /** Follows LastEvaluatedKey (from `start`, when given) until `limit` items are collected or the query is exhausted. */
  async #collect(input: QueryCommandInput, limit: number, start?: Record<string, unknown>): Promise<Item[]> {
    const items: Item[] = [];
    do {
      const page = await this.client.send(new QueryCommand({ ...input, Limit: QUERY_PAGE, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.slice(0, limit);
  }
}

/** The attributes of a list-index key: the table's key and the index's, all strings. */
const CURSOR_ATTRIBUTES = [PK.name, SK.name, INDEX.partitionKey.name, INDEX.sortKey.name] as const;

/** The cursor after `item`: its list-index key as base64url JSON. */
function encodeCursor(item: Item): string {
  return Buffer.from(JSON.stringify(Object.fromEntries(CURSOR_ATTRIBUTES.map((name) => [name, item[name]])))).toString("base64url");
}

/** The ExclusiveStartKey in a cursor of `kind`; a cursor that is not one is an {@link InvalidCursorError}. */
function decodeCursor(cursor: string, kind: string, list: string): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(list);
  }
  const record = key as Record<string, unknown> | null;
  const valid =
    typeof record === "object" &&
    record !== null &&
    Object.keys(record).length === CURSOR_ATTRIBUTES.length &&
    CURSOR_ATTRIBUTES.every((name) => typeof record[name] === "string") &&
    record[INDEX.partitionKey.name] === kind;
  if (!valid) throw new InvalidCursorError(list);
  return record as Record<string, string>;
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
