/**
 * Trigger.dev v2's `filter` (an EventFilter over the payload) compiled to the EventBridge pattern of the job's rule.
 * v2's semantics are those of its `eventFilterMatches` (packages/core/src/eventFilterMatches.ts): the values of a
 * list are alternatives, the matchers of a list must all hold. EventBridge ORs everything in a list, so what v2 ANDs
 * is folded (numeric bounds into one range) or refused with what to write instead.
 */
import { describe, expect, it } from "vitest";
import { EventFilterError } from "../../lib/ingest/errors.ts";
import { compileEventFilter } from "../../lib/ingest/event-filter.ts";
import { compileEventPattern, eventPatternFor, matchEventPattern } from "../../lib/ingest/event-pattern.ts";
import { toBusEvent } from "../../lib/ingest/bus-event.ts";

describe("compileEventFilter: each v2 form to its EventBridge form", () => {
  it.each([
    ["values: any of them", { status: ["paid", "shipped"] }, { status: ["paid", "shipped"] }],
    ["numbers and booleans", { qty: [1, 2], gift: [true] }, { qty: [1, 2], gift: [true] }],
    ["$startsWith -> prefix", { sku: [{ $startsWith: "EU-" }] }, { sku: [{ prefix: "EU-" }] }],
    ["$endsWith -> suffix", { file: [{ $endsWith: ".png" }] }, { file: [{ suffix: ".png" }] }],
    ["$ignoreCaseEquals -> equals-ignore-case", { country: [{ $ignoreCaseEquals: "fr" }] }, { country: [{ "equals-ignore-case": "fr" }] }],
    ["$exists", { coupon: [{ $exists: true }], refund: [{ $exists: false }] }, { coupon: [{ exists: true }], refund: [{ exists: false }] }],
    ["$isNull: true -> null", { deletedAt: [{ $isNull: true }] }, { deletedAt: [null] }],
    ["$anythingBut a value", { status: [{ $anythingBut: "test" }] }, { status: [{ "anything-but": "test" }] }],
    ["$anythingBut a list", { code: [{ $anythingBut: [400, 404] }] }, { code: [{ "anything-but": [400, 404] }] }],
    ["$gt -> numeric", { amount: [{ $gt: 100 }] }, { amount: [{ numeric: [">", 100] }] }],
    [
      "$gte, $lt, $lte",
      { a: [{ $gte: 1 }], b: [{ $lt: 2 }], c: [{ $lte: 3 }] },
      { a: [{ numeric: [">=", 1] }], b: [{ numeric: ["<", 2] }], c: [{ numeric: ["<=", 3] }] },
    ],
    ["$between: both ends included", { age: [{ $between: [18, 65] }] }, { age: [{ numeric: [">=", 18, "<=", 65] }] }],
    ["$includes -> the value (an array field matches when it holds it)", { tags: [{ $includes: "vip" }] }, { tags: ["vip"] }],
    [
      "two bounds, which v2 ANDs, -> one numeric range",
      { amount: [{ $gt: 0 }, { $lte: 10 }] },
      { amount: [{ numeric: [">", 0, "<=", 10] }] },
    ],
    [
      "$exists: true beside another matcher is implied by it",
      { sku: [{ $exists: true }, { $startsWith: "A" }] },
      { sku: [{ prefix: "A" }] },
    ],
    [
      "nested objects",
      { customer: { tier: ["gold"], address: { country: ["FR", "DE"] } } },
      { customer: { tier: ["gold"], address: { country: ["FR", "DE"] } } },
    ],
    ["an empty list matches anything in v2: left out", { status: [], amount: [{ $gt: 1 }] }, { amount: [{ numeric: [">", 1] }] }],
  ])("%s", (_name, filter, pattern) => {
    expect(compileEventFilter(filter)).toEqual(pattern);
  });

  it("a filter that constrains nothing compiles to nothing (the rule matches on the event name alone)", () => {
    expect(compileEventFilter({})).toBeUndefined();
    expect(compileEventFilter({ status: [], customer: { tier: [] } })).toBeUndefined();
  });
});

