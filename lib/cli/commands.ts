import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./usage-error.ts";

/**
 * The CLI's command table. A command's module is imported only when that command runs, so `stepjobs runs` loads an
 * HTTP client and a formatter, not the TypeScript compiler, CDK, dynalite or the local Step Functions engine
 * that `dev` and `synth` need (bench/cli-start.ts measures it).
 */

/** What a command module exports: `run`, returning the exit code (usage mistakes thrown as {@link UsageError}). */
export interface CommandRun {
  run(args: string[]): Promise<number>;
}

/**
 * The older shape of a command module, with its own summary and usage. Those now live in {@link commands}, read
 * without loading the module; lib/cli/dlq.ts still declares them (unused) until it is moved to {@link CommandRun}.
 */
export interface Command extends CommandRun {
  readonly summary: string;
  readonly usage: string;
}

/** A command as `stepjobs --help` and `stepjobs <command> --help` show it, and how to load it. */
export interface CommandEntry {
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line, printed with `--help` and after a usage error. */
  readonly usage: string;
  load(): Promise<CommandRun>;
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

/** Every command, by name, in the order `stepjobs --help` lists them. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  init: {
    summary: "create a new stepjobs project (the tutorial job, a CDK app, scripts, a .env key)",
    usage: "usage: stepjobs init [dir]",
    load: async () => (await import("./init.ts")).initCommand,
  },
  dev: {
    summary: "run jobs locally: API + dashboard on :8080, dynalite store, live reload",
    usage: "usage: stepjobs dev [--port 8080 (or PORT)] [--host 127.0.0.1] [--data-dir .stepjobs] [--jobs src/jobs]",
    load: async () => (await import("./dev.ts")).devCommand,
  },
  send: {
    summary: 'send an event: stepjobs send my.event \'{"message":"hi","shouldFail":true}\'',
    usage: "usage: stepjobs send <name> [json | --file payload.json] [--id event-id] [--aws [--stack name]]",
    load: async () => (await import("./send.ts")).sendCommand,
  },
  runs: {
    summary: "list runs (newest first; --limit N, --all)",
    usage: "usage: stepjobs runs [--job job-id] [--status RUNNING|SUCCEEDED|FAILED|ABORTED] [--limit 50 | --all] [--aws [--stack name]]",
    load: async () => (await import("./runs.ts")).runsCommand,
  },
  run: {
    summary: "show a run: tasks, attempts, waits, errors, logs (--follow until it ends; --aws for a deployed stack)",
    usage: "usage: stepjobs run <run-id | execution-arn> [--follow] [--aws [--stack name]]",
    load: async () => (await import("./run.ts")).runCommand,
  },
  redrive: {
    summary: "retry a failed run from its failed task on the code it started with (finished tasks are not run again)",
    usage: "usage: stepjobs redrive <runId | execution-arn> [--aws [--stack name]]",
    load: async () => (await import("./run-control.ts")).redriveCommand,
  },
  continue: {
    summary: "continue a failed run on the code deployed now (AWS: a new execution on the live version; finished tasks are not run again)",
    usage: "usage: stepjobs continue <runId | execution-arn> [--aws [--stack name]]",
    load: async () => (await import("./run-control.ts")).continueCommand,
  },
  cancel: {
    summary: "stop a running run (it ends ABORTED and can be redriven)",
    usage: "usage: stepjobs cancel <runId | execution-arn> [--aws [--stack name]]",
    load: async () => (await import("./run-control.ts")).cancelCommand,
  },
  synth: {
    summary: "compile src/jobs to Step Functions ASL (<jobId>.asl.json)",
    usage: "usage: stepjobs synth [--out DIR] [--jobs DIR]",
    load: async () => (await import("./synth.ts")).synthCommand,
  },
  cost: {
    summary: "estimate each job's cost per month from its compiled state machine",
    usage: "usage: stepjobs cost [--runs-per-month N] [--jobs DIR]",
    load: async () => (await import("./cost.ts")).costCommand,
  },
  dlq: {
    summary: "list or replay dead-lettered events of a deployed stack (--aws)",
    usage: "usage: stepjobs dlq list|replay --aws [--stack name]",
    load: async () => (await import("./dlq.ts")).dlqCommand,
  },
  dashboard: {
    summary: "serve the dashboard over a deployed stack, read-only (--aws)",
    usage: "usage: stepjobs dashboard --aws [--stack name] [--port 8081] [--host 127.0.0.1] [--jobs src/jobs]",
    load: async () => (await import("./dashboard-aws.ts")).dashboardCommand,
  },
};

/** True when the arguments ask for help (`--help` or `-h` before any `--`). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/** One command's help: its summary and usage. */
export function commandHelp(name: string, entry: CommandEntry): string {
  return `stepjobs ${name}: ${entry.summary}\n${entry.usage}\n`;
}

/** Prints the command list (to stderr when `problem` is set). */
export function printUsage(problem?: string): void {
  const lines = [
    ...(problem ? [`stepjobs: ${problem}`, ""] : []),
    "usage: stepjobs <command> [options]   (stepjobs <command> --help for its options)",
    "",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
  ];
  (problem ? process.stderr : process.stdout).write(lines.join("\n") + "\n");
}
