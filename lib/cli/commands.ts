import { parseArgs, type ParseArgsConfig } from "node:util";
import { costCommand } from "./cost.ts";
import { dashboardCommand } from "./dashboard-aws.ts";
import { devCommand } from "./dev.ts";
import { dlqCommand } from "./dlq.ts";
import { initCommand } from "./init.ts";
import { cancelCommand, continueCommand, redriveCommand } from "./run-control.ts";
import { runCommand } from "./run.ts";
import { runsCommand } from "./runs.ts";
import { sendCommand } from "./send.ts";
import { synthCommand } from "./synth.ts";
import { UsageError } from "./usage-error.ts";

/** A CLI command: one line of usage and a `run` returning the exit code. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** `node:util` parseArgs, with its errors turned into usage errors (exit 2) instead of stack traces. */
export function parseCommandArgs<T extends ParseArgsConfig>(
  config: T,
  args: string[],
): ReturnType<typeof parseArgs<T & { args: string[]; strict: true }>> {
  try {
    return parseArgs({ ...config, args, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A `--port` value as a TCP port number (0 picks a free one); a usage error otherwise. */
export function portFrom(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got "${text}"`);
  return port;
}

/** Every command, by name. */
export const commands: Record<string, Command> = {
  init: initCommand,
  dev: devCommand,
  send: sendCommand,
  runs: runsCommand,
  run: runCommand,
  redrive: redriveCommand,
  continue: continueCommand,
  cancel: cancelCommand,
  synth: synthCommand,
  cost: costCommand,
  dlq: dlqCommand,
  dashboard: dashboardCommand,
};

/** Prints the command list (to stderr when `problem` is set). */
export function printUsage(problem?: string): void {
  const lines = [
    ...(problem ? [`stepjobs: ${problem}`, ""] : []),
    "usage: stepjobs <command> [options]",
    "",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
  ];
  (problem ? process.stderr : process.stdout).write(lines.join("\n") + "\n");
}
