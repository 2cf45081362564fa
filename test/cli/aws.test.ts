import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useAwsClients } from "../../lib/cli/aws.ts";
import { commands } from "../../lib/cli/commands.ts";
import alwaysFails from "../fixtures/histories/always-fails.json" with { type: "json" };
import tutorial from "../fixtures/histories/tutorial-retried.json" with { type: "json" };
import { type Answers, recordingAws } from "../helpers/recording-aws.ts";
import { defined } from "../helpers/defined.ts";

/**
 * The CLI against a deployed stack, with a recording AWS client: the exact requests (DescribeStacks, ListExecutions,
 * DescribeExecution, GetExecutionHistory, RedriveExecution, StopExecution, PutEvents, ReceiveMessage, DeleteMessage)
 * and the exact output. Answers are shaped as the AWS API references document them.
 */
const REGION_ACCOUNT = "us-east-1:123456789012";
const SM = (job: string) => `arn:aws:states:${REGION_ACCOUNT}:stateMachine:StepJobs_${job}`;
const STACK = {
  Stacks: [
    {
      StackName: "StepJobs",
      Outputs: [
        { OutputKey: "JobNamePrefix", OutputValue: "StepJobs_" },
        { OutputKey: "TableName", OutputValue: "StepJobs-AppTable" },
        { OutputKey: "EventBusName", OutputValue: "StepJobsAppBus" },
        { OutputKey: "DeadLetterQueueUrl", OutputValue: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq" },
      ],
    },
  ],
};
const EXEC = (job: string, run: string) => `${SM(job).replace(":stateMachine:", ":execution:")}:${run}`;

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  useAwsClients(undefined);
});

/** The account's state machines: this stack's two jobs (one page) and another stack's, which must be left out. */
const MACHINES = {
  stateMachines: [
    { stateMachineArn: SM("my-first-workflow"), name: "StepJobs_my-first-workflow", type: "STANDARD" },
    { stateMachineArn: `arn:aws:states:${REGION_ACCOUNT}:stateMachine:Other_job`, name: "Other_job", type: "STANDARD" },
    { stateMachineArn: SM("always-fails"), name: "StepJobs_always-fails", type: "STANDARD" },
  ],
};

async function cli(args: string[], answers: Answers) {
  const aws = recordingAws({ DescribeStacksCommand: STACK, ListStateMachinesCommand: MACHINES, ...answers });
  useAwsClients(aws.clients);
  const code = await (await defined(commands[args[0] ?? ""], `command ${args[0]}`).load()).run(args.slice(1));
  return { code, calls: aws.calls.map((c) => [c.command, c.input]) };
}

