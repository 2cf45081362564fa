import { defined } from "../helpers/defined.ts";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { commands } from "../../lib/cli/commands.ts";
import { runCli } from "../e2e/helpers.ts";

/** `--help` works on every command: its summary and usage on stdout, exit 0, and nothing run. */
describe("stepjobs <command> --help", () => {
  it("prints that command's summary and usage and exits 0, for every command", async () => {
    const names = Object.keys(commands);
    const answers = await Promise.all(names.map((name) => runCli([name, "--help"], {}, os.tmpdir())));
    expect(answers).toEqual(
      names.map((name) => {
        const command = defined(commands[name], `command ${name}`);
        return { code: 0, stdout: `stepjobs ${name}: ${command.summary}\n${command.usage}\n`, stderr: "" };
      }),
    );
  });

  it("-h works too, anywhere before `--`; after `--` it is an argument", async () => {
    expect(await runCli(["runs", "--job", "x", "-h"], {}, os.tmpdir())).toEqual({
      code: 0,
      stdout:
        "stepjobs runs: list runs (newest first; --limit N, --all)\nusage: stepjobs runs [--job job-id] [--status RUNNING|SUCCEEDED|FAILED|ABORTED] [--limit 50 | --all] [--aws [--stack name]]\n",
      stderr: "",
    });
    expect(await runCli(["runs", "--", "--help"], {}, os.tmpdir())).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "stepjobs runs: Unexpected argument '--help'. This command does not take positional arguments\nusage: stepjobs runs [--job job-id] [--status RUNNING|SUCCEEDED|FAILED|ABORTED] [--limit 50 | --all] [--aws [--stack name]]\n",
    });
  });

  it("stepjobs --help lists every command and says how to get a command's options", async () => {
    const answer = await runCli(["--help"], {}, os.tmpdir());
    expect(answer.code).toBe(0);
    expect(answer.stdout.split("\n").slice(0, 2)).toEqual([
      "usage: stepjobs <command> [options]   (stepjobs <command> --help for its options)",
      "",
    ]);
    expect(answer.stdout.split("\n").slice(2, -1)).toEqual(Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`));
  });
});
