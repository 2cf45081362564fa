import { describe, expect, it } from "vitest";
import { ServerNotRunningError } from "../../lib/cli/api-client.ts";
import { AwsCliError } from "../../lib/cli/aws.ts";
import { UsageError } from "../../lib/cli/usage-error.ts";
import { ApiError } from "../../lib/ingest/event-request.ts";
import { RunActionError } from "../../lib/local/local-runtime.ts";
import { StepJobsError } from "../../lib/sdk/errors.ts";
import { DataDirInUseError } from "../../lib/store/dynalite-recovery.ts";

/** Every error stepjobs raises is a StepJobsError: one `instanceof` and a stable `code` for the API, CLI and logs. */
describe("the stepjobs error hierarchy", () => {
  it.each([
    [new ApiError(404, "NOT_FOUND", "no run"), "ApiError", "NOT_FOUND"],
    [new RunActionError("NOT_REDRIVABLE", "run r is RUNNING"), "RunActionError", "NOT_REDRIVABLE"],
    [new UsageError("--limit must be a positive whole number"), "UsageError", "USAGE"],
    [new AwsCliError("no stack"), "AwsCliError", "AWS_CLI"],
    [new ServerNotRunningError("http://localhost:8080"), "ServerNotRunningError", "SERVER_NOT_RUNNING"],
    [new DataDirInUseError(".stepjobs"), "DataDirInUseError", "DATA_DIR_IN_USE"],
  ])("%s is a StepJobsError with its name and code", (error, name, code) => {
    expect(error).toBeInstanceOf(StepJobsError);
    expect([error.name, error.code]).toEqual([name, code]);
  });
});
