import fs from "node:fs";
import { ApiClient, apiErrorLine, reportingServerDown } from "./api-client.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/** `stepjobs send <name> [json | --file f] [--id id]`: sends an event; prints its id and the runs it started. */
export const sendCommand: CommandRun = {
  run: reportingServerDown(async (args) => {
    const { values, positionals } = parseCommandArgs(
      {
        options: { file: { type: "string" }, id: { type: "string" }, aws: { type: "boolean" }, stack: { type: "string" } },
        allowPositionals: true,
      },
      args,
    );
    const [name, json, ...extra] = positionals;
    if (!name) throw new UsageError("missing the event name");
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (json !== undefined && values.file) throw new UsageError("give the payload as an argument or with --file, not both");
    let text = json ?? "{}";
    if (values.file) {
      try {
        text = fs.readFileSync(values.file, "utf8");
      } catch (error) {
        throw new UsageError(`cannot read ${values.file}: ${(error as Error).message}`);
      }
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`the payload is not valid JSON: ${(error as Error).message}`);
    }
    if (values.aws) {
      const aws = await import("./aws.ts");
      return aws.reportingAwsProblems("send", async () => {
        const clients = await aws.awsClients();
        const stack = await aws.readStack(clients, aws.stackNameFrom(values.stack));
        const id = await aws.sendAwsEvent(clients, stack, { name, payload, ...(values.id ? { id: values.id } : {}) });
        // In AWS the bus rules and ingest start the runs; their ids follow from the event id.
        process.stdout.write(`event ${id} put on ${stack.eventBusName}; runs are named <jobId>--${id} (stepjobs runs --aws)\n`);
        return 0;
      });
    }
    const api = ApiClient.fromEnv();
    const response = await api.request("POST", "/api/v1/events", { name, payload, ...(values.id ? { id: values.id } : {}) });
    if (response.status !== 200 && response.status !== 202) {
      process.stderr.write(`stepjobs send: ${apiErrorLine(response)}\n`);
      for (const issue of response.body?.error?.details?.errors ?? []) {
        process.stderr.write(`  ${issue.path || "/"} ${issue.message} (job ${issue.jobId})\n`);
      }
      return 1;
    }
    const { id, runs, warning } = response.body as { id: string; runs: { id: string; jobId: string }[]; warning?: { message: string } };
    process.stdout.write(`event ${id}${response.status === 200 ? " (already received; no new run)" : ""}\n`);
    if (warning) process.stderr.write(`stepjobs send: warning: ${warning.message}\n`);
    if (runs.length === 0) process.stdout.write(`no job listens to "${name}"\n`);
    for (const run of runs) process.stdout.write(`run ${run.id}  (${run.jobId})  -> stepjobs run ${run.id} --follow\n`);
    return 0;
  }, "send"),
};
