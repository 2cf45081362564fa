import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import type { ConcurrencyPlan } from "../concurrency-limit.ts";
import { evaluateLiteral, unwrap } from "../evaluate-literal.ts";
import { isCallOf, locate, objectProperty } from "./ast.ts";
import { constDeclaration } from "./client-defaults.ts";
import { type DiscoverOptions, failed, mistake, type Read } from "./types.ts";

/** Largest limit accepted: far above what one table item's queue serves well (docs/limits.md). */
export const MAX_CONCURRENCY_LIMIT = 10_000;

/** What a limit's id may hold: it becomes part of a DynamoDB key and a state's Comment. */
const LIMIT_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** `payload.` and dotted property names: safe inside a JSONPath and `States.Format`. */
const KEY_PATH = /^payload(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Where the job's limit comes from and the schema its key must be required by. */
interface ConcurrencyContext {
  readonly file: TS.SourceFile;
  readonly jobObj: TS.ObjectLiteralExpression;
  readonly jobId: string;
  /** Undefined while a zod schema waits for its conversion (after reading): then only the key's form is checked. */
  readonly schema: Record<string, unknown> | undefined;
  readonly mode: "express" | undefined;
  readonly options: DiscoverOptions;
}

/**
 * Reads `concurrencyLimit`: a number, `{ limit, key }`, or a `const` made by `client.defineConcurrencyLimit({ id,
 * limit })` (in the job's file or the module it imports it from). Each mistake names the field at its place.
 */
export function readConcurrency(context: ConcurrencyContext): Read<ConcurrencyPlan | undefined> {
  const { file, jobObj, jobId } = context;
  const node = objectProperty(jobObj, "concurrencyLimit");
  if (!node) return { value: undefined };
  const at = locate(file, node);
  if (context.mode === "express") {
    return mistake(at, `job "${jobId}" concurrencyLimit needs a Standard workflow (Express executions report no end to release a slot on)`);
  }
  const shared = ts.isIdentifier(unwrap(node)) ? sharedLimit(context, unwrap(node) as TS.Identifier) : undefined;
  if (shared) return shared;
  const value = evaluateLiteral(node, file);
  if (!value.ok) {
    return mistake(
      at,
      `job "${jobId}" concurrencyLimit must be a number, { limit, key: "payload.<field>" } or a const from client.defineConcurrencyLimit`,
    );
  }
  if (typeof value.value === "number") return limitOf(at, jobId, "concurrencyLimit", value.value, { id: jobId });
  const written = value.value as { limit?: unknown; key?: unknown; id?: unknown } | null;
  if (!written || typeof written !== "object") return mistake(at, `job "${jobId}" concurrencyLimit must be a number or an object`);
  const key = written.key;
  if (key !== undefined) {
    const keyProblem = keyPathProblem(key, context.schema);
    if (keyProblem) return mistake(at, `job "${jobId}" concurrencyLimit.key ${keyProblem}`);
  }
  const id = written.id === undefined ? jobId : written.id;
  if (typeof id !== "string" || !LIMIT_ID.test(id))
    return mistake(at, `job "${jobId}" concurrencyLimit.id must be 1 to 64 of A-Z a-z 0-9 . _ -`);
  const keyField = typeof key === "string" ? { key: key.slice("payload.".length) } : {};
  return limitOf(at, jobId, "concurrencyLimit.limit", written.limit, { id, ...keyField });
}

/** A `const` whose initializer is `<client>.defineConcurrencyLimit({ id, limit })`: the shared limit. */
function sharedLimit(context: ConcurrencyContext, name: TS.Identifier): Read<ConcurrencyPlan> | undefined {
  const found = constDeclaration(context.file, name.text, context.options);
  const init = found && unwrap(found.init);
  if (!found || !init || !isCallOf(init, "defineConcurrencyLimit")) return undefined;
  const at = locate(found.source, init);
  const arg = init.arguments[0];
  const value = arg ? evaluateLiteral(arg, found.source) : undefined;
  const written = value?.ok ? (value.value as { id?: unknown; limit?: unknown } | null) : undefined;
  if (!written || typeof written !== "object") return mistake(at, "defineConcurrencyLimit takes a literal { id, limit }");
  if (typeof written.id !== "string" || !LIMIT_ID.test(written.id)) {
    return mistake(at, "defineConcurrencyLimit id must be 1 to 64 of A-Z a-z 0-9 . _ -");
  }
  return limitOf(at, context.jobId, `defineConcurrencyLimit "${written.id}" limit`, written.limit, { id: written.id });
}

/** The plan when `limit` is a whole number from 1 to {@link MAX_CONCURRENCY_LIMIT}. */
function limitOf(
  at: ReturnType<typeof locate>,
  jobId: string,
  field: string,
  limit: unknown,
  rest: Omit<ConcurrencyPlan, "limit">,
): Read<ConcurrencyPlan> {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_CONCURRENCY_LIMIT) {
    return mistake(at, `job "${jobId}" ${field} must be a whole number from 1 to ${MAX_CONCURRENCY_LIMIT}, got ${JSON.stringify(limit)}`);
  }
  return { value: { ...rest, limit } };
}

/**
 * Why a key path cannot be used, or undefined: it must be `payload.<field>` and every field on the way must be
 * required by the schema, so every run has a value to queue under (a missing one would fail the run's first state).
 */
export function keyPathProblem(key: unknown, schema: Record<string, unknown> | undefined): string | undefined {
  if (typeof key !== "string" || !KEY_PATH.test(key))
    return `must be "payload." and a dotted path of field names, got ${JSON.stringify(key)}`;
  if (schema === undefined) return undefined;
  let level: Record<string, unknown> | undefined = schema;
  for (const field of key.split(".").slice(1)) {
    const required: unknown[] = Array.isArray(level?.required) ? (level.required as unknown[]) : [];
    if (!required.includes(field)) return `"${key}": the trigger's schema must list "${field}" in required`;
    level = (level?.properties as Record<string, Record<string, unknown>> | undefined)?.[field];
  }
  return undefined;
}

export { failed };
