import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stringMatches } from "../../lib/compiler/string-matches.ts";
import { ApiAuth, isLoopbackAddress, readCookie } from "../../lib/local/auth.ts";
import { ensureEnvFile, parseEnv } from "../../lib/local/env-file.ts";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("ApiAuth", () => {
  const auth = new ApiAuth("tr_dev_secret");
  const session = auth.sessionCookie().split(";")[0];

  it.each([
    ["the key as a bearer token", { authorization: "Bearer tr_dev_secret" }, true],
    ["the key, scheme in lower case", { authorization: "bearer tr_dev_secret" }, true],
    ["a wrong key", { authorization: "Bearer tr_dev_secres" }, false],
    ["a prefix of the key", { authorization: "Bearer tr_dev_" }, false],
    ["the key without the scheme", { authorization: "tr_dev_secret" }, false],
    ["nothing", {}, false],
    ["the session cookie", { cookie: `theme=dark; ${session}` }, true],
    ["a forged session cookie", { cookie: "stepjobs_session=abc" }, false],
  ])("%s -> %s", (_name, headers, allowed) => {
    expect(auth.isAuthorized(request(headers as Record<string, string>))).toBe(allowed);
  });

  it.each([
    ["127.0.0.1", true],
    ["127.10.0.254", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["192.0.2.2", false],
    ["10.0.0.1", false],
    ["::ffff:192.0.2.2", false],
    ["fd00::2", false],
    ["0.0.0.0", false],
    ["::", false],
    ["128.0.0.1", false],
    [undefined, false],
  ])("the socket address %s is loopback: %s", (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });

  it("reads one cookie among several", () => {
    expect(readCookie("a=1; stepjobs_session=xyz; b=2", "stepjobs_session")).toBe("xyz");
    expect(readCookie(undefined, "stepjobs_session")).toBeUndefined();
  });
});

describe(".env", () => {
  it("parses KEY=VALUE lines, comments, quotes and export", () => {
    expect(parseEnv("# c\nA=1\nexport B=\"two words\"\nC='x'\nnot a line\n")).toEqual({ A: "1", B: "two words", C: "x" });
  });

  it("writes missing keys once and keeps existing ones", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-env-"));
    fs.writeFileSync(path.join(root, ".env"), "OTHER=1\nTRIGGER_API_KEY=tr_dev_mine");
    const first = ensureEnvFile(root);
    expect(first.generated).toEqual(["TRIGGER_PUBLIC_KEY"]);
    expect(first.values.TRIGGER_API_KEY).toBe("tr_dev_mine");
    expect(first.values.TRIGGER_PUBLIC_KEY).toMatch(/^pk_dev_[A-Za-z0-9_-]{43}$/);
    const second = ensureEnvFile(root);
    expect(second.generated).toEqual([]);
    expect(second.values).toEqual(first.values);
    expect(fs.readFileSync(path.join(root, ".env"), "utf8")).toBe(
      `OTHER=1\nTRIGGER_API_KEY=tr_dev_mine\nTRIGGER_PUBLIC_KEY=${first.values.TRIGGER_PUBLIC_KEY}\n`,
    );
    fs.rmSync(root, { recursive: true });
  });
});

describe("stringMatches (ASL StringMatches, how Route picks a pattern task state)", () => {
  it.each([
    ["fetch-*", "fetch-a", true],
    ["fetch-*", "fetch-", true],
    ["fetch-*", "fetchx", false],
    ["*-total", "compute-total", true],
    ["a.b*", "aXb", false],
    ["lit\\*", "lit*", true],
    ["lit\\*", "litx", false],
  ])("%s ~ %s -> %s", (pattern, value, expected) => {
    expect(stringMatches(pattern, value)).toBe(expected);
  });
});
