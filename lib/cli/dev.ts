import { startDevServer } from "../local/dev-server.ts";
import { wantsColor } from "../local/terminal.ts";
import { DataDirInUseError } from "../store/dynalite-recovery.ts";
import { type Command, parseCommandArgs, portFrom } from "./commands.ts";

/**
 * `stepjobs dev [--port 8080] [--host 127.0.0.1] [--data-dir .stepjobs] [--jobs src/jobs]`: runs the jobs'
 * compiled state machines on this machine with the API and dashboard, until Ctrl+C.
 */
export const devCommand: Command = {
  summary: "run jobs locally: API + dashboard on :8080, dynalite store, live reload",
  usage: "usage: stepjobs dev [--port 8080 (or PORT)] [--host 127.0.0.1] [--data-dir .stepjobs] [--jobs src/jobs]",
  async run(args) {
    // The AWS SDK here only talks to dynalite on loopback, and its Node 20 notice concerns SDK releases after
    // January 2027 that the pinned version never becomes; a user who wants it back sets the variable to "false".
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { values } = parseCommandArgs(
      {
        options: {
          port: { type: "string" },
          host: { type: "string", default: "127.0.0.1" },
          "data-dir": { type: "string", default: ".stepjobs" },
          jobs: { type: "string", default: "src/jobs" },
        },
      },
      args,
    );
    const port = portFrom(values.port ?? process.env.PORT ?? "8080");
    const print = (line: string) => process.stdout.write(line + "\n");
    let dev;
    try {
      dev = await startDevServer({
        root: process.cwd(),
        jobsDir: values.jobs!,
        dataDir: values["data-dir"]!,
        host: values.host!,
        port,
        print,
        color: wantsColor(process.stdout),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") {
        process.stderr.write(`stepjobs dev: port ${port} on ${values.host} is in use (another stepjobs dev?); pass --port or set PORT\n`);
        return 1;
      }
      if (error instanceof DataDirInUseError) {
        process.stderr.write(`stepjobs dev: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    const running = dev;
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = () => {
        if (stopping) {
          // The second signal: no more waiting for tasks in flight (they count as interrupted on the next start).
          print("stepjobs dev: stopped now");
          process.exit(0);
        }
        stopping = true;
        print("stepjobs dev: stopping (unfinished runs resume on the next start)");
        // Executions still waiting (retry timers) would keep the process alive and then write to a closed
        // store; their state is saved after every step, so exiting here loses nothing the next start needs.
        running.close().finally(() => {
          resolve();
          process.exit(0);
        });
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};
