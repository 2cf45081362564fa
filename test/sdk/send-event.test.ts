import { describe, expect, it } from "vitest";
import { TriggerClient } from "../../lib/sdk/index.ts";
import { StepJobsError } from "../../lib/sdk/errors.ts";
import { eventsUrl } from "../../lib/sdk/send-event.ts";

// The HTTP exchanges themselves are tested against a real `stepjobs dev` (test/e2e/send-event.test.ts) and the
// deployed stack's function URL (test/stack/filters.test.ts).
describe("client.sendEvent: where it sends", () => {
  it.each([
    ["stepjobs dev", "http://localhost:8080", "http://localhost:8080/api/v1/events"],
    [
      "a function URL (the stack's ApiUrl output ends in a slash)",
      "https://abc.lambda-url.eu-west-1.on.aws/",
      "https://abc.lambda-url.eu-west-1.on.aws/api/v1/events",
    ],
    ["behind a path", "https://example.com/jobs", "https://example.com/jobs/api/v1/events"],
  ])("%s", (_name, base, url) => {
    expect(eventsUrl(base)).toBe(url);
  });

  it("without a key (option or TRIGGER_API_KEY) it refuses before any request, saying where the key comes from", async () => {
    const saved = process.env.TRIGGER_API_KEY;
    delete process.env.TRIGGER_API_KEY;
    try {
      const error = await new TriggerClient({ id: "app" }).sendEvent({ name: "e", payload: {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StepJobsError);
      expect([(error as StepJobsError).code, (error as Error).message]).toEqual([
        "MISSING_API_KEY",
        "no API key to send events with: set TRIGGER_API_KEY (stepjobs dev writes it to .env) or pass apiKey to new TriggerClient({ ... })",
      ]);
    } finally {
      if (saved !== undefined) process.env.TRIGGER_API_KEY = saved;
    }
  });
});
