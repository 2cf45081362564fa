import type { JobPlan } from "../compiler/job-plan.ts";
import { InvalidEventPatternError } from "./errors.ts";
import { compileEventFilter } from "./event-filter.ts";

/**
 * EventBridge event patterns: the one pattern per job that the CDK rule deploys and the local bus applies,
 * and a matcher implementing the documented semantics (no npm package fits).
 * Semantics: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 */

/** An EventBridge event pattern (JSON). Fields AND together; the values in a leaf array OR together. */
export type EventPattern = { readonly [field: string]: unknown };

/**
 * The pattern a job's rule uses: `detail-type` is the event name; `source` only when the trigger sets one; `detail`
 * only when its v2 `filter` constrains the payload, which a stepjobs event carries in `detail.payload` (bus-event.ts).
 */
export type JobEventPattern = {
  readonly "detail-type": readonly [string];
  readonly source?: readonly [string];
  readonly detail?: { readonly payload: EventPattern };
};

/**
 * The exact pattern of the EventBridge rule for a job's trigger, which ingest and the local bus also apply, so the
 * rule and the runs ingest starts never disagree. A `filter` that cannot compile throws EventFilterError (synth
 * reports it first, at its file:line). See https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export function eventPatternFor(trigger: JobPlan["trigger"]): JobEventPattern {
  const payload = trigger.filter === undefined ? undefined : compileEventFilter(trigger.filter);
  return {
    "detail-type": [trigger.event],
    ...(trigger.source === undefined ? {} : { source: [trigger.source] as const }),
    ...(payload === undefined ? {} : { detail: { payload } }),
  };
}

/** A compiled pattern: tests one parsed EventBridge event. */
export type EventPredicate = (event: unknown) => boolean;

/** A compiled leaf matcher: tests one leaf value (a string, number, boolean or null). */
type ValueTest = (leaf: unknown) => boolean;

/**
 * Whether `event` (a parsed EventBridge event: `source`, `detail-type`, `detail`, ...) matches `pattern`.
 * Supports exact values (strings, numbers, booleans, null), leaf arrays (OR), nested objects, event arrays
 * (match when any element matches; for an array of objects, one element must match the whole nested rule), `prefix`, `suffix` (both also with `equals-ignore-case`),
 * `equals-ignore-case`, `anything-but` (values, lists, `prefix`, `suffix`, `equals-ignore-case`, `wildcard`),
 * `numeric`, `exists`, `wildcard`, `cidr` (IPv4/IPv6) and `$or`. A malformed pattern throws
 * {@link InvalidEventPatternError} whatever the event. Deviation: EventBridge compares plain numbers by their
 * JSON text (300 and 3.0e2 differ); a parsed event has lost that text, so numbers compare by value here.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function matchEventPattern(pattern: EventPattern, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

/**
 * Validates `pattern` once and returns its predicate, for a bus that tests many events against one rule
 * (EventBridge likewise rejects a malformed pattern when the rule is created, not per event).
 */
export function compileEventPattern(pattern: EventPattern): EventPredicate {
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError("", "a pattern must be a JSON object");
  return compileObject(pattern, "");
}

/** An object rule: every field must hold (and one branch of each `$or`). */
function compileObject(pattern: Record<string, unknown>, path: string): EventPredicate {
  const fields = Object.entries(pattern);
  if (fields.length === 0) throw new InvalidEventPatternError(path, "empty objects are not allowed");
  const tests = fields.map(([key, rule]): EventPredicate => {
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") return compileOr(rule, at);
    const fieldTest = Array.isArray(rule)
      ? compileLeaf(rule, at)
      : isPlainObject(rule)
        ? compileElements(compileObject(rule, at))
        : undefined;
    if (!fieldTest) throw new InvalidEventPatternError(at, "must be an array of values or an object");
    return (value) => fieldTest(isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined);
  });
  return (value) => tests.every((test) => test(value));
}

/**
 * An object rule over a field that may hold an array of objects: it matches when one element matches all of it.
 * EventBridge's matcher (aws/event-ruler) keeps "array consistency": the fields a rule matches must come from the
 * same element of an array, never from peer elements.
 */
function compileElements(objectTest: EventPredicate): EventPredicate {
  return (field) => (Array.isArray(field) ? field.some((item) => isPlainObject(item) && objectTest(item)) : objectTest(field));
}

