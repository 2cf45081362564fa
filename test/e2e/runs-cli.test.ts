import { beforeAll, describe, expect, it } from "vitest";
import { devServerForThisFile, runCli } from "./helpers.ts";

/** `stepjobs runs` against `stepjobs dev` with more runs than one page: it says when it stops, and pages on request. */

const dev = devServerForThisFile();
const RUNS = 52;
let newestFirst: string[] = [];

beforeAll(async () => {
  for (let i = 0; i < RUNS; i++) {
    const sent = await dev.send("my.event", { message: `run ${i}`, shouldFail: false }, `list-${String(i).padStart(2, "0")}`);
    expect(sent.status).toBe(202);
  }
  const all = await dev.request("GET", "/api/v1/runs?jobId=my-first-workflow&limit=1000");
  newestFirst = all.body.runs.map((r: { id: string }) => r.id);
  expect(newestFirst).toHaveLength(RUNS);
});

const cli = (...args: string[]) => runCli(["runs", "--job", "my-first-workflow", ...args], { TRIGGER_API_URL: dev.url }, dev.root);
const idsOf = (stdout: string) =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => line.split("  ")[0]);

describe("stepjobs runs", () => {
  it("lists the newest 50 and says on stderr that there are more, and how to see them", async () => {
    const result = await cli();
    expect(result.code).toBe(0);
    expect(idsOf(result.stdout)).toEqual(newestFirst.slice(0, 50));
    expect(result.stderr).toBe("stepjobs runs: these are the newest 50; there are more (--limit N, or --all)\n");
  });

  it("--limit N lists N; --all follows the pages to the oldest and has nothing more to say", async () => {
    const three = await cli("--limit", "3");
    expect(idsOf(three.stdout)).toEqual(newestFirst.slice(0, 3));
    expect(three.stderr).toBe("stepjobs runs: these are the newest 3; there are more (--limit N, or --all)\n");
    const all = await cli("--all");
    expect([all.code, idsOf(all.stdout), all.stderr]).toEqual([0, newestFirst, ""]);
    const exact = await cli("--limit", String(RUNS));
    expect([idsOf(exact.stdout).length, exact.stderr]).toEqual([RUNS, ""]);
  });

  it("a --limit that is not a positive integer is a usage error", async () => {
    const result = await cli("--limit", "0");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^stepjobs runs: --limit must be a positive whole number, got "0"\n/);
  });
});
