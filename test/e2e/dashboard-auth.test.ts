import { describe, expect, it } from "vitest";
import { externalAddress } from "../helpers/external-address.ts";
import { devServerForThisFile } from "./helpers.ts";
import { sessionOf } from "../helpers/defined.ts";

/**
 * `stepjobs dev --host 0.0.0.0`: the dashboard opens without the key only for a client on loopback. A client that
 * connects from another address (this machine's external one: the socket's address, which no header can change)
 * gets a login form, no session and no API access until it posts the key.
 */

const dev = devServerForThisFile(undefined, { host: "0.0.0.0" });
const SPOOFED = { "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1", forwarded: "for=127.0.0.1" };
const remote = () => dev.urlVia(externalAddress());

/** Posts the login form as a browser does (no redirect following: the answer itself is checked). */
const login = (fields: Record<string, string>) =>
  fetch(`${remote()}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...SPOOFED },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });

describe("the dashboard bound beyond loopback", () => {
  it("dev warns that other machines can reach it and that they are asked for the key", () => {
    expect(dev.output).toContain(
      "stepjobs dev: listening on 0.0.0.0, beyond this machine: other machines can reach the dashboard and API; the dashboard asks them for the API key (TRIGGER_API_KEY in .env)",
    );
  });

  it("a client on another address gets the login form and no session, whatever X-Forwarded-For says", async () => {
    const page = await fetch(`${remote()}/runs`, { headers: SPOOFED });
    expect(page.status).toBe(200);
    expect(page.headers.get("set-cookie")).toBeNull();
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self'");
    const html = await page.text();
    expect(html).toContain('<form class="login-form" method="post" action="/login">');
    expect(html).toContain('<input type="hidden" name="next" value="/runs">');
    expect(html).not.toContain(dev.apiKey);
    const api = await fetch(`${remote()}/api/v1/runs`, { headers: SPOOFED });
    expect(api.status).toBe(401);
  });

  it("a wrong key is refused with the form again; the right one sets the HttpOnly SameSite=Strict session that opens the API", async () => {
    const wrong = await login({ key: "tr_dev_guess", next: "/runs" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("That is not the key. Enter the API key (TRIGGER_API_KEY in the project&#39;s .env).");

    const right = await login({ key: dev.apiKey, next: "/runs?status=FAILED" });
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe("/runs?status=FAILED");
    const cookie = right.headers.get("set-cookie");
    expect(cookie).toMatch(/^stepjobs_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    const session = sessionOf(right);
    const api = await fetch(`${remote()}/api/v1/runs`, { headers: { cookie: session } });
    expect(api.status).toBe(200);
    const page = await fetch(`${remote()}/runs`, { headers: { cookie: session } });
    expect(await page.text()).toContain('<div id="app"></div>');
  });

  it("after a login the redirect stays on this server (no open redirect)", async () => {
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example", "runs"]) {
      const answer = await login({ key: dev.apiKey, next });
      expect([next, answer.status, answer.headers.get("location")]).toEqual([next, 303, "/"]);
    }
  });

  it("a client on loopback still gets the dashboard and its session without the key", async () => {
    const page = await fetch(`${dev.url}/runs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("set-cookie")).toMatch(/^stepjobs_session=/);
    expect(await page.text()).toContain('<div id="app"></div>');
  });
});
