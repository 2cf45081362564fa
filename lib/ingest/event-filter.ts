import { EventFilterError } from "./errors.ts";
import type { EventPattern } from "./event-pattern.ts";

/**
 * Trigger.dev v2's `filter` (an EventFilter over the payload) as an EventBridge pattern over the same payload, so a
 * job's filter is part of its rule (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)
 * and the local bus applies the very same pattern. v2 (`eventFilterMatches` in @trigger.dev/core) reads a list of
 * values as "any of them" and a list of matchers as "all of them"; EventBridge reads every list as "any of them".
 * Values map one to one; matchers map one to one when alone, numeric bounds fold into one range, and any other
 * combination is an {@link EventFilterError} saying what to write instead.
 */

type Path = readonly (string | number)[];

/** v2's matchers, in the order its docs list them. */
const V2_MATCHERS = [
  "$startsWith",
  "$endsWith",
  "$ignoreCaseEquals",
  "$exists",
  "$isNull",
  "$anythingBut",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$between",
  "$includes",
] as const;
type V2Matcher = (typeof V2_MATCHERS)[number];

/** EventBridge's numeric comparison for each v2 bound. */
const BOUNDS: Readonly<Record<"$gt" | "$gte" | "$lt" | "$lte", { side: "lower" | "upper"; op: string }>> = {
  $gt: { side: "lower", op: ">" },
  $gte: { side: "lower", op: ">=" },
  $lt: { side: "upper", op: "<" },
  $lte: { side: "upper", op: "<=" },
};

/** One v2 matcher, compiled: an EventBridge list entry, numeric bounds (folded with their neighbours), or `$exists: true`. */
type Term =
  | { readonly kind: "entry"; readonly operator: V2Matcher; readonly entry: unknown }
  | {
      readonly kind: "numeric";
      readonly operator: V2Matcher;
      readonly bounds: readonly { side: "lower" | "upper"; op: string; value: number }[];
    }
  | { readonly kind: "present" };

/**
 * The EventBridge pattern for the payload that `filter` selects, or undefined when it constrains nothing (v2 lets an
 * empty list match anything). Throws {@link EventFilterError} with the path of the part it cannot compile.
 */
export function compileEventFilter(filter: unknown): EventPattern | undefined {
  if (!isPlainObject(filter)) throw new EventFilterError([], 'must be an object of payload fields, e.g. { status: ["paid"] }');
  return compileFields(filter, []);
}