describe("stepjobs runs --aws", () => {
  it("lists each job's executions (ListExecutions per state machine named <JobNamePrefix><jobId>), newest first", async () => {
    const { code, calls } = await cli(["runs", "--aws", "--status", "failed"], {
      ListExecutionsCommand: (input: { stateMachineArn: string }) => ({
        executions: input.stateMachineArn.includes("always-fails")
          ? [
              {
                name: "always-fails--e2",
                status: "FAILED",
                startDate: new Date("2026-11-25T10:05:00Z"),
                stopDate: new Date("2026-11-25T10:05:03.5Z"),
              },
            ]
          : [
              {
                name: "my-first-workflow--e1",
                status: "TIMED_OUT",
                startDate: new Date("2026-11-25T10:00:00Z"),
                stopDate: new Date("2026-11-25T10:01:00Z"),
              },
            ],
      }),
    });
    expect(code).toBe(0);
    expect(calls).toEqual([
      ["DescribeStacksCommand", { StackName: "StepJobs" }],
      ["ListStateMachinesCommand", { maxResults: 1000 }],
      ["ListExecutionsCommand", { stateMachineArn: SM("my-first-workflow"), maxResults: 50, statusFilter: "FAILED" }],
      ["ListExecutionsCommand", { stateMachineArn: SM("always-fails"), maxResults: 50, statusFilter: "FAILED" }],
    ]);
    expect(out).toBe(
      "always-fails--e2  always-fails  FAILED     2026-11-25T10:05:00.000Z  3.5 s\n" +
        "my-first-workflow--e1  my-first-workflow  FAILED     2026-11-25T10:00:00.000Z  1 min 0 s\n",
    );
  });

  it("an Express job is listed from the event records (ListExecutions does not support Express), never an error", async () => {
    const record = (id: string, runs: { id: string; jobId: string }[]) =>
      JSON.stringify({
        id,
        name: "ping",
        source: "stepjobs",
        payload: {},
        timestamp: "t",
        receivedAt: "2026-11-25T10:07:00.000Z",
        status: "ACCEPTED",
        errors: [],
        runs,
      });
    const { code, calls } = await cli(["runs", "--aws"], {
      ListStateMachinesCommand: {
        stateMachines: [...MACHINES.stateMachines, { stateMachineArn: SM("express-ping"), name: "StepJobs_express-ping", type: "EXPRESS" }],
      },
      ListExecutionsCommand: (input: { stateMachineArn: string }) => {
        if (input.stateMachineArn.includes("express"))
          return Object.assign(new Error("not supported"), { name: "StateMachineTypeNotSupported" });
        return { executions: [] };
      },
      QueryCommand: {
        Items: [
          {
            record: record("e7", [
              { id: "express-ping--e7", jobId: "express-ping" },
              { id: "my-first-workflow--e7", jobId: "my-first-workflow" },
            ]),
          },
        ],
      },
    });
    expect(code).toBe(0);
    expect(
      calls.filter(([c]) => c === "ListExecutionsCommand").map(([, input]) => (input as { stateMachineArn: string }).stateMachineArn),
    ).toEqual([SM("my-first-workflow"), SM("always-fails")]);
    expect(out).toBe("express-ping--e7  express-ping  STARTED    2026-11-25T10:07:00.000Z  \n");
  });

  it("a job the stack does not have is one line and exit 1", async () => {
    const { code } = await cli(["runs", "--aws", "--job", "nope", "--stack", "Other"], {});
    expect([code, err]).toEqual([1, 'stepjobs runs: stack Other has no job "nope"\n']);
  });
});

describe("stepjobs run --aws: the timeline from the execution history, rendered as a local run is", () => {
  const history = (fixture: { events: unknown[] }, job: string, run: string, status: string) => ({
    DescribeExecutionCommand: { executionArn: EXEC(job, run), stateMachineArn: SM(job), name: run, status },
    GetExecutionHistoryCommand: (input: { nextToken?: string }) =>
      // Two pages, as GetExecutionHistory pages them: the CLI follows nextToken.
      input.nextToken ? { events: fixture.events.slice(5) } : { events: fixture.events.slice(0, 5), nextToken: "page-2" },
  });

  it("a retried run (the tutorial): attempt 1 failed, the 1 s wait, attempt 2 succeeded, then the second task; exit 0", async () => {
    const run = "my-first-workflow--01M88EVENT";
    const { code, calls } = await cli(["run", run, "--aws"], history(tutorial, "my-first-workflow", run, "SUCCEEDED"));
    expect(calls.slice(2)).toEqual([
      ["DescribeExecutionCommand", { executionArn: EXEC("my-first-workflow", run) }],
      ["GetExecutionHistoryCommand", { executionArn: EXEC("my-first-workflow", run), maxResults: 1000 }],
      ["GetExecutionHistoryCommand", { executionArn: EXEC("my-first-workflow", run), maxResults: 1000, nextToken: "page-2" }],
    ]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "run my-first-workflow--01M88EVENT  job my-first-workflow  event 01M88EVENT  SUCCEEDED in 3.2 s",
        "  task process-incoming-data  SUCCEEDED  (2 attempts)",
        "    attempt 1  FAILED     10:00:02.082 -> 10:00:02.122 (40 ms)  Error: Simulated transient error during processing!",
        // The Lambda error's trace, as the history's Cause carries it (this fixture's bundle had no source maps).
        "        at /var/task/index.mjs:1:2041",
        "    waited 960 ms before attempt 2",
        "    attempt 2  SUCCEEDED  10:00:03.082 -> 10:00:03.122 (40 ms)",
        "  task send-confirmation  SUCCEEDED  (1 attempt)",
        "    attempt 1  SUCCEEDED  10:00:03.144 -> 10:00:03.184 (40 ms)",
        "  output null",
        "",
      ].join("\n"),
    );
  });

  it("a failed run: both attempts failed, the run's error, exit 1", async () => {
    const run = "always-fails--01M88FAIL";
    const { code } = await cli(["run", EXEC("always-fails", run), "--aws"], history(alwaysFails, "always-fails", run, "FAILED"));
    expect(code).toBe(1);
    expect(out).toBe(
      [
        "run always-fails--01M88FAIL  job always-fails  event 01M88FAIL  FAILED in 2.2 s",
        "  task flaky-api  FAILED  (2 attempts)",
        "    attempt 1  FAILED     10:00:00.082 -> 10:00:00.122 (40 ms)  UpstreamError: upstream returned 503 on attempt 1",
        "        at /var/task/index.mjs:1:2041",
        "    waited 2.0 s before attempt 2",
        "    attempt 2  FAILED     10:00:02.082 -> 10:00:02.122 (40 ms)  UpstreamError: upstream returned 503 on attempt 2",
        "        at /var/task/index.mjs:1:2041",
        "  error UpstreamError: upstream returned 503 on attempt 2",
        "",
      ].join("\n"),
    );
  });

  it("a run id of no job in the stack: one line naming the jobs, exit 1", async () => {
    const { code } = await cli(["run", "other--x", "--aws"], {});
    expect([code, err]).toEqual([
      1,
      'stepjobs run: run id "other--x" does not start with a job id of stack StepJobs (my-first-workflow, always-fails); pass the execution ARN\n',
    ]);
  });
});