function compileOr(branches: unknown, path: string): EventPredicate {
  if (!Array.isArray(branches) || branches.length < 2 || !branches.every(isPlainObject)) {
    throw new InvalidEventPatternError(path, "$or must be an array of at least two objects");
  }
  const tests = branches.map((branch) => compileObject(branch, path));
  return (value) => tests.some((test) => test(value));
}

/**
 * A leaf rule: matches if any of its matchers matches the field. An absent field (or an intermediate object,
 * which is not a leaf) is seen only by `exists: false`; an array field matches when any element does.
 */
function compileLeaf(matchers: readonly unknown[], path: string): EventPredicate {
  if (matchers.length === 0) throw new InvalidEventPatternError(path, "a value list must not be empty");
  const tests = matchers.map((matcher): EventPredicate => {
    if (isPlainObject(matcher) && Object.hasOwn(matcher, "exists")) {
      const wanted = onlyKey(matcher, "exists", path);
      if (typeof wanted !== "boolean") throw new InvalidEventPatternError(path, "exists must be true or false");
      return (field) => wanted === leafValues(field).length > 0;
    }
    const test = compileValue(matcher, path);
    return (field) => leafValues(field).some(test);
  });
  return (field) => tests.some((test) => test(field));
}

/** The leaf values at a field: none when absent or an object, the elements when an array. */
function leafValues(field: unknown): readonly unknown[] {
  if (field === undefined || isPlainObject(field)) return [];
  if (Array.isArray(field)) return field.filter((item) => !isPlainObject(item) && !Array.isArray(item));
  return [field];
}

/** One matcher of a leaf list. */
function compileValue(matcher: unknown, path: string): ValueTest {
  if (matcher === null || typeof matcher !== "object") return (leaf) => leaf === matcher;
  if (Array.isArray(matcher)) throw new InvalidEventPatternError(path, "nested arrays are not allowed");
  const [operator, operand] = singleEntry(matcher as Record<string, unknown>, path);
  switch (operator) {
    case "prefix":
    case "suffix":
      return compileAffix(operand, path, operator);
    case "equals-ignore-case": {
      const wanted = stringsOf(operand, path, operator).map(foldCase);
      return (leaf) => typeof leaf === "string" && wanted.includes(foldCase(leaf));
    }
    case "wildcard": {
      const patterns = stringsOf(operand, path, operator).map((w) => wildcardRegExp(w, path));
      return (leaf) => typeof leaf === "string" && patterns.some((re) => re.test(leaf));
    }
    case "anything-but": {
      const excluded = compileAnythingBut(operand, path);
      return (leaf) => !excluded(leaf);
    }
    case "numeric":
      return compileNumeric(operand, path);
    case "cidr":
      return compileCidr(operand, path);
    default:
      throw new InvalidEventPatternError(path, `unknown operator "${operator}"`);
  }
}

/** `prefix`/`suffix` with a string, or with `{ "equals-ignore-case": string }`. */
function compileAffix(operand: unknown, path: string, kind: "prefix" | "suffix"): ValueTest {
  let affix: string;
  let fold = (text: string) => text;
  if (typeof operand === "string") {
    affix = operand;
  } else if (isPlainObject(operand)) {
    const inner = onlyKey(operand, "equals-ignore-case", path);
    if (typeof inner !== "string") throw new InvalidEventPatternError(path, `${kind} equals-ignore-case must be a string`);
    affix = foldCase(inner);
    fold = foldCase;
  } else {
    throw new InvalidEventPatternError(path, `${kind} must be a string or { "equals-ignore-case": string }`);
  }
  return (leaf) => typeof leaf === "string" && (kind === "prefix" ? fold(leaf).startsWith(affix) : fold(leaf).endsWith(affix));
}

