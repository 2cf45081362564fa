import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGEST_MAX_RECEIVE_COUNT, INGEST_VISIBILITY_TIMEOUT } from "../../lib/constructs/step-jobs.ts";
import { cli, DeployedApp } from "./lane.ts";
import type { PolicyDocument } from "./sim/iam-policy.ts";
import { synthesize } from "./synth.ts";

/**
 * Nothing accepted is lost: an event ingest cannot take is retried for 24 hours (the queue's budget, time-skipped
 * here), then dead-lettered with its error, listed by `stepjobs dlq list --aws` and replayed by `dlq replay --aws`
 * into the run it should have started. The CLI runs in process against the simulated account's endpoint.
 */
let app: DeployedApp;

beforeAll(async () => {
  app = await DeployedApp.deploy(synthesize({ stackName: "StepJobs" }));
  Object.assign(process.env, app.cloud.operatorEnv());
});
afterAll(async () => {
  await app?.close();
});

describe("an event ingest cannot take", () => {
  it("is retried for 24 hours, dead-lettered with its error, listed, then replayed into its one run", async () => {
    // An operator breaks ingest's access to the table (what a bad IAM change does): every receive fails.
    const role = [...app.cloud.account.roles.values()].find((r) => r.name.includes("IngestServiceRole"))!;
    const saved = new Map(role.policies);
    for (const [id, doc] of role.policies) {
      const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter(
        (s) => !JSON.stringify(s.Action).includes("dynamodb:"),
      );
      role.policies.set(id, { ...doc, Statement: statements } as PolicyDocument);
    }
    const started = app.cloud.clock.now();
    expect((await app.post({ name: "my.event", id: "lost-1", payload: { message: "keep me", shouldFail: false } })).status).toBe(202);
    await app.cloud.settled();

    const ingestQueue = [...app.cloud.sqs.queues.values()].find((q) => q.name.includes("IngestQueue"))!;
    const dlq = [...app.cloud.sqs.queues.values()].find((q) => q.name.includes("DeadLetterQueue"))!;
    expect(ingestQueue.messages).toEqual([]);
    expect(
      dlq.messages.map((m) => [
        JSON.parse(m.body).detail.id,
        m.messageAttributes.ERROR_CODE?.StringValue,
        m.messageAttributes.SOURCE?.StringValue,
      ]),
    ).toEqual([["lost-1", "AccessDeniedException", "ingest"]]);
    // Every receive was a retry 3 minutes after the last: 24 hours passed on the simulated clock.
    expect(Number(dlq.messages[0]?.messageAttributes.RECEIVE_COUNT?.StringValue)).toBe(INGEST_MAX_RECEIVE_COUNT);
    expect(app.cloud.clock.now() - started).toBeGreaterThanOrEqual(
      (INGEST_MAX_RECEIVE_COUNT - 1) * INGEST_VISIBILITY_TIMEOUT.toMilliseconds(),
    );
    expect(app.cloud.sfn.executions.size).toBe(0);

    // Fixed: the policy is back. The CLI lists the dead letter with why, and replays it.
    for (const [id, doc] of saved) role.policies.set(id, doc);
    const denialsBefore = app.cloud.account.denials.length;
    const list = await cli("dlq", "list", "--aws", "--stack", "StepJobs");
    expect(list.err).toBe("");
    expect(list.out).toMatch(
      /^lost-1 {2}my\.event {2}AccessDeniedException: User: arn:aws:iam::123456789012:role\/\S*IngestServiceRole\S* is not authorized to perform: dynamodb:PutItem/,
    );
    expect(list.code).toBe(0);
    const replay = await cli("dlq", "replay", "--aws", "--stack", "StepJobs");
    expect([replay.code, replay.out.split("\n").at(-2)]).toEqual([0, "replayed 1 event(s)"]);
    const run = await app.run("my-first-workflow--lost-1");
    expect(run.status).toBe("SUCCEEDED");
    expect(dlq.messages).toEqual([]);
    expect(app.cloud.account.denials.slice(denialsBefore)).toEqual([]);
  });

  it("an event no retry can fix (an id over 256 characters) goes to the dead-letter queue on its first receive, with why", async () => {
    const dlq = [...app.cloud.sqs.queues.values()].find((q) => q.name.includes("DeadLetterQueue"))!;
    const id = "x".repeat(300);
    await app.putEvent({ name: "my.event", detail: { id, payload: { message: "m", shouldFail: false } } });
    await app.cloud.settled();
    expect(
      dlq.messages.map((m) => [
        m.messageAttributes.ERROR_CODE?.StringValue,
        m.messageAttributes.ERROR_MESSAGE?.StringValue,
        m.messageAttributes.RECEIVE_COUNT?.StringValue,
      ]),
    ).toEqual([["INVALID_EVENT", "event id must be a string of 1 to 256 characters, without control characters", "1"]]);
    expect(app.cloud.account.denials.filter((d) => !d.action.startsWith("dynamodb:"))).toEqual([]);
  });
});