describe("redrive, cancel and send --aws", () => {
  it("redrive: RedriveExecution on the run's execution ARN", async () => {
    const { code, calls } = await cli(["redrive", "always-fails--e2", "--aws"], { RedriveExecutionCommand: { redriveDate: new Date() } });
    expect([code, calls[2], out]).toEqual([
      0,
      ["RedriveExecutionCommand", { executionArn: EXEC("always-fails", "always-fails--e2") }],
      `${EXEC("always-fails", "always-fails--e2")}: redriven (RedriveExecution)\n`,
    ]);
  });

  it("redrive of a run AWS will not redrive: its error, one line, exit 1", async () => {
    const refused = Object.assign(new Error("Execution is SUCCEEDED and cannot be redriven"), { name: "ExecutionNotRedrivable" });
    const { code } = await cli(["redrive", "always-fails--e2", "--aws"], { RedriveExecutionCommand: refused });
    expect([code, err]).toEqual([1, "stepjobs redrive: ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven\n"]);
  });

  it("cancel: StopExecution with a cause", async () => {
    const { code, calls } = await cli(["cancel", "my-first-workflow--e1", "--aws"], { StopExecutionCommand: { stopDate: new Date() } });
    expect([code, calls[2]]).toEqual([
      0,
      [
        "StopExecutionCommand",
        { executionArn: EXEC("my-first-workflow", "my-first-workflow--e1"), error: "Cancelled", cause: "stopped with stepjobs cancel" },
      ],
    ]);
  });

  it("send: one PutEvents entry on the stack's bus, shaped as the API puts it", async () => {
    const { code, calls } = await cli(["send", "my.event", '{"message":"hi","shouldFail":false}', "--id", "e9", "--aws"], {
      PutEventsCommand: { FailedEntryCount: 0, Entries: [{ EventId: "eb-1" }] },
    });
    expect(code).toBe(0);
    const [name, input] = calls[2] as [string, { Entries: Record<string, unknown>[] }];
    expect(name).toBe("PutEventsCommand");
    expect(input.Entries).toEqual([
      {
        EventBusName: "StepJobsAppBus",
        Source: "stepjobs",
        DetailType: "my.event",
        Detail: JSON.stringify({
          id: "e9",
          timestamp: (defined(input.Entries[0], "an entry").Time as Date).toISOString(),
          payload: { message: "hi", shouldFail: false },
        }),
        Time: expect.any(Date),
      },
    ]);
    expect(out).toBe("event e9 put on StepJobsAppBus; runs are named <jobId>--e9 (stepjobs runs --aws)\n");
  });

  it("send: a failed entry is an error naming EventBridge's code, exit 1", async () => {
    const { code } = await cli(["send", "my.event", "{}", "--aws"], {
      PutEventsCommand: { FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }] },
    });
    expect([code, err]).toEqual([1, "stepjobs send: EventBridge did not take the event: ThrottlingException: Rate exceeded\n"]);
  });
});

