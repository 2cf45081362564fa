import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, createDashboardHandler } from "../../lib/dashboard/serve.ts";

/** The dashboard handler behind a bare node:http server, as `stepjobs dev` mounts it for non-/api requests. */
let server: http.Server;
let base: string;

beforeAll(async () => {
  const handler = await createDashboardHandler();
  server = http.createServer((req, res) => {
    res.setHeader("set-cookie", "session=abc; HttpOnly");
    void handler(req, res).then((served) => {
      if (!served) {
        res.statusCode = 404;
        res.end("not the dashboard's");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("createDashboardHandler serves the bundled UI offline", () => {
  it.each(["/", "/jobs", "/jobs/my-first-workflow", "/events", "/runs", "/runs/run-1", "/runs/"])(
    "%s -> index.html with a strict CSP, keeping the caller's cookie",
    async (path) => {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get("set-cookie")).toBe("session=abc; HttpOnly");
      const html = await res.text();
      expect(html).toMatch(/<script type="module" src="\/app\.js\?v=[0-9a-f]{12}"><\/script>/);
      expect(html).not.toMatch(/https?:\/\//);
    },
  );

  it("app.js and app.css are the esbuild bundle, with no external URL to fetch", async () => {
    const js = await fetch(`${base}/app.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await js.text();
    expect(code).toContain("/api/v1/stream");
    expect(code).not.toMatch(/from\s*["']preact/);
    const css = await (await fetch(`${base}/app.css`)).text();
    expect(css).toContain(".tl-bar");
    expect(css).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  it("answers 304 to a matching If-None-Match and HEAD without a body", async () => {
    const first = await fetch(`${base}/app.js`);
    const etag = first.headers.get("etag")!;
    expect((await fetch(`${base}/app.js`, { headers: { "If-None-Match": etag } })).status).toBe(304);
    const head = await fetch(`${base}/app.css`, { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
  });

  it.each([
    ["GET", "/nope"],
    ["GET", "/runs/a/b"],
    ["GET", "/api/v1/runs"],
    ["POST", "/runs"],
  ])("%s %s is not the dashboard's", async (method, path) => {
    const res = await fetch(base + path, { method });
    expect([res.status, await res.text()]).toEqual([404, "not the dashboard's"]);
  });
});