/** The test for what `anything-but` excludes (the caller negates it). */
function compileAnythingBut(operand: unknown, path: string): ValueTest {
  if (isPlainObject(operand)) {
    const [operator, inner] = singleEntry(operand, path);
    switch (operator) {
      case "prefix":
      case "suffix":
        if (typeof inner !== "string") throw new InvalidEventPatternError(path, `anything-but ${operator} must be a string`);
        return compileAffix(inner, path, operator);
      case "equals-ignore-case":
      case "wildcard":
        return compileValue({ [operator]: inner }, path);
      default:
        throw new InvalidEventPatternError(path, `anything-but does not support "${operator}"`);
    }
  }
  const excluded: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
  const allStrings = excluded.every((v) => typeof v === "string");
  const allNumbers = excluded.every((v) => typeof v === "number");
  if (excluded.length === 0 || !(allStrings || allNumbers)) {
    throw new InvalidEventPatternError(path, "anything-but takes a string, a number, or a list of only strings or only numbers");
  }
  return (leaf) => excluded.some((value) => value === leaf);
}

const NUMERIC_OPERATORS: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  "=": (a, b) => a === b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
};

/** `numeric: [op, n, op, n]`: every comparison must hold (a range is two comparisons). */
function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) {
    throw new InvalidEventPatternError(path, 'numeric takes one or two [operator, number] pairs, e.g. [">", 0, "<=", 5]');
  }
  const comparisons: ((leaf: number) => boolean)[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = Object.hasOwn(NUMERIC_OPERATORS, operand[i]) ? NUMERIC_OPERATORS[operand[i] as string] : undefined;
    const bound = operand[i + 1];
    if (!compare || typeof bound !== "number") {
      throw new InvalidEventPatternError(
        path,
        `numeric: "${String(operand[i])}" ${String(bound)} is not an operator (=, <, <=, >, >=) and a number`,
      );
    }
    comparisons.push((leaf) => compare(leaf, bound));
  }
  return (leaf) => typeof leaf === "number" && comparisons.every((holds) => holds(leaf));
}

/** `wildcard`: `*` matches any run of characters; `\*` and `\\` are a literal star and backslash. */
function wildcardRegExp(wildcard: string, path: string): RegExp {
  let source = "";
  for (let i = 0; i < wildcard.length; i++) {
    const ch = wildcard.charAt(i);
    if (ch === "\\") {
      const next = wildcard.charAt(i + 1);
      if (next !== "*" && next !== "\\")
        throw new InvalidEventPatternError(path, `wildcard "${wildcard}": only \\* and \\\\ may be escaped`);
      source += escapeRegExp(next);
      i++;
    } else {
      source += ch === "*" ? "[\\s\\S]*" : escapeRegExp(ch);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** `cidr`: IPv4 (`10.0.0.0/24`) or IPv6 (`2001:db8::/32`) ranges; a bare address means a single host. */
function compileCidr(operand: unknown, path: string): ValueTest {
  if (typeof operand !== "string") throw new InvalidEventPatternError(path, "cidr must be a string");
  const [base = "", bitsText] = operand.split("/", 2);
  const network = parseIp(base);
  if (!network) throw new InvalidEventPatternError(path, `cidr "${operand}" is not an IPv4 or IPv6 range`);
  const width = network.version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? "0") || bits > width) {
    throw new InvalidEventPatternError(path, `cidr "${operand}" has an invalid prefix length`);
  }
  const shift = BigInt(width - bits);
  const prefix = network.value >> shift;
  return (leaf) => {
    const address = typeof leaf === "string" ? parseIp(leaf) : undefined;
    return address?.version === network.version && address.value >> shift === prefix;
  };
}

function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined) => (half === undefined || half === "" ? [] : half.split(":"));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function stringsOf(operand: unknown, path: string, operator: string): readonly string[] {
  const list = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0 || !list.every((s) => typeof s === "string")) {
    throw new InvalidEventPatternError(path, `${operator} must be a string or a list of strings`);
  }
  return list as string[];
}

/** Case folding for equals-ignore-case: lower-casing both sides, which is what "any casing variation" needs. */
function foldCase(text: string): string {
  return text.toLowerCase();
}

function singleEntry(object: Record<string, unknown>, path: string): [string, unknown] {
  const [entry, ...more] = Object.entries(object);
  if (!entry || more.length > 0) {
    throw new InvalidEventPatternError(path, `a matcher object must have exactly one operator, got ${JSON.stringify(object)}`);
  }
  return entry;
}

function onlyKey(object: Record<string, unknown>, key: string, path: string): unknown {
  const [operator, operand] = singleEntry(object, path);
  if (operator !== key) throw new InvalidEventPatternError(path, `expected "${key}", got "${operator}"`);
  return operand;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
