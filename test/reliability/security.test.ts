import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile } from "../e2e/helpers.ts";

/**
 * The API key is a secret: never printed, never in the dashboard's HTML or JavaScript; the server listens on
 * 127.0.0.1 by default. (The key compare is constant-time: lib/ingest/api-key.ts `secretsEqual`, tested in
 * test/ingest/api-key.test.ts; a payload with `<script>` rendering as text is tested in test/browser/dashboard.test.ts.)
 */
const dev = devServerForThisFile();

describe("security of stepjobs dev", () => {
  it("the key is never printed, even after requests with right and wrong keys and a run that logs", async () => {
    await dev.send("my.event", { message: "hi", shouldFail: true }, "sec-1");
    await dev.request("GET", "/api/v1/runs", { headers: { authorization: `Bearer ${dev.apiKey}x` } });
    await dev.waitForRun("my-first-workflow--sec-1");
    expect(dev.apiKey).toMatch(/^tr_dev_.{20,}$/);
    expect(dev.output).not.toContain(dev.apiKey);
    expect(dev.output).toContain(".env");
  });

  it("the dashboard's page, script and stylesheet never contain the key", async () => {
    for (const asset of ["/", "/runs", "/app.js", "/app.css"]) {
      const response = await fetch(dev.url + asset);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toContain(dev.apiKey);
    }
  });

  it("it listens on 127.0.0.1 unless told otherwise (--host)", () => {
    expect(dev.output).toMatch(/API and dashboard on http:\/\/127\.0\.0\.1:\d+/);
  });

  it("the .env holding the key is readable by its owner only (0600)", () => {
    expect(fs.statSync(path.join(dev.root, ".env")).mode & 0o777).toBe(0o600);
  });
});
