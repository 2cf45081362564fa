/**
 * The single DynamoDB table behind every store (events, runs, attempts, steps, logs), as plain data: the CDK
 * construct maps it to a `TableV2`, `stepjobs dev` creates it on dynalite with {@link createTable}.
 * Single-table design: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-general-nosql-design.html
 */

/** A key attribute: DynamoDB key attributes are scalar; all of ours are strings. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: "S";
}

/** The table's shape. */
export interface TableDefinition {
  /** Table name when none is configured. */
  readonly defaultName: string;
  /** `pk`: the entity (`EVENT#<id>`, `RUN#<id>`). */
  readonly partitionKey: KeyAttribute;
  /** `sk`: the item within the entity (`EVENT`, `RUN`, `ATTEMPT#...`, `LOG#...`; the layout: dynamo-table.ts). */
  readonly sortKey: KeyAttribute;
  /**
   * GSI listing one kind of item newest first: partition = kind, sort = `<ISO time>#<id>`. One GSI partition
   * per kind is simple and fine for a job system's event rate; it would need sharding past ~1,000 writes/s
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
   */
  readonly listIndex: { readonly name: string; readonly partitionKey: KeyAttribute; readonly sortKey: KeyAttribute };
  /** Epoch-seconds attribute DynamoDB TTL deletes by (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html). */
  readonly ttlAttribute: string;
  /** On-demand capacity: no throughput to size for a dev tool or a bursty job system. */
  readonly billingMode: "PAY_PER_REQUEST";
}

/** The stepjobs table. */
export const STEPJOBS_TABLE: TableDefinition = {
  defaultName: "stepjobs",
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  listIndex: { name: "byTime", partitionKey: { name: "gsi1pk", type: "S" }, sortKey: { name: "gsi1sk", type: "S" } },
  ttlAttribute: "expiresAt",
  billingMode: "PAY_PER_REQUEST",
};
