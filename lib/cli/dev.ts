import path from "node:path";
import { startDevServer } from "../local/dev-server.ts";
import { wantsColor } from "../local/terminal.ts";
import { DataDirInUseError } from "../store/dynalite-recovery.ts";
import { type CommandRun, parseCommandArgs, portFrom } from "./commands.ts";
import { DEFAULT_DATA_DIR, forgetDevServer, recordDevServer } from "./running-dev.ts";
import { registerTypeScriptLoader } from "./typescript-loader.ts";

/**
 * `stepjobs dev [--port 8080] [--host 127.0.0.1] [--data-dir .stepjobs] [--jobs src/jobs]`: runs the jobs'
 * compiled state machines on this machine with the API and dashboard, until Ctrl+C.
 */
export const devCommand: CommandRun = {
  async run(args) {
    // The AWS SDK here only talks to dynalite on loopback, and its Node 20 notice concerns SDK releases after
    // January 2027 that the pinned version never becomes; a user who wants it back sets the variable to "false".
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { values } = parseCommandArgs(
      {
        options: {
          port: { type: "string" },
          host: { type: "string", default: "127.0.0.1" },
          "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
          jobs: { type: "string", default: "src/jobs" },
        },
      },
      args,
    );
    const port = portFrom(values.port ?? process.env.PORT ?? "8080");
    await registerTypeScriptLoader();
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
    // The CLI's other commands find this server through the record (lib/cli/running-dev.ts), whatever its port.
    const dataDir = path.resolve(values["data-dir"]!);
    recordDevServer(dataDir, running.url);
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
        forgetDevServer(dataDir);
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
