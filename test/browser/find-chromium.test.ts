import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findChromium, launchChromium, REPO_ROOT } from "./harness.ts";

/**
 * `npm test` on a fresh machine: the browser tests find a browser with nothing installed by hand. The packaged one
 * is unpacked here into a fresh directory, as on a machine that never ran the tests.
 */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-find-chromium-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const version = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules/@sparticuz/chromium/package.json"), "utf8")).version;

describe("the browser the tests drive", () => {
  it("is CHROMIUM_PATH when set, else a system Chromium when there is one", async () => {
    const system = path.join(scratch, "system-chromium");
    fs.writeFileSync(system, "");
    expect(await findChromium({ chromiumPath: "/opt/my/chrome", systemChromium: system })).toBe("/opt/my/chrome");
    expect(await findChromium({ chromiumPath: undefined, systemChromium: system })).toBe(system);
  });

  it("with neither, is the one @sparticuz/chromium ships, unpacked once even when two test files ask at the same time", async () => {
    const sources = {
      chromiumPath: undefined,
      systemChromium: path.join(scratch, "no-such-chromium"),
      unpackRoot: path.join(scratch, "unpacked"),
    };
    const found = await Promise.all([findChromium(sources), findChromium(sources)]);
    const executable = path.join(scratch, "unpacked", `stepjobs-chromium-${version}`, "chromium");
    expect(found).toEqual([executable, executable]);
    // No staging directory is left behind by the one that lost the race.
    expect(fs.readdirSync(path.join(scratch, "unpacked"))).toEqual([`stepjobs-chromium-${version}`]);

    const browser = await launchChromium(sources);
    try {
      // The package's own build (its major version is the package's), not another one left in the temp dir.
      expect(browser.version().split(".")[0]).toBe(version.split(".")[0]);
      const page = await browser.newPage();
      await page.setContent("<p id=found>rendered by the packaged browser</p>");
      expect(await page.textContent("#found")).toBe("rendered by the packaged browser");
    } finally {
      await browser.close();
    }
  });
});
