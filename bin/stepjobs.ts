/**
 * The stepjobs CLI. Exit codes: 0 ok, 1 the request or run failed (or the jobs have errors), 2 usage error.
 * Each command lives in lib/cli/<command>.ts and returns its exit code.
 */
import { commands, printUsage } from "../lib/cli/commands.ts";
import { UsageError } from "../lib/cli/usage-error.ts";

const [name, ...args] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  printUsage(name && name !== "help" && name !== "--help" ? `unknown command "${name}"` : undefined);
  process.exitCode = name && name !== "help" && name !== "--help" ? 2 : 0;
} else {
  try {
    process.exitCode = await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`stepjobs ${name}: ${error.message}\n${command.usage}\n`);
      process.exitCode = 2;
    } else {
      throw error;
    }
  }
}
