import { describe, expect, it } from "vitest";
import { bearerToken, presentsKey, secretsEqual } from "../../lib/ingest/api-key.ts";

describe("the API key check (cloud API and stepjobs dev alike)", () => {
  it.each([
    ["Bearer tr_dev_abc", "tr_dev_abc"],
    ["bearer tr_dev_abc", "tr_dev_abc"],
    ["  Bearer   tr_dev_abc  ", "tr_dev_abc"],
    ["Basic dXNlcjpwYXNz", undefined],
    ["Bearer", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("the bearer token of %j is %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it("compares whole secrets: equal, one character off, a prefix, a longer one", () => {
    expect([
      secretsEqual("tr_dev_abc", "tr_dev_abc"),
      secretsEqual("tr_dev_abd", "tr_dev_abc"),
      secretsEqual("tr_dev_ab", "tr_dev_abc"),
      secretsEqual("tr_dev_abcd", "tr_dev_abc"),
    ]).toEqual([true, false, false, false]);
  });

  it("a header presents the key only as its bearer token", () => {
    expect([presentsKey("Bearer k1", "k1"), presentsKey("Bearer k2", "k1"), presentsKey("k1", "k1"), presentsKey(undefined, "k1")]).toEqual(
      [true, false, false, false],
    );
  });
});
