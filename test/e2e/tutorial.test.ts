import { describe, expect, it } from "vitest";
import { devServerForThisFile, freePort, runCli } from "./helpers.ts";
import { TUTORIAL_RETRY_LOGS } from "../helpers/tutorial-expectations.ts";
import { defined } from "../helpers/defined.ts";

/** The tutorial's journey against `stepjobs dev` spawned as a child process, over real HTTP and the CLI. */

const dev = devServerForThisFile();

const attemptsOf = (run: any) =>
  run.tasks.map((t: any) => [t.id, t.stateName, t.status, t.attempts.map((a: any) => [a.number, a.status, a.error])]);
const logsOf = (run: any) => run.logs.map((l: any) => [l.level, l.message, l.taskId, l.attempt]);
/** The tutorial's simulated failure as recorded: its message and the job's frames where it was thrown (source-mapped). */
const simulated = (file: string, thrownAt: string, runAt: string) => ({
  name: "Error",
  message: "Simulated transient error during processing!",
  stack: `at io.runTask.maxAttempts (src/jobs/${file}:${thrownAt})\nat async Object.run (src/jobs/${file}:${runAt})`,
});
const SIMULATED = simulated("my-first-workflow.ts", "34:17", "24:5");
const SIMULATED_PRIORITY = simulated("priority-workflow.ts", "31:17", "23:5");

describe("stepjobs dev starts like the tutorial says", () => {
  it("writes .env with fresh keys, prints one line per job, never the key", () => {
    expect(dev.apiKey).toMatch(/^tr_dev_[A-Za-z0-9_-]{43}$/);
    expect(dev.output).toContain(`wrote TRIGGER_API_KEY and TRIGGER_PUBLIC_KEY to ${dev.root}/.env`);
    expect(dev.output).toContain(
      'job my-first-workflow v1.0.0  on "my.event"  tasks: process-incoming-data (3 attempts, 1 s apart), send-confirmation (3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that))  src/jobs/my-first-workflow.ts',
    );
    expect(dev.output).toContain('job priority-workflow v1.0.0  on "priority.event"');
    expect(dev.output).not.toContain(dev.apiKey);
  });
});

