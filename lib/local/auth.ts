import { randomBytes } from "node:crypto";
import { bearerToken, secretsEqual } from "../ingest/api-key.ts";
import type { IncomingMessage } from "node:http";

/**
 * Who may call the local API: a client presenting `Authorization: Bearer <TRIGGER_API_KEY>`, or the dashboard
 * in a browser, which holds an HttpOnly `stepjobs_session` cookie, so the dashboard's JavaScript never sees the
 * key. The page hands that cookie out by itself only to a client on loopback (the socket's address: headers such
 * as X-Forwarded-For are the client's word and count for nothing); any other client gets it by posting the key
 * to the login form once. Secrets are compared as SHA-256 digests in constant time (equal length buffers, so
 * `timingSafeEqual` applies and the comparison leaks neither content nor length).
 */

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "stepjobs_session";

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether an address is this machine's loopback: 127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address
 * (what a dual-stack socket reports for an IPv4 client). https://www.rfc-editor.org/rfc/rfc6890#section-2.2.2
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/** The request authenticator of one server process. */
export class ApiAuth {
  private readonly apiKey: string;
  /** Made at start: a restart logs the browser out, which a reload of the dashboard fixes. */
  private readonly sessionToken = randomBytes(32).toString("base64url");

  /** Which key this is and where to find it, for the login form: "the API key (TRIGGER_API_KEY in the project's .env)". */
  readonly keyHint: string;

  constructor(apiKey: string, keyHint = "the API key (TRIGGER_API_KEY in the project's .env)") {
    if (!apiKey) throw new Error("ApiAuth: an API key is required");
    this.apiKey = apiKey;
    this.keyHint = keyHint;
  }

  /** Whether the request carries the API key or the session cookie. */
  isAuthorized(req: IncomingMessage): boolean {
    const token = bearerToken(req.headers.authorization);
    return (token !== undefined && this.acceptsKey(token)) || this.hasSession(req);
  }

  /** Whether the request carries the session cookie. */
  hasSession(req: IncomingMessage): boolean {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && secretsEqual(cookie, this.sessionToken);
  }

  /** Whether `key` is the API key (the login form's field). */
  acceptsKey(key: string): boolean {
    return secretsEqual(key, this.apiKey);
  }

  /** Whether the dashboard opens for this request without the key: the client connected from loopback. */
  opensWithoutKey(req: IncomingMessage): boolean {
    return isLoopbackAddress(req.socket.remoteAddress);
  }

  /** The `Set-Cookie` value sent with the dashboard page. */
  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.sessionToken}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
