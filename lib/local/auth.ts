import { randomBytes } from "node:crypto";
import { secretsEqual } from "../ingest/event-request.ts";
import type { IncomingMessage } from "node:http";

/**
 * Who may call the local API: a client presenting `Authorization: Bearer <TRIGGER_API_KEY>`, or the dashboard
 * in a browser, which holds an HttpOnly `stepjobs_session` cookie set when the server serves its page, so the
 * dashboard's JavaScript never sees the key. Both compared as SHA-256 digests in constant time (equal length
 * buffers, so `timingSafeEqual` applies and the comparison leaks neither content nor length).
 */

/** Name of the dashboard's session cookie. */
export const SESSION_COOKIE = "stepjobs_session";

export { secretsEqual };

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The request authenticator of one server process. */
export class ApiAuth {
  private readonly apiKey: string;
  /** Made at start: a restart logs the browser out, which a reload of the dashboard fixes. */
  private readonly sessionToken = randomBytes(32).toString("base64url");

  constructor(apiKey: string) {
    if (!apiKey) throw new Error("ApiAuth: an API key is required");
    this.apiKey = apiKey;
  }

  /** Whether the request carries the API key or the session cookie. */
  isAuthorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (bearer && secretsEqual(bearer[1], this.apiKey)) return true;
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie !== undefined && secretsEqual(cookie, this.sessionToken);
  }

  /** The `Set-Cookie` value sent with the dashboard page. */
  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.sessionToken}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
