/**
 * stepjobs/testing: run jobs in a test, on their compiled state machines, in process, with time skipped.
 *
 * ```ts
 * import { testJobs } from "stepjobs/testing";
 * const jobs = await testJobs();
 * const run = await jobs.run("my-first-workflow", { message: "hi", shouldFail: true });
 * expect(run.task("process-incoming-data").attempts.map((a) => a.status)).toEqual(["FAILED", "SUCCEEDED"]);
 * ```
 */
export { JobTester, type TestJobsOptions, type TestRunOptions, TestSetupError, testJobs } from "./job-tester.ts";
export type { Mock, Mocks, MockStep } from "./mocks.ts";
export type { TestAttempt, TestRun, TestStep, TestTask } from "./test-run.ts";
