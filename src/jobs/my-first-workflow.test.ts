// The tutorial job, tested on its compiled state machine with stepjobs/testing (no server, retry waits skipped).
// Run with `npm test` (Node's test runner through tsx); the same calls work in vitest or jest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testJobs } from "stepjobs/testing";

test("my-first-workflow: attempt 1 fails, the retry 1 s later succeeds, then send-confirmation", async () => {
  const jobs = await testJobs();
  const run = await jobs.run("my-first-workflow", { message: "Hello", shouldFail: true });
  assert.equal(run.status, "SUCCEEDED");
  assert.deepEqual(
    run.task("process-incoming-data").attempts.map((a) => [a.number, a.status, a.retry]),
    [
      [1, "FAILED", { afterSeconds: 1, jitter: false }],
      [2, "SUCCEEDED", null],
    ],
  );
  assert.deepEqual(run.task("send-confirmation").result, { confirmationSent: true });
});

test("my-first-workflow: a payload without shouldFail is refused, naming the field", async () => {
  const jobs = await testJobs();
  await assert.rejects(jobs.run("my-first-workflow", { message: "Hello" }), /shouldFail/);
});

test("my-first-workflow: a task failing 3 times fails the run with its error (a mock stands in for the task)", async () => {
  const jobs = await testJobs();
  const run = await jobs.run(
    "my-first-workflow",
    { message: "Hello", shouldFail: false },
    { mocks: { "process-incoming-data": new Error("service down") } },
  );
  assert.equal(run.status, "FAILED");
  assert.equal(run.error?.message, "service down");
  assert.equal(run.task("process-incoming-data").attempts.length, 3);
});
