import { createHash } from "node:crypto";

/**
 * Event ids and run names. A run id is the Step Functions execution name, so it must satisfy
 * StartExecution's `name` rules (1-80 characters; for CloudWatch logging only `0-9 A-Z a-z - _`):
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 * Because it is derived, not random, a retried ingest names the same execution and Step Functions answers
 * `ExecutionAlreadyExists` instead of starting a second run (names are reserved for 90 days).
 */

/** Maximum length of a Step Functions execution name (StartExecution `name`, "Length Constraints: 1-80"). */
export const MAX_EXECUTION_NAME_LENGTH = 80;

/** Characters we allow in an execution name: the set for which CloudWatch logging works. */
const EXECUTION_NAME_CHARS = /^[A-Za-z0-9_-]+$/;

/** Separator of the readable form `${jobId}--${eventId}`. */
const SEPARATOR = "--";

/** Hex digits of sha256 kept in the fallback form (128 bits: collisions are not a practical concern). */
const HASH_HEX_LENGTH = 32;

/** Crockford base32 (no I, L, O, U): ASCII-ordered, so ids sort by time as plain strings (as ULID does). */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

/**
 * A new event id: 10 characters of millisecond time then 16 random ones, Crockford base32 (the ULID layout),
 * so ids sort by creation time, are URL-safe and valid execution-name characters.
 * `now` and `random` are injectable for tests.
 */
export function newEventId(
  now: number = Date.now(),
  random: (bytes: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
): string {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`newEventId: time must be a non-negative integer, got ${now}`);
  return encodeTime(now) + encodeRandom(random(RANDOM_CHARS));
}

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // One character per byte (5 of its 8 bits): simple, and 80 random bits are plenty for ids that also carry time.
  return Array.from(bytes.subarray(0, RANDOM_CHARS), (b) => CROCKFORD[b % 32]).join("");
}

/**
 * The run id (= Step Functions execution name) of job `jobId` started by event `eventId`: deterministic and
 * unique per pair. Readable `${jobId}--${eventId}` when that is a valid name whose split is unambiguous;
 * otherwise `${slug}_${sha256 prefix}`, which never contains `--`, so the two forms cannot collide.
 * See https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (name: 1-80 chars).
 */
export function runIdFor(jobId: string, eventId: string): string {
  if (!jobId) throw new RangeError("runIdFor: jobId must be a non-empty string");
  if (!eventId) throw new RangeError("runIdFor: eventId must be a non-empty string");
  return isReadable(jobId, eventId) ? `${jobId}${SEPARATOR}${eventId}` : hashedRunId(jobId, eventId);
}

/**
 * The readable form is injective only if the first `--` in the name ends the job id: so the job id may not
 * contain `--` nor end with `-` (otherwise `a-` + `-b` and `a` + `--b`... would meet).
 */
function isReadable(jobId: string, eventId: string): boolean {
  return (
    EXECUTION_NAME_CHARS.test(jobId) &&
    EXECUTION_NAME_CHARS.test(eventId) &&
    !jobId.includes(SEPARATOR) &&
    !jobId.endsWith("-") &&
    jobId.length + SEPARATOR.length + eventId.length <= MAX_EXECUTION_NAME_LENGTH
  );
}

function hashedRunId(jobId: string, eventId: string): string {
  // JSON of the pair is an unambiguous encoding of both strings, whatever characters they hold.
  const hash = createHash("sha256")
    .update(JSON.stringify([jobId, eventId]))
    .digest("hex")
    .slice(0, HASH_HEX_LENGTH);
  const room = MAX_EXECUTION_NAME_LENGTH - 1 - HASH_HEX_LENGTH;
  const slug = slugFor(jobId).slice(0, room);
  return slug ? `${slug}_${hash}` : hash;
}

/** The job id reduced to execution-name characters with no `--` (keeps the hashed form apart from readable ones). */
function slugFor(jobId: string): string {
  return jobId.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/-{2,}/g, "-");
}

/** The suffix of a continued run's id: `_c<n>` (`_` never appears in a readable run id's job part's separator). */
const CONTINUATION = /_c(\d+)$/;

/**
 * The run id (execution name) of the next continuation of a run: `<id>_c1`, then `<id>_c2` for a continuation
 * of that one, so each attempt at finishing a run after a code fix is a new execution under a readable name (an
 * execution name cannot be reused for 90 days). Over 80 characters, the base is hashed as runIdFor does.
 */
export function continuationRunId(runId: string): string {
  const match = CONTINUATION.exec(runId);
  const base = match ? runId.slice(0, match.index) : runId;
  const suffix = `_c${match ? Number(match[1]) + 1 : 1}`;
  if (base.length + suffix.length <= MAX_EXECUTION_NAME_LENGTH) return `${base}${suffix}`;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, HASH_HEX_LENGTH);
  return `${base.slice(0, MAX_EXECUTION_NAME_LENGTH - suffix.length - HASH_HEX_LENGTH - 1)}_${hash}${suffix}`;
}