describe("stepjobs dlq --aws", () => {
  const message = {
    MessageId: "m-1",
    ReceiptHandle: "rh-1",
    Body: JSON.stringify({ id: "eb-9", "detail-type": "my.event", source: "stepjobs", detail: { id: "e9", timestamp: "t", payload: {} } }),
    MessageAttributes: {
      ERROR_CODE: { StringValue: "SDK_CLIENT_ERROR", DataType: "String" },
      ERROR_MESSAGE: { StringValue: "Lambda throttled", DataType: "String" },
    },
  };

  it("list: ReceiveMessage on the stack's DLQ without hiding them (until nothing new comes), one line per event id with why", async () => {
    const { code, calls } = await cli(["dlq", "list", "--aws"], { ReceiveMessageCommand: { Messages: [message] } });
    const receive = {
      QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 0,
      MessageAttributeNames: ["All"],
    };
    expect(calls.slice(2)).toEqual([
      ["ReceiveMessageCommand", receive],
      ["ReceiveMessageCommand", receive],
    ]);
    // The stepjobs event id (e9, what the client sent), not EventBridge's envelope id (eb-9).
    expect([code, out]).toEqual([0, "e9  my.event  SDK_CLIENT_ERROR: Lambda throttled\n"]);
  });

  it("replay: PutEvents with the original detail (same event id), then DeleteMessage, in that order", async () => {
    const { code, calls } = await cli(["dlq", "replay", "--aws"], {
      ReceiveMessageCommand: { Messages: [message] },
      PutEventsCommand: { FailedEntryCount: 0, Entries: [{ EventId: "eb-10" }] },
      DeleteMessageCommand: {},
    });
    expect(code).toBe(0);
    expect(calls[2]).toEqual(["ReceiveMessageCommand", expect.objectContaining({ VisibilityTimeout: 60 })]);
    expect(calls.slice(4)).toEqual([
      [
        "PutEventsCommand",
        {
          Entries: [
            {
              EventBusName: "StepJobsAppBus",
              Source: "stepjobs",
              DetailType: "my.event",
              Detail: JSON.stringify({ id: "e9", timestamp: "t", payload: {} }),
            },
          ],
        },
      ],
      ["DeleteMessageCommand", { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq", ReceiptHandle: "rh-1" }],
    ]);
    expect(out).toBe("e9  my.event  SDK_CLIENT_ERROR: Lambda throttled\nreplayed 1 event(s)\n");
  });

  it("replay: an event EventBridge refuses stays in the queue (no DeleteMessage)", async () => {
    const { code, calls } = await cli(["dlq", "replay", "--aws"], {
      ReceiveMessageCommand: { Messages: [message] },
      PutEventsCommand: { FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] },
    });
    expect(code).toBe(1);
    expect(calls.map((c) => c[0])).toEqual([
      "DescribeStacksCommand",
      "ListStateMachinesCommand",
      "ReceiveMessageCommand",
      "ReceiveMessageCommand",
      "PutEventsCommand",
    ]);
    expect(err).toBe("stepjobs dlq: EventBridge did not take dead-lettered event e9; it stays in the queue\n");
  });
});

describe("AWS problems a user can fix are one line, never a stack trace", () => {
  it.each([
    [
      Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`",
    ],
    [new Error("Region is missing"), "no AWS region: set AWS_REGION (or a profile with a region)"],
    [
      Object.assign(new Error("Stack with id StepJobs does not exist"), { name: "ValidationError" }),
      "Stack with id StepJobs does not exist (pass --stack <name> or set STEPJOBS_STACK)",
    ],
  ])("%s", async (error, line) => {
    const { code } = await cli(["runs", "--aws"], { DescribeStacksCommand: error });
    expect([code, err]).toEqual([1, `stepjobs runs: ${line}\n`]);
  });

  it("dlq without --aws says why it needs it (exit 2 via UsageError)", async () => {
    await expect(cli(["dlq", "list"], {})).rejects.toThrow("the dead-letter queue exists only in a deployed stack: add --aws");
  });
});