describe("compileEventFilter refuses what EventBridge cannot express, saying what to write", () => {
  it.each([
    ["not an object", ["paid"], [], 'filter: must be an object of payload fields, e.g. { status: ["paid"] }'],
    ["a bare value", { status: "paid" }, ["status"], 'filter "status": a field takes a list of values or matchers, e.g. status: ["paid"]'],
    ["a matcher outside a list", { amount: { $gt: 100 } }, ["amount"], 'filter "amount": matchers go in a list: amount: [{ $gt: 100 }]'],
    [
      "an unknown matcher",
      { amount: [{ $gtt: 1 }] },
      ["amount", 0],
      'filter "amount[0]": unknown matcher "$gtt"; v2\'s matchers are $startsWith, $endsWith, $ignoreCaseEquals, $exists, $isNull, $anythingBut, $gt, $gte, $lt, $lte, $between, $includes',
    ],
    [
      "two operators in one matcher",
      { amount: [{ $gt: 1, $lt: 5 }] },
      ["amount", 0],
      'filter "amount[0]": a matcher has one operator; write [{ $gt: 1 }, { $lt: 5 }]',
    ],
    ["a number operator given a string", { amount: [{ $gt: "5" }] }, ["amount", 0], 'filter "amount[0]": $gt takes a number, got "5"'],
    [
      "$between backwards",
      { age: [{ $between: [65, 18] }] },
      ["age", 0],
      'filter "age[0]": $between takes [from, to] with from <= to, got [65,18]',
    ],
    [
      "$isNull: false",
      { deletedAt: [{ $isNull: false }] },
      ["deletedAt", 0],
      'filter "deletedAt[0]": $isNull: false (any value but null, or none) has no EventBridge pattern; match the values you expect, or [{ $exists: true }] if the field is never null',
    ],
    [
      "$anythingBut a boolean",
      { gift: [{ $anythingBut: true }] },
      ["gift", 0],
      'filter "gift[0]": EventBridge\'s anything-but takes strings or numbers; for a boolean write gift: [false]',
    ],
    [
      "values and matchers in one list",
      { sku: ["A1", { $startsWith: "B" }] },
      ["sku"],
      'filter "sku": a list holds values or matchers, not both (v2 ignores the values); write sku: [{ $startsWith: "B" }]',
    ],
    [
      "two lower bounds",
      { amount: [{ $gt: 1 }, { $gte: 2 }] },
      ["amount"],
      'filter "amount": v2 requires every matcher of a list, EventBridge any one; numeric matchers combine into one range with at most one lower ($gt, $gte, $between) and one upper ($lt, $lte, $between) bound',
    ],
    [
      "two string matchers, which v2 ANDs",
      { sku: [{ $startsWith: "A" }, { $endsWith: "Z" }] },
      ["sku"],
      'filter "sku": v2 requires every matcher of a list, EventBridge any one, so $startsWith and $endsWith cannot be one pattern; keep one and check the other in the job',
    ],
    ["$or as a field", { $or: [{ a: ["1"] }] }, ["$or"], 'filter "$or": EventBridge reads "$or" as its operator, not a payload field'],
    ["nested lists", { a: [["x"]] }, ["a", 0], 'filter "a[0]": lists do not nest; write a: ["x", ...]'],
    [
      "deep path",
      { customer: { tier: [{ $gt: "gold" }] } },
      ["customer", "tier", 0],
      'filter "customer.tier[0]": $gt takes a number, got "gold"',
    ],
  ])("%s", (_name, filter, path, message) => {
    let error: unknown;
    try {
      compileEventFilter(filter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventFilterError);
    expect((error as EventFilterError).path).toEqual(path);
    expect((error as EventFilterError).message).toBe(message);
  });
});

describe("eventPatternFor: the filter is more keys of the rule's pattern, under detail.payload", () => {
  const schema = { type: "object" };

  it("the whole pattern of a filtered trigger", () => {
    expect(
      eventPatternFor({ event: "order.created", source: "shop", schema, filter: { status: ["paid"], amount: [{ $gt: 100 }] } }),
    ).toEqual({
      "detail-type": ["order.created"],
      source: ["shop"],
      detail: { payload: { status: ["paid"], amount: [{ numeric: [">", 100] }] } },
    });
  });

  it("without a filter (or with one that constrains nothing) the pattern is unchanged", () => {
    expect(eventPatternFor({ event: "order.created", schema })).toEqual({ "detail-type": ["order.created"] });
    expect(eventPatternFor({ event: "order.created", schema, filter: { status: [] } })).toEqual({ "detail-type": ["order.created"] });
  });

  it("every compiled form is a pattern the matcher accepts, and matches as v2 did", () => {
    const trigger = {
      event: "order.created",
      schema,
      filter: {
        status: ["paid"],
        amount: [{ $between: [100, 1000] }],
        sku: [{ $startsWith: "EU-" }],
        coupon: [{ $exists: false }],
        country: [{ $ignoreCaseEquals: "fr" }],
        channel: [{ $anythingBut: ["test", "staging"] }],
        deletedAt: [{ $isNull: true }],
        tags: [{ $includes: "vip" }],
        customer: { tier: ["gold", "platinum"] },
      },
    } as const;
    const predicate = compileEventPattern(eventPatternFor(trigger));
    const base = {
      status: "paid",
      amount: 250,
      sku: "EU-42",
      country: "FR",
      channel: "web",
      deletedAt: null,
      tags: ["new", "vip"],
      customer: { tier: "gold" },
    };
    const event = (payload: unknown) =>
      toBusEvent({ id: "e1", name: "order.created", source: "shop", timestamp: "2026-12-04T00:00:00.000Z", payload });
    expect(predicate(event(base))).toBe(true);
    for (const [field, value] of [
      ["status", "refunded"],
      ["amount", 99],
      ["amount", 1001],
      ["sku", "US-42"],
      ["coupon", "SAVE"],
      ["country", "DE"],
      ["channel", "test"],
      ["deletedAt", "2026-01-01"],
      ["tags", ["new"]],
      ["customer", { tier: "silver" }],
    ] as const) {
      expect([field, predicate(event({ ...base, [field]: value }))]).toEqual([field, false]);
    }
    // A nested filter over an array of objects matches when one element matches (v2's `some`), both fields in the
    // same element (EventBridge's array consistency), as in v2.
    const items = eventPatternFor({ event: "order.created", schema, filter: { items: { sku: ["B"], qty: [{ $gt: 1 }] } } });
    const secondQty = (qty: number) =>
      matchEventPattern(
        items,
        event({
          items: [
            { sku: "A", qty: 5 },
            { sku: "B", qty },
          ],
        }),
      );
    expect([secondQty(2), secondQty(1)]).toEqual([true, false]);
  });
});
