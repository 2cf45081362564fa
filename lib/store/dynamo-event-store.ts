import type { EventRecord, EventStore } from "../ingest/types.ts";
import { DynamoTable, KEY, listLimit, type DynamoStoreOptions, type Item } from "./dynamo-table.ts";
import type { EventPages, EventQuery, Page } from "./types.ts";

/**
 * EventStore on DynamoDB (AWS or dynalite). One item per event id; the first write wins through a
 * conditional put, as Powertools' DynamoDBPersistenceLayer records an idempotency key:
 * https://github.com/aws-powertools/powertools-lambda-typescript/blob/main/packages/idempotency/src/persistence/DynamoDBPersistenceLayer.ts
 */

/** Item kind (list-index partition) of events. */
const EVENT_KIND = "EVENT";

/** Event records in the stepjobs table. */
export class DynamoEventStore implements EventStore, EventPages {
  readonly #table: DynamoTable;

  constructor(options: DynamoStoreOptions) {
    this.#table = new DynamoTable(options);
  }

  /** Stores `record` unless its id is known; then returns the stored record (`created: false`). */
  async putEventIfAbsent(record: EventRecord): Promise<{ created: boolean; record: EventRecord }> {
    const { created, item } = await this.#table.putIfAbsent({ ...eventItem(record), ...this.#table.expiry() });
    return { created, record: created ? record : recordOf(item) };
  }

  async getEvent(id: string): Promise<EventRecord | undefined> {
    const item = await this.#table.get(eventPk(id), EVENT_KIND);
    return item && recordOf(item);
  }

  /** Newest first by `receivedAt`; `limit` defaults to 50. */
  async listEvents(query: { readonly name?: string; readonly limit?: number } = {}): Promise<EventRecord[]> {
    return (await this.listEventsPage(query)).items;
  }

  /** One page, newest first by `receivedAt`, after `query.cursor`; `limit` defaults to 50. */
  async listEventsPage(query: EventQuery = {}): Promise<Page<EventRecord>> {
    const page = await this.#table.queryNewestPage(EVENT_KIND, { name: query.name }, listLimit(query.limit), query.cursor, "events");
    return { ...page, items: page.items.map(recordOf) };
  }
}

function eventPk(id: string): string {
  return `EVENT#${id}`;
}

/**
 * The whole record is kept as JSON (`record`): a payload is arbitrary JSON, which DynamoDB's native types do
 * not hold faithfully (numbers beyond 38 digits of precision, for one). `name`/`status` stay top-level for filters.
 */
function eventItem(record: EventRecord): Item {
  return {
    [KEY.pk]: eventPk(record.id),
    [KEY.sk]: EVENT_KIND,
    [KEY.listPk]: EVENT_KIND,
    [KEY.listSk]: `${record.receivedAt}#${record.id}`,
    name: record.name,
    status: record.status,
    record: JSON.stringify(record),
  };
}

function recordOf(item: Item): EventRecord {
  return JSON.parse(item.record as string) as EventRecord;
}
