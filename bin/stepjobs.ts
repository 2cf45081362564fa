/**
 * The stepjobs CLI. Exit codes: 0 ok, 1 the request or run failed (or the jobs have errors), 2 usage error.
 * Each command lives in lib/cli/<command>.ts, loaded only when it runs, and returns its exit code.
 */
import { asksForHelp, commandHelp, commands, printUsage } from "../lib/cli/commands.ts";
import { UsageError } from "../lib/cli/usage-error.ts";

const [name = "", ...args] = process.argv.slice(2);
const entry = name && Object.hasOwn(commands, name) ? commands[name] : undefined;
if (!entry) {
  const asked = !name || name === "help" || name === "--help" || name === "-h";
  printUsage(asked ? undefined : `unknown command "${name}"`);
  process.exitCode = asked ? 0 : 2;
} else if (asksForHelp(args)) {
  process.stdout.write(commandHelp(name, entry));
} else {
  const command = await entry.load();
  try {
    process.exitCode = await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`stepjobs ${name}: ${error.message}\n${entry.usage}\n`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}
