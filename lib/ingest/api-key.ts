import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The API key check shared by the cloud API Lambda and `stepjobs dev`: the bearer token of the request, compared
 * with the key in constant time, so both accept and refuse the same requests.
 */

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The scheme is case-insensitive
 * (RFC 7235 section 2.1: https://www.rfc-editor.org/rfc/rfc7235#section-2.1).
 */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec((header ?? "").trim())?.[1];
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/**
 * Constant-time equality of two secrets: both are hashed with SHA-256 first, so `timingSafeEqual` compares
 * equal-length buffers and the comparison leaks neither content nor length.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Whether an `Authorization` header presents `key` as its bearer token. */
export function presentsKey(header: string | undefined, key: string): boolean {
  const token = bearerToken(header);
  return token !== undefined && secretsEqual(token, key);
}