function compileFields(filter: Record<string, unknown>, path: Path): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(filter)) {
    const at = [...path, field];
    if (field === "$or") throw new EventFilterError(at, 'EventBridge reads "$or" as its operator, not a payload field');
    let compiled: unknown;
    if (Array.isArray(rule)) compiled = compileList(rule, at);
    else if (isPlainObject(rule)) compiled = compileNested(rule, at);
    else throw new EventFilterError(at, `a field takes a list of values or matchers, e.g. ${fieldCode(field)}: [${JSON.stringify(rule)}]`);
    if (compiled !== undefined) out[field] = compiled;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A nested filter for an object field; an object of matchers is the list form written without its brackets. */
function compileNested(rule: Record<string, unknown>, at: Path): Record<string, unknown> | undefined {
  const keys = Object.keys(rule);
  if (keys.length > 0 && keys.every(isV2Matcher)) {
    const list = keys.map((key) => renderMatcher(key, rule[key])).join(", ");
    throw new EventFilterError(at, `matchers go in a list: ${fieldCode(String(at[at.length - 1]))}: [${list}]`);
  }
  return compileFields(rule, at);
}

/** A field's list: values (any of them, as EventBridge reads a list) or matchers (all of them, folded into one entry). */
function compileList(list: readonly unknown[], at: Path): unknown[] | undefined {
  if (list.length === 0) return undefined;
  const field = fieldCode(String(at[at.length - 1]));
  list.forEach((item, i) => {
    if (Array.isArray(item))
      throw new EventFilterError([...at, i], `lists do not nest; write ${field}: [${item.map((v) => JSON.stringify(v)).join(", ")}, ...]`);
  });
  const matchers = list.filter(isPlainObject);
  if (matchers.length === 0) return [...list];
  if (matchers.length < list.length) {
    const written = matchers
      .map((m) =>
        Object.entries(m)
          .map(([k, v]) => renderMatcher(k, v))
          .join(", "),
      )
      .join(", ");
    throw new EventFilterError(at, `a list holds values or matchers, not both (v2 ignores the values); write ${field}: [${written}]`);
  }
  const terms = matchers.map((matcher, i) => compileMatcher(matcher, [...at, i]));
  return [combine(terms, at)];
}

/** The one EventBridge entry a list of v2 matchers (all of which must hold) becomes. */
function combine(terms: readonly Term[], at: Path): unknown {
  const constraining = terms.filter((t) => t.kind !== "present");
  // `$exists: true` holds whenever another matcher of the list does: each needs a value.
  if (constraining.length === 0) return { exists: true };
  if (constraining.every((t) => t.kind === "numeric")) return { numeric: foldBounds(constraining, at) };
  if (constraining.length === 1) return (constraining[0] as Extract<Term, { kind: "entry" }>).entry;
  const names = constraining.map((t) => (t as Exclude<Term, { kind: "present" }>).operator);
  throw new EventFilterError(
    at,
    `v2 requires every matcher of a list, EventBridge any one, so ${listed(names)} cannot be one pattern; keep one and check the other in the job`,
  );
}

/** Numeric bounds, which v2 ANDs, as EventBridge's one `numeric` range: at most one lower and one upper bound. */
function foldBounds(terms: readonly Extract<Term, { kind: "numeric" }>[], at: Path): (string | number)[] {
  const bounds = terms.flatMap((t) => t.bounds);
  const lower = bounds.filter((b) => b.side === "lower");
  const upper = bounds.filter((b) => b.side === "upper");
  if (lower.length > 1 || upper.length > 1) {
    throw new EventFilterError(
      at,
      "v2 requires every matcher of a list, EventBridge any one; numeric matchers combine into one range with at most one lower ($gt, $gte, $between) and one upper ($lt, $lte, $between) bound",
    );
  }
  return [...lower, ...upper].flatMap((b) => [b.op, b.value]);
}

/** One v2 matcher (`{ $gt: 100 }`) as a {@link Term}, its operand checked the way v2's schema types it. */
function compileMatcher(matcher: Record<string, unknown>, at: Path): Term {
  const keys = Object.keys(matcher);
  const unknown = keys.find((key) => !isV2Matcher(key));
  if (unknown !== undefined || keys.length === 0) {
    throw new EventFilterError(
      at,
      `unknown matcher ${unknown === undefined ? "{}" : `"${unknown}"`}; v2's matchers are ${V2_MATCHERS.join(", ")}`,
    );
  }
  if (keys.length > 1) {
    throw new EventFilterError(at, `a matcher has one operator; write [${keys.map((key) => renderMatcher(key, matcher[key])).join(", ")}]`);
  }
  const operator = keys[0] as V2Matcher;
  const operand = matcher[operator];
  const wrong = (wants: string): never => {
    throw new EventFilterError(at, `${operator} takes ${wants}, got ${JSON.stringify(operand)}`);
  };
  const entry = (value: unknown): Term => ({ kind: "entry", operator, entry: value });
  switch (operator) {
    case "$startsWith":
    case "$endsWith":
    case "$ignoreCaseEquals":
      if (typeof operand !== "string") return wrong("a string");
      return entry({ [{ $startsWith: "prefix", $endsWith: "suffix", $ignoreCaseEquals: "equals-ignore-case" }[operator]]: operand });
    case "$exists":
      if (typeof operand !== "boolean") return wrong("true or false");
      return operand ? { kind: "present" } : entry({ exists: false });
    case "$isNull":
      if (typeof operand !== "boolean") return wrong("true or false");
      if (!operand) {
        throw new EventFilterError(
          at,
          "$isNull: false (any value but null, or none) has no EventBridge pattern; match the values you expect, or [{ $exists: true }] if the field is never null",
        );
      }
      return entry(null);
    case "$anythingBut":
      return entry({ "anything-but": anythingBut(operand, at) });
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      if (typeof operand !== "number" || !Number.isFinite(operand)) return wrong("a number");
      return { kind: "numeric", operator, bounds: [{ ...BOUNDS[operator], value: operand }] };
    case "$between": {
      const [from, to] = Array.isArray(operand) ? operand : [];
      const valid = Array.isArray(operand) && operand.length === 2 && [from, to].every((n) => typeof n === "number" && Number.isFinite(n));
      if (!valid || from > to) return wrong("[from, to] with from <= to");
      return {
        kind: "numeric",
        operator,
        bounds: [
          { side: "lower", op: ">=", value: from },
          { side: "upper", op: "<=", value: to },
        ],
      };
    }
    case "$includes":
      if (!["string", "number", "boolean"].includes(typeof operand)) return wrong("a string, number or boolean");
      // EventBridge matches an array field when one element equals a listed value (and a plain field equal to it).
      return entry(operand);
  }
}

/** `$anythingBut`'s operand as EventBridge's: a string, a number, or a list of only strings or only numbers. */
function anythingBut(operand: unknown, at: Path): unknown {
  const values: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
  if (values.length > 0 && (values.every((v) => typeof v === "string") || values.every((v) => typeof v === "number"))) return operand;
  if (values.length > 0 && values.every((v) => typeof v === "boolean")) {
    const others = [true, false].filter((b) => !values.includes(b));
    const field = fieldCode(String(at[at.length - 2]));
    throw new EventFilterError(
      at,
      `EventBridge's anything-but takes strings or numbers; for a boolean write ${others.length > 0 ? `${field}: ${JSON.stringify(others)}` : "the values you expect"}`,
    );
  }
  throw new EventFilterError(
    at,
    `$anythingBut takes a string, a number, or a list of only strings or only numbers, got ${JSON.stringify(operand)}`,
  );
}

function isV2Matcher(key: string): key is V2Matcher {
  return (V2_MATCHERS as readonly string[]).includes(key);
}

/** `{ $gt: 100 }`: a matcher the way v2 code writes it. */
function renderMatcher(key: string, value: unknown): string {
  return `{ ${key}: ${JSON.stringify(value)} }`;
}

/** A field name the way code writes it: bare when it is an identifier, quoted otherwise. */
function fieldCode(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? field : JSON.stringify(field);
}

/** `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length === 1 ? String(names[0]) : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