describe("the tutorial's curl command", () => {
  let run: any;
  let eventId: string;

  it("answers 202 with the event id and the run it starts", async () => {
    const answer = await dev.send("my.event", { message: "Hello via curl!", shouldFail: true });
    expect(answer.status).toBe(202);
    eventId = answer.body.id;
    expect(eventId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(answer.body).toEqual({ id: eventId, runs: [{ id: `my-first-workflow--${eventId}`, jobId: "my-first-workflow" }] });
    run = await dev.waitForRun(`my-first-workflow--${eventId}`);
  });

  it("the run succeeds: process-incoming-data fails once and succeeds on attempt 2, send-confirmation runs once", () => {
    expect(run.status).toBe("SUCCEEDED");
    expect(run.error).toBeNull();
    expect(attemptsOf(run)).toEqual([
      [
        "process-incoming-data",
        "process-incoming-data",
        "SUCCEEDED",
        [
          [1, "FAILED", SIMULATED],
          [2, "SUCCEEDED", null],
        ],
      ],
      ["send-confirmation", "send-confirmation", "SUCCEEDED", [[1, "SUCCEEDED", null]]],
    ]);
  });

  it("the retry waited the real second the policy says (measured between the attempts)", () => {
    const [failed, retried] = run.tasks[0].attempts;
    // setTimeout may fire up to 1 ms early; the ASL wait is IntervalSeconds 1.
    expect(Date.parse(retried.startedAt) - Date.parse(failed.endedAt)).toBeGreaterThanOrEqual(999);
  });

  it("send-confirmation's input was process-incoming-data's result; the warn log appears once", () => {
    expect(run.tasks[0].output).toEqual({ status: "processed", originalMessage: "Hello via curl!" });
    expect(run.tasks[1].output).toEqual({ confirmationSent: true });
    expect(logsOf(run)).toEqual(TUTORIAL_RETRY_LOGS);
    expect(run.logs[0].data).toEqual({ message: "Hello via curl!", shouldFail: true });
  });

  it("the terminal shows the attempts, the wait before the retry and each log line once, prefixed with job, run and task", () => {
    const prefix = `[my-first-workflow my-first-workflow--${eventId}`;
    const lines = dev.output.split("\n").filter((l) => l.startsWith(prefix));
    expect(lines.map((l) => l.replace(/ in \d+ ms/, " in N ms").replace(/ in \d+\.\d s$/, " in N s"))).toEqual([
      `${prefix}] run started by "my.event"`,
      `${prefix}] info  Received 'my.event' payload {"message":"Hello via curl!","shouldFail":true}`,
      `${prefix} process-incoming-data#1] info  Processing data: Hello via curl!`,
      `${prefix} process-incoming-data#1] warn  Simulating a temporary failure for attempt 1...`,
      `${prefix} process-incoming-data#1] attempt 1 failed in N ms: Error: Simulated transient error during processing! at src/jobs/my-first-workflow.ts:34:17 — retrying in 1 s`,
      `${prefix} process-incoming-data#2] info  Processing data: Hello via curl!`,
      `${prefix} process-incoming-data#2] info  Data processed successfully!`,
      `${prefix} process-incoming-data#2] attempt 2 succeeded in N ms`,
      `${prefix} send-confirmation#1] info  Sending confirmation for: Hello via curl!`,
      `${prefix}] info  Workflow completed successfully!`,
      `${prefix} send-confirmation#1] attempt 1 succeeded in N ms`,
      `${prefix}] run SUCCEEDED in N s`,
    ]);
  });

  it("`stepjobs run <id>` shows the retry and the success as a timeline (exit 0)", async () => {
    const result = await runCli(["run", run.id], { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey }, dev.root);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const text = result.stdout
      .replace(/\d\d:\d\d:\d\d\.\d{3}/g, "T")
      .replace(/\(\d+ ms\)/g, "(N ms)")
      .replace(/ in \d+\.\d s/, " in N s");
    expect(text.split("\n")).toEqual([
      `run ${run.id}  job my-first-workflow  event ${eventId}  SUCCEEDED in N s`,
      `  T  info   Received 'my.event' payload {"message":"Hello via curl!","shouldFail":true}`,
      "  task process-incoming-data  SUCCEEDED  (2 attempts)",
      "    attempt 1  FAILED     T -> T (N ms)  Error: Simulated transient error during processing!",
      "        at io.runTask.maxAttempts (src/jobs/my-first-workflow.ts:34:17)",
      "        at async Object.run (src/jobs/my-first-workflow.ts:24:5)",
      "      T  info   Processing data: Hello via curl!",
      "      T  warn   Simulating a temporary failure for attempt 1...",
      expect.stringMatching(/^ {4}waited 1\.\d s before attempt 2$/),
      "    attempt 2  SUCCEEDED  T -> T (N ms)",
      "      T  info   Processing data: Hello via curl!",
      "      T  info   Data processed successfully!",
      "  task send-confirmation  SUCCEEDED  (1 attempt)",
      "    attempt 1  SUCCEEDED  T -> T (N ms)",
      "      T  info   Sending confirmation for: Hello via curl!",
      "  T  info   Workflow completed successfully!",
      "  output null",
      "",
    ]);
  });
});

describe("the mini-challenge job", () => {
  it("high priority: attempts 1 and 2 fail, the 3rd succeeds (sent with `stepjobs send`)", async () => {
    // No TRIGGER_API_KEY in the environment: the CLI reads it from the project's .env, as after `npm run dev`.
    const sent = await runCli(
      ["send", "priority.event", '{"message":"High priority data","shouldFail":true,"priority":"high"}'],
      { TRIGGER_API_URL: dev.url },
      dev.root,
    );
    expect(sent.code).toBe(0);
    const match = /^event (\S+)\nrun (priority-workflow--\S+) {2}\(priority-workflow\) {2}-> stepjobs run \2 --follow\n$/.exec(sent.stdout);
    const run = await dev.waitForRun(defined(match?.[2], `a run id in ${JSON.stringify(sent.stdout)}`));
    expect(run.status).toBe("SUCCEEDED");
    expect(attemptsOf(run)).toEqual([
      [
        "process-incoming-data",
        "process-incoming-data",
        "SUCCEEDED",
        [
          [1, "FAILED", SIMULATED_PRIORITY],
          [2, "FAILED", SIMULATED_PRIORITY],
          [3, "SUCCEEDED", null],
        ],
      ],
      ["send-confirmation", "send-confirmation", "SUCCEEDED", [[1, "SUCCEEDED", null]]],
    ]);
  });

  it("low priority: one attempt even with shouldFail", async () => {
    const answer = await dev.send("priority.event", { message: "Low priority data", shouldFail: true, priority: "low" });
    expect(answer.status).toBe(202);
    const run = await dev.waitForRun(answer.body.runs[0].id);
    expect(run.status).toBe("SUCCEEDED");
    expect(attemptsOf(run)).toEqual([
      ["process-incoming-data", "process-incoming-data", "SUCCEEDED", [[1, "SUCCEEDED", null]]],
      ["send-confirmation", "send-confirmation", "SUCCEEDED", [[1, "SUCCEEDED", null]]],
    ]);
  });
});

describe("a task that fails for good", () => {
  it("NonRetriableError: one attempt of the 3 allowed; the run FAILS with its name and message; `stepjobs run` exits 1", async () => {
    const answer = await dev.send("card.charge", { card: "4242" });
    const run = await dev.waitForRun(answer.body.runs[0].id);
    expect(run.status).toBe("FAILED");
    const declined = {
      name: "NonRetriableError",
      message: "card 4242 was declined",
      stack: "at io.runTask.maxAttempts (src/jobs/charge-card.ts:14:15)\nat async Object.run (src/jobs/charge-card.ts:11:5)",
    };
    expect(run.error).toEqual(declined);
    expect(attemptsOf(run)).toEqual([["charge", "charge", "FAILED", [[1, "FAILED", declined]]]]);
    const cli = await runCli(["run", run.id], { TRIGGER_API_URL: dev.url }, dev.root);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("  error NonRetriableError: card 4242 was declined\n");
  });
});

describe("the CLI without a server, and misused", () => {
  it("says in one line that no server is running (exit 1)", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(["runs"], { TRIGGER_API_URL: url, TRIGGER_API_KEY: "k" }, dev.root);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `stepjobs runs: no stepjobs server at ${url}: start it with \`npm run dev\` (or set TRIGGER_API_URL)\n`,
    });
  });

  it("exits 2 with the usage on a usage error", async () => {
    const result = await runCli(["send"], { TRIGGER_API_URL: dev.url }, dev.root);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "stepjobs send: missing the event name\nusage: stepjobs send <name> [json | --file payload.json] [--id event-id] [--aws [--stack name]]\n",
    );
  });

  it("`stepjobs send` with a payload the schema rejects exits 1 and lists every violation", async () => {
    const result = await runCli(["send", "my.event", '{"message":5}'], { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey }, dev.root);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(/^stepjobs send: EVENT_VALIDATION: /);
    expect(result.stderr).toContain("  /message must be string (job my-first-workflow)\n");
  });
});
